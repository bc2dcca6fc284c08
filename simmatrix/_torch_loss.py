"""SimLoss for torch fused by hand: one saved B×C tensor, gradient ``p - q`` in one pass.

Autograd through the generic formula keeps five B×C intermediates and runs about ten passes
over them; this computes the same value ``-LSE(log_softmax(z) + log S[y])`` in place and
saves only ``p - q`` for the backward pass (``p = softmax(z)``, ``q`` the posterior
``S[y] p / Σ S[y] p``). Used by :func:`simmatrix.simloss` for torch logits when ``S`` needs
no gradient; ``torch.compile(fullgraph=True)`` traces it.
"""

from __future__ import annotations

import torch
from torch.autograd.function import once_differentiable


class _DenseSimLoss(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z, y, log_S):
        lp = torch.log_softmax(z, dim=1)
        a = torch.index_select(log_S, 0, y).add_(lp)
        m = a.amax(dim=1, keepdim=True)
        q = a.sub_(m).exp_()
        s = q.sum(dim=1, keepdim=True)
        q.div_(s)
        ctx.save_for_backward(lp.exp_().sub_(q))
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
        q = a.sub_(m).exp_()
        s = q.sum(dim=1, keepdim=True)
        q.div_(s)
        ctx.save_for_backward(lp.exp_().scatter_add_(1, nbr, q.neg_()))
        return (s.log_().add_(m)).neg_().squeeze(1)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        (d,) = ctx.saved_tensors
        return d * grad[:, None], None, None, None


def fused_simloss(z: torch.Tensor, y: torch.Tensor, tables: tuple) -> torch.Tensor:
    """Per-sample SimLoss; ``tables`` is ``(log_S,)`` or ``(indices, log_values)``."""
    if len(tables) == 1:
        return _DenseSimLoss.apply(z, y, tables[0])
    return _SparseSimLoss.apply(z, y, tables[0], tables[1])
