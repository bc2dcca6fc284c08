"""The exact SimLoss kernel for jax: per-example value and a hand-written backward pass.

For one example with logits ``z``, label ``y`` and ``g = log S[y]`` (``-inf`` for zero
similarity), with ``m = max z`` and ``e = exp(z - m)``::

    U = Σ_c (1 - S[y, c]) e_c          W = Σ_c S[y, c] e_c          (U + W = Σ e)
    L = -log Σ_c S[y, c] p_c = log((U + W) / W) = log1p(U / W)
    dL/dz = p - q,   p = e / (U + W),   q = S[y] e / W = softmax(z + log S[y])

``U`` and ``W`` are sums of non-negative terms, each computed to a few ulps (``1 - S`` as
``-expm1(log S)``; the rounding of ``z - m`` compensated by Knuth's TwoSum), so ``L`` is
exact in relative terms at every size: a loss of 1e-12 keeps its digits, as a loss of 700
does. Where ``W`` underflows (the label's similar classes more than ~40 below the largest
logit, or similarities like 1e-300), the batch takes a second, shifted pass: ``t = z - m +
log S[y]`` held exactly as a sum of two floats, ``W = exp(max t) Σ exp(t - max t)``.

Cost, as XLA compiles it on CPU (each row reduction reads a materialised B×C buffer): the
maximum, ``e``, the two sums and one backward pass; the backward reuses ``e`` and
``S[y] e`` from the forward (``jax.custom_vjp``), so a step makes no B×C array beyond the
gathered ``log S[y]``, ``e`` and ``S[y] e``. A top-k table never densifies ``S``: its ``U``
is one dense sum of ``e`` weighted by a row of ones with the k stored ``1 - S`` scattered in.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

# W below this in some row sends the batch through the shifted pass (L > 41 in that row)
_TINY = 2.0**-60


def _two_sum_err(a, b, s):
    """The rounding error of ``s = a + b`` (Knuth): ``a + b = s + err`` exactly."""
    bb = s - a
    return (a - (s - bb)) + (b - bb)


def _shifted_exp(z):
    """``m = max z`` (0 for a row of ``-inf``) and ``exp(z - m)``, the subtraction exact."""
    m = jnp.max(z, axis=-1, keepdims=True)
    m = jnp.where(jnp.isfinite(m), m, 0)
    d = z - m
    err = jnp.where(d > -jnp.inf, _two_sum_err(z, -m, d), 0)
    e = jnp.exp(d)
    return m, e + e * err


def _log_terms(z, m, g, shift=None):
    """``exp(t - shift)`` for ``t = (z - m) + g`` carried exactly, and the shift (``max t``)."""
    d = z - m
    t = d + g
    lo = _two_sum_err(z, -m, d) + _two_sum_err(d, g, t)
    lo = jnp.where(t > -jnp.inf, lo, 0)
    if shift is None:
        shift = jnp.max(t, axis=-1, keepdims=True)
        shift = jnp.where(jnp.isfinite(shift), shift, 0)
    w = jnp.exp(t - shift)
    return w + w * lo, shift


def _finish(U, W, log_A, shift, W_shifted, under):
    """The loss from the sums, and the per-row ``1 / Σ`` the backward pass needs."""
    loss = jnp.where(under, log_A - shift[..., 0] - jnp.log(W_shifted), jnp.log1p(U / W))
    r_W = jnp.where(W_shifted > 0, 1 / W_shifted, 0)
    return loss, 1 / (U + W), r_W


# -- dense log S[y] rows --------------------------------------------------------------------------
@jax.custom_vjp
def dense_loss(z, g):
    """Per-example loss for logits ``z`` (N, C) and gathered rows ``g = log S[y]`` (N, C)."""
    return _dense_fwd(z, g)[0]


def _dense_fwd(z, g):
    m, e = _shifted_exp(z)
    q_num = jnp.exp(g) * e
    U = jnp.sum(-jnp.expm1(g) * e, axis=-1)
    W = jnp.sum(q_num, axis=-1)
    under = W < _TINY
    any_under = jnp.any(under)

    def shifted(_):
        w, shift = _log_terms(z, m, g)
        return shift, jnp.sum(w, axis=-1)

    shift, W_shifted = lax.cond(any_under, shifted,
                                lambda _: (jnp.zeros_like(m), W), None)
    shift = jnp.where(under[:, None], shift, 0)
    W_shifted = jnp.where(under, W_shifted, W)
    loss, r_A, r_W = _finish(U, W, jnp.log(U + W), shift, W_shifted, under)
    return loss, (z, g, m, e, q_num, r_A, r_W, shift, any_under)


def _dense_bwd(res, ct):
    z, g, m, e, q_num, r_A, r_W, shift, any_under = res
    c = ct[:, None]
    p = e * (r_A[:, None] * c)

    def grads(q_num):
        q = q_num * (r_W[:, None] * c)
        return p - q, -q

    # each branch writes the gradient itself: a branch returning q_num would copy it
    return lax.cond(any_under, lambda _: grads(_log_terms(z, m, g, shift)[0]),
                    lambda _: grads(q_num), None)


dense_loss.defvjp(_dense_fwd, _dense_bwd)


# -- top-k: (N, k) stored columns and their log S --------------------------------------------------
@jax.custom_vjp
def sparse_loss(z, nbr, g):
    """Per-example loss for logits ``z`` (N, C), stored columns ``nbr`` and ``g`` (N, k).

    Padding entries (``g = -inf``) may repeat a column: they weigh nothing.
    """
    return _sparse_fwd(z, nbr, g)[0]


def _sparse_fwd(z, nbr, g):
    m, e = _shifted_exp(z)
    rows = jnp.arange(z.shape[0])[:, None]
    # 1 - S for every class: 1 off the stored columns; min, so padding cannot undo a stored one
    weight = jnp.ones_like(e).at[rows, nbr].min(-jnp.expm1(g), mode="promise_in_bounds")
    U = jnp.sum(weight * e, axis=-1)
    zk = jnp.take_along_axis(z, nbr, axis=-1)
    w, shift = _log_terms(zk, m, g)  # k columns: always the exact, shifted form
    W_shifted = jnp.sum(w, axis=-1)
    W = W_shifted * jnp.exp(shift[..., 0])
    under = W < _TINY
    loss, r_A, r_W = _finish(U, W, jnp.log(U + W), shift, W_shifted, under)
    return loss, (nbr, e, w * r_W[:, None], r_A)


def _sparse_bwd(res, ct):
    nbr, e, q, r_A = res
    c = ct[:, None]
    q = q * c
    rows = jnp.arange(e.shape[0])[:, None]
    dz = (e * (r_A[:, None] * c)).at[rows, nbr].add(-q, mode="promise_in_bounds")
    return dz, None, -q


sparse_loss.defvjp(_sparse_fwd, _sparse_bwd)
