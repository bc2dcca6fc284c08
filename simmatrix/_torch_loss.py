"""SimLoss for torch as autograd functions: exact, one saved M×C tensor, gradient ``p - q``.

With ``p = softmax(z)`` and ``q = softmax(z + log S[y])``, per sample::

    L = LSE(z) - LSE(z + log S[y]),        dL/dz = p - q

Both LSEs are taken around their own maximum, ``max z`` and ``m = max(z + log S[y])``, and
``z - m`` is formed *before* ``log S[y]`` is added: the terms that carry weight are then
differences of nearby numbers, exact in floating point. Adding ``log S`` to logits of 1e4
first (or to ``log_softmax(z)``) would round ``log 0.5`` to float32's spacing at 1e4, about
1e-3, and the gradient with it. ``L = (max z - m) + log Σ exp(z - max z) - log Σ exp(z - m
+ log S[y])``, so no ``LSE`` of 1e4 is rounded before a small difference is taken either.

Arguments of ``exp`` are floored at ``_FLOOR = -80`` (``e^-80 ≈ 1.8e-35``): torch's CPU
``exp`` is 3-20x slower on arguments whose result is 0, underflows or is denormal; the floor
moves ``p`` and ``q`` by at most ``1.8e-35`` per class. The functions define
``setup_context`` and ``generate_vmap_rule``, so ``torch.func.grad``/``vmap`` and
``torch.compile(fullgraph=True)`` trace them.
"""

from __future__ import annotations

import torch

_FLOOR = -80.0


def _softmax_parts(z):
    """``exp(z - max z)`` (floored), ``max z`` and the row sums: softmax and LSE unrounded."""
    mz = z.amax(dim=1, keepdim=True)
    ez = torch.sub(z, mz).clamp_(min=_FLOOR).exp_()
    return ez, mz, ez.sum(dim=1, keepdim=True)


def _finish(ez, mz, sz, e, m, s):
    """The loss ``(mz - m) + log(sz / s)`` and the two halves ``p`` and ``q`` of the gradient."""
    return (mz - m).add_(torch.div(sz, s).log_()).squeeze(1), ez.div_(sz), e.div_(s)


class _DenseSimLoss(torch.autograd.Function):
    generate_vmap_rule = True

    @staticmethod
    def forward(z, y, log_S):
        g = torch.index_select(log_S, 0, y)
        m = torch.add(z, g).amax(dim=1, keepdim=True)  # a shift only: rounding is harmless
        e = torch.sub(z, m).add_(g).clamp_(min=_FLOOR).exp_()
        s = e.sum(dim=1, keepdim=True)
        loss, p, q = _finish(*_softmax_parts(z), e, m, s)
        return loss, p.sub_(q)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.mark_non_differentiable(output[1])
        ctx.save_for_backward(output[1])

    @staticmethod
    def backward(ctx, grad, _unused):
        (d,) = ctx.saved_tensors
        return d * grad[:, None], None, None


class _SparseSimLoss(torch.autograd.Function):
    generate_vmap_rule = True

    @staticmethod
    def forward(z, y, indices, log_values):
        nbr = torch.index_select(indices, 0, y)
        g = torch.index_select(log_values, 0, y)
        zk = torch.gather(z, 1, nbr)
        m = torch.add(zk, g).amax(dim=1, keepdim=True)
        e = torch.sub(zk, m).add_(g).clamp_(min=_FLOOR).exp_()
        s = e.sum(dim=1, keepdim=True)
        loss, p, q = _finish(*_softmax_parts(z), e, m, s)
        return loss, p.scatter_add_(1, nbr, q.neg_())

    setup_context = _DenseSimLoss.setup_context

    @staticmethod
    def backward(ctx, grad, _unused):
        (d,) = ctx.saved_tensors
        return d * grad[:, None], None, None, None


def fused_simloss(z: torch.Tensor, y: torch.Tensor, tables) -> torch.Tensor:
    """Per-sample SimLoss of (M, C) logits from :class:`simmatrix.log_similarity.Tables`."""
    if tables.sparse:
        return _SparseSimLoss.apply(z, y, tables.indices, tables.log_values)[0]
    return _DenseSimLoss.apply(z, y, tables.log_S)[0]
