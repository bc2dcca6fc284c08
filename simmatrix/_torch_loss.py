"""SimLoss for torch fused by hand: one saved B×C tensor, gradient ``p - q`` in one pass.

Autograd through the generic formula keeps five B×C intermediates and runs about ten passes
over them; this computes the same value ``-LSE(log_softmax(z) + log S[y])`` in place and
saves only ``p - q`` for the backward pass (``p = softmax(z)``, ``q`` the posterior
``S[y] p / Σ S[y] p``). Used by :func:`simmatrix.simloss` for torch logits when ``S`` needs
no gradient, in eager mode (under ``torch.compile`` inductor fuses the generic formula
better than it fuses this one).

Exponents are clamped at ``_FLOOR = -80`` before ``exp``: torch's CPU ``exp`` is ~10x slower
on arguments whose result underflows (``-inf`` for a zero similarity included). After the
row-max shift the largest term is ``exp(0) = 1``, so a floored term adds at most
``exp(-80) ≈ 1.8e-35`` per class to a sum ≥ 1: far below float32 and float64 resolution.
"""

from __future__ import annotations

import torch
from torch.autograd.function import once_differentiable

_FLOOR = -80.0


class _DenseSimLoss(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z, y, log_S):
        lp = torch.log_softmax(z, dim=1)
        a = torch.index_select(log_S, 0, y).add_(lp)
        m = a.amax(dim=1, keepdim=True)
        e = a.sub_(m).clamp_(min=_FLOOR).exp_()
        s = e.sum(dim=1, keepdim=True)
        ctx.save_for_backward(lp.clamp_(min=_FLOOR).exp_().addcdiv_(e, s, value=-1.0))  # p - q
        return (s.log_().add_(m)).neg_().squeeze(1)

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


def fused_simloss(z: torch.Tensor, y: torch.Tensor, tables: tuple) -> torch.Tensor:
    """Per-sample SimLoss; ``tables`` is ``(log_S,)`` or ``(indices, log_values)``."""
    if len(tables) == 1:
        return _DenseSimLoss.apply(z, y, tables[0])
    return _SparseSimLoss.apply(z, y, tables[0], tables[1])
