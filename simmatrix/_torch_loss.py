"""SimLoss for eager torch, fused by hand: one saved B×C tensor, gradient ``p - q``.

Autograd through the generic formula keeps several B×C intermediates and runs about ten
passes over them. Here, with ``p = softmax(z)`` and ``t = S[y] · p``::

    L = -log Σ_c t_c,        dL/dz = p - q,   q = t / Σ_c t_c

computed in a few in-place passes, saving only ``p - q`` for the backward pass. Rows where
``Σ t`` is below ``_TINY`` (a loss above 34.5, where products of small probabilities lose
digits) are recomputed in log space, ``-LSE(log_softmax(z) + log S[y])``, so the result is
exact everywhere, e.g. at logits of ±1e4 in float32.

The dense path takes ``p`` from ``torch.softmax`` (one fused pass), which at B = 1024,
C = 1000 made the whole forward + backward about twice as fast as ``log_softmax`` followed
by ``exp``. In the sparse path probabilities are floored at ``exp(_FLOOR)`` ≈ 1.8e-35
before ``exp``: torch's CPU ``exp`` is ~10x slower on arguments whose result underflows;
the floor changes ``Σ q`` by at most ``k · 1.8e-35``. Matrices or logits that produce
denormal floats (``0.5 ** 130`` in float32, say) are slow on CPUs without flush-to-zero in
every formulation, cross-entropy's backward included.

Used by :func:`simmatrix.simloss` for torch logits in eager mode when ``S`` needs no
gradient (under ``torch.compile`` inductor fuses the generic formula instead).
"""

from __future__ import annotations

import torch
from torch.autograd.function import once_differentiable

_FLOOR = -80.0
_TINY = 1e-15


class _DenseSimLoss(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z, y, S):
        p = torch.softmax(z, dim=1)  # one fused pass; log_softmax + exp took two
        t = torch.index_select(S, 0, y).mul_(p)
        s = t.sum(dim=1, keepdim=True)
        d = p.addcdiv_(t, s, value=-1.0)  # p - q
        low = s.squeeze(1) < _TINY
        loss = s.log_().neg_().squeeze(1)
        if bool(low.any()):
            rows = low.nonzero().squeeze(1)
            lp = torch.log_softmax(z[rows], dim=1)
            a = lp + torch.index_select(S, 0, y[rows]).log()  # log 0 = -inf, no grad
            loss[rows] = -torch.logsumexp(a, dim=1)
            d[rows] = lp.exp() - torch.softmax(a, dim=1)
        ctx.save_for_backward(d)
        return loss

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        (d,) = ctx.saved_tensors
        return d * grad[:, None], None, None


class _SparseSimLoss(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z, y, indices, log_values):
        lp = torch.log_softmax(z, dim=1)
        nbr = torch.index_select(indices, 0, y)
        a = torch.gather(lp, 1, nbr).add_(torch.index_select(log_values, 0, y))
        m = a.amax(dim=1, keepdim=True)
        q = a.sub_(m).clamp_(min=_FLOOR).exp_()
        s = q.sum(dim=1, keepdim=True)
        q.div_(s)
        ctx.save_for_backward(lp.clamp_(min=_FLOOR).exp_().scatter_add_(1, nbr, q.neg_()))
        return (s.log_().add_(m)).neg_().squeeze(1)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        (d,) = ctx.saved_tensors
        return d * grad[:, None], None, None, None


def use_fused() -> bool:
    """In eager mode; under ``torch.compile`` the generic formula fuses better."""
    return not torch.compiler.is_compiling()


def fused_simloss(z: torch.Tensor, y: torch.Tensor, tables) -> torch.Tensor:
    """Per-sample SimLoss from :class:`simmatrix.log_similarity.Tables` (dense ``S`` or top-k)."""
    if tables.sparse:
        return _SparseSimLoss.apply(z, y, tables.indices, tables.log_values)
    if tables.S is None:  # a dense log S only (e.g. LogSimilarity.from_log moved by hand)
        return _DenseSimLoss.apply(z, y, tables.log_S.exp())
    return _DenseSimLoss.apply(z, y, tables.S)
