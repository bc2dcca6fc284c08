"""The exact SimLoss kernel for jax: per-example value and a hand-written derivative.

For one example with logits ``z``, label ``y``, ``g = log S[y]`` (``-inf`` for zero
similarity) and ``e = exp(z - s)`` for a per-row shift ``s``::

    U = Σ_c (1 - S[y, c]) e_c          W = Σ_c S[y, c] e_c          (U + W = Σ e)
    L = -log Σ_c S[y, c] p_c = log((U + W) / W) = log1p(U / W)
    dL/dz = p - q,   p = e / (U + W),   q = S[y] e / W = softmax(z + log S[y])

``U`` and ``W`` are sums of non-negative terms, each computed to a few ulps (``1 - S`` as
``-expm1(log S)``; the rounding of ``z - s`` compensated by Knuth's TwoSum), so ``L`` is
exact in relative terms at every size: a loss of 1e-17 keeps its digits, as one of 700.

The shift is the label's own logit, ``s = z_y``: then ``W ≥ S[y, y] = 1`` cannot underflow
and no pass is spent on ``max z``. Only if ``Σ e`` overflows somewhere in the batch (a logit
~80 above the label's) or ``W`` is tiny (``S[y, y] < 1``) does the batch take the slow
branch of a ``lax.cond``: shift by ``max z``, and ``W = exp(max t) Σ exp(t - max t)`` with
``t = z - max z + log S[y]`` carried exactly as two floats (any gap, similarities of 1e-300).

Cost as XLA compiles it on CPU, where each row sum reads a materialised B×C buffer: the
gather of ``log S[y]``, ``e``, the two sums (with ``expm1`` and ``exp`` of ``log S[y]``
inside), ``p - q = e (1/(U + W) - S[y]/W)`` and the backward's scaling of it (the tangent
of a ``jax.custom_jvp``, which reverse mode transposes); optax's cross-entropy makes the
max, ``e``, one sum and the backward. A top-k table never densifies ``S``: ``U`` is one
dense sum of ``e`` weighted by a row of ones with the k stored ``1 - S`` scattered in,
``W`` a sum over the k columns, and the derivative takes ``q`` at the k columns.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

# W below this in some row sends the batch through the slow branch
_TINY = 2.0**-60


def _two_sum_err(a, b, s):
    """The rounding error of ``s = a + b`` (Knuth): ``a + b = s + err`` exactly."""
    bb = s - a
    return (a - (s - bb)) + (b - bb)


def _exp_from(z, s):
    """``exp(z - s)`` for a per-row shift ``s`` (N, 1), the subtraction's rounding undone."""
    d = z - s
    e = jnp.exp(d)
    return e + e * jnp.where(d > -jnp.inf, _two_sum_err(z, -s, d), 0)


def _max_shift(z):
    m = jnp.max(z, axis=-1, keepdims=True)
    return jnp.where(jnp.isfinite(m), m, 0)


def _log_terms(z, m, g):
    """``exp(t - max t)`` for ``t = (z - m) + g`` carried exactly (two floats), and ``max t``."""
    d = z - m
    t = d + g
    lo = _two_sum_err(z, -m, d) + _two_sum_err(d, g, t)
    lo = jnp.where(t > -jnp.inf, lo, 0)
    shift = _max_shift(t)
    w = jnp.exp(t - shift)
    return w + w * lo, shift


def _by_rows(fn, *arrays):
    """``fn`` on 8 rows at a time (``lax.map``): the rare slow branch keeps row-sized
    temporaries (whole-batch ones, allocated on every call, cost the fast path ~2x at C = 1e4)."""
    return lax.map(lambda a: jax.tree.map(lambda x: x[0], fn(*(x[None] for x in a))), arrays,
                   batch_size=8)


def _fast(U, W):
    """Shifting by the label's logit is safe: ``Σ e`` finite, ``W ≥ S[y, y] e_y`` not tiny."""
    return jnp.all(jnp.isfinite(U + W) & (W >= _TINY))


def _slow_finish(e, U, w, shift):
    """Loss, ``p`` and ``q`` from max-shifted ``e`` and the exact shifted terms ``w`` of W."""
    W_shifted = jnp.sum(w, axis=-1)
    W = W_shifted * jnp.exp(shift[..., 0])
    under = W < _TINY
    A = U + W
    loss = jnp.where(under, jnp.log(A) - shift[..., 0] - jnp.log(W_shifted),
                     jnp.log1p(U / jnp.where(under, 1, W)))
    r_W = jnp.where(W_shifted > 0, 1 / W_shifted, 0)
    return loss, e * (1 / A)[:, None], w * r_W[:, None]


# -- dense log S[y] rows --------------------------------------------------------------------------
@jax.custom_jvp
def dense_loss(z, zy, g):
    """Per-example loss for logits ``z`` (N, C), the label's logit ``zy`` (N, 1) and the
    gathered rows ``g = log S[y]`` (N, C). ``zy`` only shifts: it gets no derivative."""
    return _dense_fwd(z, zy, g)[0]


def _dense_sums(z, s, g):
    e = _exp_from(z, s)
    return e, jnp.sum(-jnp.expm1(g) * e, axis=-1), jnp.sum(jnp.exp(g) * e, axis=-1)


def _dense_slow(z, g):
    """Shifted by ``max z``, with ``W`` in shifted form: any logit gap, any similarity."""
    m = _max_shift(z)
    e, U, _ = _dense_sums(z, m, g)
    return _slow_finish(e, U, *_log_terms(z, m, g))


def _dense_fwd(z, zy, g):
    e, U, W = _dense_sums(z, zy, g)
    fast = _fast(U, W)
    # each branch returns per-row values only: returning a B×C array from lax.cond copies it
    loss = lax.cond(fast, lambda: jnp.log1p(U / W),
                    lambda: _by_rows(lambda a, b: _dense_slow(a, b)[0], z, g))
    return loss, (z, g, e, 1 / (U + W), 1 / W, fast)


def _dense_jvp(primals, tangents):
    """``dL = Σ (p - q) dz - Σ q d(log S[y])``; reverse mode transposes it, keeping ``p - q``."""
    z, zy, g = primals
    dz, _, dg = tangents
    loss, (z, g, e, r_A, r_W, fast) = _dense_fwd(z, zy, g)

    def fast_pq():
        q = jnp.exp(g) * e * r_W[:, None]
        return e * r_A[:, None] - q, q

    def slow_pq():
        def row(a, b):
            _, p, q = _dense_slow(a, b)
            return p - q, q

        return _by_rows(row, z, g)

    p_q, q = lax.cond(fast, fast_pq, slow_pq)
    out = jnp.sum(p_q * _dense(dz, z), axis=-1)
    if not isinstance(dg, jax.custom_derivatives.SymbolicZero):
        out = out - jnp.sum(q * dg, axis=-1)
    return loss, out


def _dense(t, like):
    return jnp.zeros_like(like) if isinstance(t, jax.custom_derivatives.SymbolicZero) else t


dense_loss.defjvp(_dense_jvp, symbolic_zeros=True)


# -- top-k: (N, k) stored columns and their log S --------------------------------------------------
@jax.custom_jvp
def sparse_loss(z, zy, nbr, g):
    """Per-example loss for logits ``z`` (N, C), the label's logit ``zy`` (N, 1), stored
    columns ``nbr`` and their ``g = log S`` (N, k). Padding (``g = -inf``) may repeat a column.
    """
    return _sparse_fwd(z, zy, nbr, g)[0]


def _sparse_U(z, s, nbr, g):
    """``e = exp(z - s)`` and ``U = Σ (1 - S) e``: a row of ones with the k stored ``1 - S``
    scattered in (``min``, so a padding entry cannot undo a stored one)."""
    e = _exp_from(z, s)
    rows = jnp.arange(z.shape[0])[:, None]
    weight = jnp.ones_like(e).at[rows, nbr].min(-jnp.expm1(g), mode="promise_in_bounds")
    return e, jnp.sum(weight * e, axis=-1)


def _sparse_slow(z, nbr, g):
    m = _max_shift(z)
    e, U = _sparse_U(z, m, nbr, g)
    return _slow_finish(e, U, *_log_terms(jnp.take_along_axis(z, nbr, axis=-1), m, g))


def _sparse_fwd(z, zy, nbr, g):
    e, U = _sparse_U(z, zy, nbr, g)
    q_num = jnp.exp(g) * _exp_from(jnp.take_along_axis(z, nbr, axis=-1), zy)
    W = jnp.sum(q_num, axis=-1)
    fast = _fast(U, W)
    loss = lax.cond(fast, lambda: jnp.log1p(U / W),
                    lambda: _by_rows(lambda a, n, b: _sparse_slow(a, n, b)[0], z, nbr, g))
    return loss, (z, nbr, g, e, q_num, 1 / (U + W), 1 / W, fast)


def _sparse_jvp(primals, tangents):
    """``dL = Σ p dz - Σ_k q_k (dz[nbr_k] + d log S_k)``."""
    z, zy, nbr, g = primals
    dz, _, _, dg = tangents
    loss, (z, nbr, g, e, q_num, r_A, r_W, fast) = _sparse_fwd(z, zy, nbr, g)
    p, q = lax.cond(fast, lambda: (e * r_A[:, None], q_num * r_W[:, None]),
                    lambda: _by_rows(lambda a, n, b: _sparse_slow(a, n, b)[1:], z, nbr, g))
    dz = _dense(dz, z)
    out = jnp.sum(p * dz, axis=-1) - jnp.sum(q * jnp.take_along_axis(dz, nbr, axis=-1), axis=-1)
    if not isinstance(dg, jax.custom_derivatives.SymbolicZero):
        out = out - jnp.sum(q * dg, axis=-1)
    return loss, out


sparse_loss.defjvp(_sparse_jvp, symbolic_zeros=True)
