"""SimLoss for jax and optax training loops; importing this module imports jax.

:func:`simloss_with_integer_labels` has the signature and conventions of
``optax.losses.softmax_cross_entropy_with_integer_labels`` (per-example values, no
reduction, ``axis=`` and ``where=``), with the prepared similarity table as third argument.
:func:`make_simloss` prepares that table once and returns a :class:`SimLoss`, a callable
**pytree**: pass it to your jitted step as an argument, so the table is an input of the
compiled program rather than a constant baked into it (a dense table closed over by
``jax.jit`` is copied into the compiled program: at C = 10,000 that costs seconds of compile
time and twice the table's memory).

The table is ``log S`` in float32 (``-inf`` for zero similarity), or for a top-k sparse
``S`` the (C, k) column indices and their ``log S`` values: similarities far below
float32's range (``1e-300``) keep their exact logarithm. Logits in float16 or bfloat16 are
computed in float32 and the loss is returned in the logits' dtype, as optax does.

Numerics (:mod:`simmatrix._jax_loss`). For one example with logits ``z`` and
``g = log S[y]``, ``L = -log Σ_c S[y, c] softmax(z)_c = log1p(U / W)`` with
``U = Σ (1 - S[y]) e`` and ``W = Σ S[y] e`` (``e = exp(z - z_y)``): two sums of
non-negative terms, so the loss is exact in relative terms near 0 as at 700, and the
derivative ``softmax(z) - softmax(z + g)`` is written by hand (a ``custom_jvp``, so
``jax.grad``, ``jax.jvp``, ``jax.hessian`` and ``jax.vmap`` all work).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ._jax_loss import dense_loss, sparse_loss
from .errors import SimMatrixError
from .log_similarity import LogSimilarity, Tables
from .matrix import SimilarityMatrix

__all__ = ["SimLoss", "make_simloss", "simloss_with_integer_labels"]


# -- the table ---------------------------------------------------------------------------------
def _dense_log_table(S: Any, dtype: Any) -> np.ndarray:
    """``log S`` of a dense (C, C) array in ``dtype``, in row blocks (peak ≈ the result).

    The log is taken in float64 block by block, so entries below ``dtype``'s range keep
    their logarithm; only one (C, C) array of ``dtype`` is ever allocated.
    """
    if S.ndim != 2 or S.shape[0] != S.shape[1]:
        raise SimMatrixError(f"S must be a square C×C matrix, got shape {S.shape}")
    C = S.shape[0]
    # 64-byte aligned, so that jax.device_put shares this memory instead of copying it
    raw = np.empty(C * C * dtype.itemsize + 64, dtype=np.uint8)
    start = -raw.ctypes.data % 64
    out = raw[start : start + C * C * dtype.itemsize].view(dtype).reshape(C, C)
    step = max(1, min((1 << 15) // max(C, 1), C // 16))  # float64 blocks ≤ 256 kB, ≤ C/16 rows
    with np.errstate(divide="ignore"):  # log 0 = -inf: zero similarity
        for i in range(0, C, step):
            block = np.array(S[i : i + step], dtype=np.float64)
            out[i : i + step] = np.log(block, out=block)
    return out


def _table(S: Any, dtype: Any) -> Tables:
    """:class:`~simmatrix.loss.Tables` of jax arrays for any accepted form of ``S``."""
    import scipy.sparse as sp

    if isinstance(S, Tables):
        return S
    if isinstance(S, SimilarityMatrix):
        S = S.values
    if isinstance(S, LogSimilarity) or sp.issparse(S):
        table = S if isinstance(S, LogSimilarity) else LogSimilarity(S)
        if table.is_sparse:
            return Tables(indices=jnp.asarray(table.indices, dtype=jnp.int32),
                          log_values=jnp.asarray(table.log_values, dtype=dtype))
        return Tables(log_S=jnp.asarray(table.log_S, dtype=dtype))
    if isinstance(S, jax.Array):  # possibly traced (a learned S): log in jax
        return Tables(log_S=jnp.log(jnp.asarray(S, dtype=dtype)))
    if hasattr(S, "detach"):  # torch, without importing it
        S = S.detach().cpu().numpy()
    # on CPU, device_put shares an aligned numpy array's memory (jnp.asarray copies)
    return Tables(log_S=jax.device_put(_dense_log_table(np.asarray(S), np.dtype(dtype))))


# -- the optax-style function ------------------------------------------------------------------
def simloss_with_integer_labels(
    logits: Any,
    labels: Any,
    table: Any,
    axis: int | tuple[int, ...] = -1,
    where: Any = None,
) -> Any:
    r"""Per-example SimLoss from logits and integer labels, like optax's cross-entropy.

    .. math:: L_i = \mathrm{LSE}(z_i) - \mathrm{LSE}(z_i + \log S[y_i])
              = -\log \sum_c S[y_i, c]\, \mathrm{softmax}(z_i)_c

    Parameters
    ----------
    logits : jax array of shape (..., n_classes)
        Unnormalised log probabilities (float16, bfloat16, float32 or float64).
    labels : integer jax array of shape (...)
        Class indices in ``[0, n_classes)``. Outside a trace an out-of-range label raises
        :class:`~simmatrix.SimMatrixError` naming it; under ``jax.jit`` (where values are
        unknown) it makes that example's loss NaN, never a finite wrong value. Labels of
        examples excluded by ``where`` are not checked (padding may use -1).
    table : Tables, or jax array of shape (n_classes, n_classes)
        ``make_simloss(S).table`` (dense ``log S`` or top-k), or a dense ``log S`` with
        ``-inf`` for zero similarity (``jnp.log(S)``; traced, it gets a gradient).
    axis : int or tuple of int
        The class axis (axes), as in optax: with a tuple, ``n_classes`` is their total size
        and a label is a flat index into that slice.
    where : bool array of shape (...) or logits.shape, optional
        As in optax: ``False`` examples get loss 0 (and a zero gradient); with the shape of
        ``logits``, ``False`` classes get probability 0 (a label whose every similar class is
        excluded gets ``inf``).

    Returns
    -------
    jax array of shape (...)
        Per-example losses in the dtype of ``logits`` (computed in float32 for half
        precision); reduce with ``.mean()`` as with optax losses.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> log_S = jnp.log(jnp.eye(2))  # S = I: cross-entropy
    >>> round(float(simloss_with_integer_labels(jnp.zeros((1, 2)), jnp.array([0]), log_S)[0]), 6)
    0.693147
    """
    tables = table if isinstance(table, Tables) else Tables(log_S=jnp.asarray(table))
    n_classes = tables.n_classes
    logits, labels = jnp.asarray(logits), jnp.asarray(labels)
    if not jnp.issubdtype(logits.dtype, jnp.floating):
        raise SimMatrixError(f"logits must be a floating dtype, got {logits.dtype}")
    if not jnp.issubdtype(labels.dtype, jnp.integer):
        raise SimMatrixError(f"labels must be integer class indices, got dtype {labels.dtype}")
    z, where, batch_shape = _classes_last(logits, where, axis)
    if z.shape[-1] != n_classes:
        raise SimMatrixError(f"logits have {z.shape[-1]} classes but S has {n_classes}")
    if labels.shape != batch_shape:
        raise SimMatrixError(f"labels must have shape {batch_shape} to match logits "
                             f"{tuple(logits.shape)} (axis={axis}), got {tuple(labels.shape)}")
    z, y = z.reshape(-1, n_classes), labels.reshape(-1)
    keep = None
    if where is not None:
        where = where.reshape(-1, n_classes)
        keep = jnp.any(where, axis=-1)
    _check_labels(y, n_classes, keep)
    bad = (y < 0) | (y >= n_classes)
    y = jnp.where(bad, 0, y)
    dtype = jnp.promote_types(logits.dtype, jnp.float32)  # half precision in float32
    z = z.astype(dtype)
    if where is not None:  # excluded classes: probability 0; excluded rows: any finite row
        z = jnp.where(where | ~keep[:, None], z, -jnp.inf)
    per = _per_example(z, y, tables, dtype)
    per = jnp.where(bad, jnp.nan, per)
    if keep is not None:
        per = jnp.where(keep, per, 0.0)
    return per.astype(logits.dtype).reshape(batch_shape)


def _per_example(z, y, tables: Tables, dtype):
    """Per-example losses of (N, C) logits ``z`` (in ``dtype``) for in-range labels ``y``."""
    zy = jnp.take_along_axis(z, y[:, None], axis=-1)  # the shift (no gradient flows through it)
    if tables.sparse:
        nbr = jnp.take(tables.indices, y, axis=0)
        g = jnp.take(tables.log_values, y, axis=0).astype(dtype)
        return sparse_loss(z, zy, nbr, g)
    return dense_loss(z, zy, jnp.take(tables.log_S, y, axis=0, mode="clip").astype(dtype))


def _classes_last(logits, where, axis):
    """Logits with the class axes flattened last, ``where`` to match, the batch shape."""
    nd = logits.ndim
    if where is not None:
        where = jnp.asarray(where, dtype=bool)
        if where.ndim != nd:  # an example mask, as in optax
            where = jnp.expand_dims(where, axis)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    try:
        axes = tuple(sorted({int(a) % nd if -nd <= int(a) < nd else None for a in axes}))
    except TypeError:
        raise SimMatrixError(f"axis {axis!r} is out of range for logits of shape "
                             f"{tuple(logits.shape)}") from None
    batch = tuple(a for a in range(nd) if a not in axes)
    perm = batch + axes
    batch_shape = tuple(logits.shape[a] for a in batch)
    z = logits.transpose(perm).reshape(batch_shape + (-1,))
    if where is not None:
        where = jnp.broadcast_to(where, logits.shape).transpose(perm).reshape(z.shape)
    return z, where, batch_shape


def _check_labels(y, n_classes, keep) -> None:
    """Outside a trace, raise on the first out-of-range label (of the kept examples)."""
    if isinstance(y, jax.core.Tracer) or (keep is not None and isinstance(keep, jax.core.Tracer)):
        return
    labels = np.asarray(y)
    bad = (labels < 0) | (labels >= n_classes)
    if keep is not None:
        bad &= np.asarray(keep)
    if bad.any():
        where = np.flatnonzero(bad)
        more = f" (and {where.size - 1} more)" if where.size > 1 else ""
        raise SimMatrixError(
            f"labels[{where[0]}] = {labels[where[0]]} is outside [0, {n_classes}), the classes "
            f"of S{more}; pass where=False for padding examples")


# -- the prepared loss -------------------------------------------------------------------------
@jax.tree_util.register_pytree_node_class
class SimLoss:
    """Per-example SimLoss with its table as pytree leaves: ``SimLoss(S)(logits, labels)``.

    Parameters
    ----------
    S : SimilarityMatrix, array of shape (n_classes, n_classes), scipy sparse or LogSimilarity
        Row = true class, column = predicted class. Dense: ``log S`` in ``dtype``, built in
        row blocks (peak memory about the table itself); sparse (top-k): (C, k) indices and
        ``log S`` values, and no dense B×C slice of S is ever gathered.
    dtype : jax dtype
        Dtype of the stored ``log S`` (float32; float64 needs ``jax_enable_x64``).

    Attributes
    ----------
    table : Tables
        The jax arrays the loss reads; the pytree's only leaves.

    Notes
    -----
    Pass the loss into a jitted function as an argument (it is a pytree), not by closure: a
    closed-over table becomes a constant of the compiled program.

    Examples
    --------
    >>> import jax, jax.numpy as jnp, numpy as np
    >>> loss_fn = SimLoss(np.eye(3))
    >>> step = jax.jit(lambda fn, z, y: fn(z, y).mean())
    >>> round(float(step(loss_fn, jnp.zeros((2, 3)), jnp.array([0, 1]))), 4)  # log 3
    1.0986
    """

    def __init__(self, S: Any, *, dtype: Any = jnp.float32) -> None:
        if isinstance(S, jax.core.Tracer):  # a traced S: part of the caller's program
            self.table = _table(S, dtype)
        else:  # concrete arrays even when built inside a trace (e.g. Keras's train step)
            with jax.ensure_compile_time_eval():
                self.table = _table(S, dtype)

    def __call__(self, logits: Any, labels: Any, axis: int | tuple[int, ...] = -1,
                 where: Any = None) -> Any:
        """:func:`simloss_with_integer_labels` with this table."""
        return simloss_with_integer_labels(logits, labels, self.table, axis=axis, where=where)

    @property
    def n_classes(self) -> int:
        return self.table.n_classes

    def tree_flatten(self):
        return (self.table,), None

    @classmethod
    def tree_unflatten(cls, aux, children):
        self = cls.__new__(cls)
        (self.table,) = children
        return self

    def __repr__(self) -> str:
        kind = (f"top-{self.table.indices.shape[1]} sparse" if self.table.sparse else "dense")
        return f"SimLoss({self.n_classes} classes, {kind})"


def make_simloss(S: Any, *, dtype: Any = jnp.float32) -> SimLoss:
    """``loss(logits, labels, axis=-1, where=None) -> per-example losses``, a :class:`SimLoss`.

    ``S`` may be a SimilarityMatrix, a C×C array, a scipy sparse (top-k) matrix or a
    :class:`~simmatrix.loss.LogSimilarity`. Reduce with ``.mean()`` as with optax losses, and
    pass the returned pytree to your jitted step as an argument.

    Examples
    --------
    >>> import jax, jax.numpy as jnp, numpy as np
    >>> loss = make_simloss(np.eye(3))
    >>> jax.jit(lambda fn, z, y: fn(z, y))(loss, jnp.zeros((2, 3)), jnp.array([0, 1])).shape
    (2,)
    """
    return SimLoss(S, dtype=dtype)
