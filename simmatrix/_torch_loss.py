"""SimLoss for torch as autograd functions: exact, one saved M×C tensor, gradient ``p - q``.

With ``p = softmax(z)``, ``g = log S[y]`` and ``q = softmax(z + g) = p ⊙ S[y] / s``, per
sample::

    s = Σ_c p_c S[y, c],   L = -log s = -log1p(-u),   u = Σ_c p_c (1 - S[y, c]),   dL/dz = p - q

Eager torch runs as few passes over the M×C data as it can, since each op is one pass
through memory: ``p`` from one ``torch.softmax``, ``S[y]`` up to a row factor from a second
``torch.softmax`` of ``g`` (its ``exp`` is faster than ``torch.exp``), their product, one
sum and the gradient in one ``addcdiv``. Which rows this serves is decided per row, and a
row that falls outside is recomputed by the exact log-space kernel (:func:`_exact_dense`):

- a loss above ``log 4`` (``s < 1/4``) is ``-log s``, exact to float32 rounding; a smaller
  loss is ``-log1p(-u)`` with ``1 - S = -expm1(g)`` summed term by term, so it keeps its
  relative digits (``-log s`` would keep only ``eps`` absolute). When most rows of a batch
  have ``p_y ≥ 1/2`` (late training), the batch is computed from ``expm1(g)`` directly;
- a row with ``s < e^-12`` (a loss above 12) goes to the log-space kernel, where no
  probability is formed that could underflow and ``z - m`` is taken with ``m =
  max(z + g)`` *before* ``g`` is added: at logits of 1e4 adding ``log 0.5`` first would
  round it to float32's spacing there, about 1e-3.

Under ``torch.compile``, ``vmap`` or ``torch.func.grad`` (where Python cannot look at the
values) every row takes the log-space kernel, which inductor fuses. Arguments of ``exp`` in
that kernel are floored at ``_FLOOR = -80`` (``e^-80 ≈ 1.8e-35``): torch's CPU ``exp`` is
3-20x slower on arguments whose result is 0, underflows or is denormal. The functions
define ``setup_context`` and ``generate_vmap_rule``, so ``torch.func.grad``/``vmap`` and
``torch.compile(fullgraph=True)`` trace them.
"""

from __future__ import annotations

import math

import torch

_FLOOR = -80.0
_LOG_TINY = -12.0  # rows with s below e^-12 (a loss above 12) use the log-space kernel
_TINY = math.exp(_LOG_TINY)


def _concrete(z: torch.Tensor) -> bool:
    """Whether Python may look at values (not traced by compile, vmap or torch.func)."""
    return not (torch.compiler.is_compiling()
                or torch._C._functorch.is_functorch_wrapped_tensor(z))


def _loss(u, log_s):
    """``-log1p(-u)`` where the loss is below ``log 4``, else ``-log s`` (both exact there)."""
    small = u < 0.75
    return torch.where(small, -torch.log1p(-torch.where(small, u, 0.0)), -log_s)


def _one_minus(g):
    """``1 - S = -expm1(log S)``, exact where ``S`` is near 1."""
    if torch.compiler.is_compiling():  # inductor writes expm1 as exp - 1 (19% off at 1e-7)
        return torch.where(g > -0.5, _series_one_minus(g), 1.0 - torch.exp(g))
    return torch.expm1(g).neg_()


def _series_one_minus(g):
    """``1 - e^g = x (1 - x/2! (1 - x/3 (...)))``, ``x = -g``, 9 terms: within 1e-8
    relative for ``g > -1/2`` (the argument is clamped there; use it only there)."""
    x = g.clamp(min=-0.5).neg()
    acc = 1.0 - x / 9.0
    for k in range(8, 1, -1):
        acc = 1.0 - x / k * acc
    return x * acc


# -- the log-space kernel: exact everywhere ----------------------------------------------------
def _exact_dense(z, g):
    """Loss and ``p - q`` of (M, C) logits ``z`` and rows ``g = log S[y]``, in log space."""
    mz = z.amax(dim=1, keepdim=True)
    m = torch.add(z, g).amax(dim=1, keepdim=True)  # a shift only: rounding is harmless
    e = torch.sub(z, m).add_(g).clamp_(min=_FLOOR).exp_()
    return _finish(z, mz, m, e, g, None)


def _exact_sparse(z, nbr, g):
    """:func:`_exact_dense` for a top-k table: ``g`` holds ``log S`` at the columns ``nbr``."""
    mz = z.amax(dim=1, keepdim=True)
    zk = torch.gather(z, 1, nbr)
    m = torch.add(zk, g).amax(dim=1, keepdim=True)
    e = torch.sub(zk, m).add_(g).clamp_(min=_FLOOR).exp_()
    return _finish(z, mz, m, e, g, nbr)


def _finish(z, mz, m, e, g, nbr):
    """Loss ``(mz - m) + log(Σ e_p / Σ e)`` or ``-log1p(-u)``, and ``p - q``."""
    ep = torch.sub(z, mz).clamp_(min=_FLOOR).exp_()
    sp = ep.sum(dim=1, keepdim=True)
    s = e.sum(dim=1, keepdim=True)
    one_minus = _one_minus(g)
    if nbr is None:
        u = (ep * one_minus).sum(dim=1)
    else:
        ek = torch.gather(ep, 1, nbr)
        u = (ek * one_minus).masked_fill_(g == -math.inf, 0.0).sum(dim=1)
        u = u + ep.scatter(1, nbr, 0.0).sum(dim=1)  # the columns S holds no entry for
    loss = _loss(u / sp.squeeze(1), (m - mz).squeeze(1) - torch.div(sp, s).log_().squeeze(1))
    p, q = ep.div_(sp), e.div_(s)
    return loss, (p.sub_(q) if nbr is None else p.scatter_add_(1, nbr, q.neg_()))


# -- the fast eager kernel ------------------------------------------------------------------------
def _dense_fast(z, y, log_S):
    """Loss, ``p - q`` and the rows it could not serve (``None`` if none), in few passes.

    When most rows have ``p_y >= 1/2`` (late training) the batch is computed from
    ``expm1(log S[y])`` (:func:`_near`) and its rows with ``u > 1/2`` from ``softmax(log
    S[y])`` (:func:`_far`); otherwise every row from :func:`_far`.
    """
    p = torch.softmax(z, dim=1)
    if 2 * int((torch.gather(p, 1, y[:, None]) >= 0.5).sum()) < p.shape[0]:
        return _far(p, y, torch.index_select(log_S, 0, y))
    loss, d, rest = _near(p, torch.index_select(log_S, 0, y))
    if rest is None:
        return loss, d, None
    rows, p_rest = rest
    loss_r, d_r, bad = _far(p_rest, y[rows], torch.index_select(log_S, 0, y[rows]))
    loss[rows], d[rows] = loss_r, d_r
    return loss, d, None if bad is None else rows[bad]


def _near(p, g):
    """Rows with a loss below ``log 2`` from ``w = expm1(g)``: ``u = -Σ p w`` and ``p S = p
    + p w`` (to within ``eps·p``, ample where ``s >= 1/2``). Also returns the other rows
    and their ``p`` (taken before ``p`` becomes the gradient), or ``None``."""
    t = g.expm1_().mul_(p)
    u = t.sum(dim=1).neg_()
    t.add_(p)
    s = t.sum(dim=1, keepdim=True)
    far = u > 0.5
    rest = None
    if bool(far.any()):
        rows = far.nonzero().squeeze(1)
        rest = rows, p[rows]
    return -torch.log1p(-u), p.addcdiv_(t, s, value=-1.0), rest


def _far(p, y, g):
    """Rows from ``r = softmax(g) = S[y] / Σ S[y]``: ``s = Σ r p / r_y`` (``S[y, y] = 1``),
    losses below ``log 4`` from ``u`` on those rows; rows with ``s < e^-12`` not served."""
    r = torch.softmax(g, dim=1)
    ry = torch.gather(r, 1, y[:, None])  # S[y, y] / Σ S[y] (1 / Σ S[y] for a valid S)
    t = r.mul_(p)
    s = t.sum(dim=1, keepdim=True)
    log_s = torch.div(s, ry).log_().add_(torch.gather(g, 1, y[:, None])).squeeze(1)
    loss = -log_s
    small = log_s > -math.log(4.0)
    n_small = int(small.sum())
    if 4 * n_small > p.shape[0]:  # losses below log 4: -log1p(-u) keeps their digits
        u = (p * g.expm1_()).sum(dim=1).neg_()  # many rows: all at once, no gather
        loss = torch.where(small, -torch.log1p(-u.clamp_(max=0.75)), loss)
    elif n_small:
        rows = small.nonzero().squeeze(1)
        u = (p[rows] * g[rows].expm1_()).sum(dim=1).neg_()
        loss = loss.index_put_((rows,), -torch.log1p(-u))
    return loss, p.addcdiv_(t, s, value=-1.0), _rows((log_s < _LOG_TINY) | (ry.squeeze(1) < _TINY))


def _sparse_fast(z, nbr, g):
    """:func:`_dense_fast` for a top-k table (``g = log S`` at the columns ``nbr``)."""
    p = torch.softmax(z, dim=1)
    pk = torch.gather(p, 1, nbr).masked_fill_(g == -math.inf, 0.0)  # padding counts 0
    t = torch.exp(g).mul_(pk)
    s = t.sum(dim=1, keepdim=True)
    u = torch.expm1(g).mul_(pk).sum(dim=1).neg_()
    d = p.scatter_(1, nbr, 0.0)
    u = u + d.sum(dim=1)  # the mass on columns S holds no entry for, summed exactly
    d.scatter_add_(1, nbr, pk.sub_(t.div_(s)))
    log_s = s.log_().squeeze(1)
    return _loss(u, log_s), d, _rows(log_s < _LOG_TINY)


def _rows(mask):
    return mask.nonzero().squeeze(1) if bool(mask.any()) else None


class _DenseSimLoss(torch.autograd.Function):
    generate_vmap_rule = True

    @staticmethod
    def forward(z, y, log_S):
        if not _concrete(z):
            return _exact_dense(z, torch.index_select(log_S, 0, y))
        loss, d, bad = _dense_fast(z, y, log_S)
        if bad is not None:
            loss[bad], d[bad] = _exact_dense(z[bad], torch.index_select(log_S, 0, y[bad]))
        return loss, d

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
        if not _concrete(z):
            return _exact_sparse(z, nbr, g)
        loss, d, bad = _sparse_fast(z, nbr, g)
        if bad is not None:
            loss[bad], d[bad] = _exact_sparse(z[bad], nbr[bad], g[bad])
        return loss, d

    setup_context = _DenseSimLoss.setup_context

    @staticmethod
    def backward(ctx, grad, _unused):
        (d,) = ctx.saved_tensors
        return d * grad[:, None], None, None, None


class _TracedDenseSimLoss(torch.autograd.Function):
    """The log-space kernel for traced code, saving only per-row numbers: the backward
    recomputes ``p - q`` from ``z`` and ``log S[y]``, which inductor fuses into one pass
    (saving the M×C gradient from the forward was 20% slower compiled)."""

    generate_vmap_rule = True

    @staticmethod
    def forward(z, y, log_S):
        g = torch.index_select(log_S, 0, y)
        mz = z.amax(dim=1, keepdim=True)
        m = torch.add(z, g).amax(dim=1, keepdim=True)
        ep = torch.sub(z, mz).clamp(min=_FLOOR).exp()
        e = torch.sub(z, m).add(g).clamp(min=_FLOOR).exp()
        sp, s = ep.sum(dim=1, keepdim=True), e.sum(dim=1, keepdim=True)
        # u·Σe_p = Σ e_p (1 - S): for S < e^-1/2 as e_p - e·exp(m - max z) (no cancellation,
        # no extra exp); near S = 1 from the series of 1 - S (inductor's expm1 is exp - 1)
        terms = torch.where(g > -0.5, ep * _series_one_minus(g),
                            ep - e * torch.exp(m - mz))
        u = terms.sum(dim=1) / sp.squeeze(1)
        loss = _loss(u, (m - mz).squeeze(1) - torch.log(sp / s).squeeze(1))
        return loss, mz, m, sp, s

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.mark_non_differentiable(*output[1:])
        ctx.save_for_backward(inputs[0], inputs[1], inputs[2], *output[1:])

    @staticmethod
    def backward(ctx, grad, *_unused):
        z, y, log_S, mz, m, sp, s = ctx.saved_tensors
        g = torch.index_select(log_S, 0, y)
        p = torch.sub(z, mz).clamp(min=_FLOOR).exp() / sp
        q = torch.sub(z, m).add(g).clamp(min=_FLOOR).exp() / s
        return (p - q) * grad[:, None], None, None


def fused_simloss(z: torch.Tensor, y: torch.Tensor, tables) -> torch.Tensor:
    """Per-sample SimLoss of (M, C) logits from :class:`simmatrix.log_similarity.Tables`."""
    if tables.sparse:
        return _SparseSimLoss.apply(z, y, tables.indices, tables.log_values)[0]
    if not _concrete(z):
        return _TracedDenseSimLoss.apply(z, y, tables.log_S)[0]
    return _DenseSimLoss.apply(z, y, tables.log_S)[0]


class _SoftLabelCE(torch.autograd.Function):
    """Cross-entropy to ``q = softmax(log S[y])`` (dense) or to ``q`` on the columns ``nbr``:
    ``L = -Σ q log p``, ``dL/dz = p - q``, from two ``softmax`` passes and one product."""

    generate_vmap_rule = True

    @staticmethod
    def forward(z, g, nbr):
        q = torch.softmax(g, dim=1)
        lp = torch.log_softmax(z, dim=1)
        if nbr is None:
            loss = (q * lp).sum(dim=1).neg_()
            # log_softmax's backward of -q is exp(lp)·Σq - q = p - q, in one fused pass
            return loss, torch._log_softmax_backward_data(q.neg_(), lp, 1, lp.dtype)
        loss = (q * torch.gather(lp, 1, nbr)).sum(dim=1).neg_()
        return loss, torch.softmax(z, dim=1).scatter_add_(1, nbr, q.neg_())

    setup_context = _DenseSimLoss.setup_context

    @staticmethod
    def backward(ctx, grad, _unused):
        (d,) = ctx.saved_tensors
        return d * grad[:, None], None, None


def soft_label_ce(z: torch.Tensor, y: torch.Tensor, tables) -> torch.Tensor:
    """Per-sample soft-label cross-entropy of (M, C) logits to ``S[y] / Σ S[y]``."""
    if tables.sparse:
        nbr = torch.index_select(tables.indices, 0, y)
        return _SoftLabelCE.apply(z, torch.index_select(tables.log_values, 0, y), nbr)[0]
    return _SoftLabelCE.apply(z, torch.index_select(tables.log_S, 0, y), None)[0]
