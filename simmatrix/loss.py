"""SimLoss (Kobs et al., ISMIS 2020), once, for numpy, torch and jax arrays.

For logits ``z`` of one sample with label ``y`` and a similarity matrix ``S`` (row = true
class, column = predicted class)::

    L = -log Σ_c S[y, c] softmax(z)_c = LSE(z) - LSE(z + log S[y])

computed as ``(max z - m) + LSE(z - max z) - LSE((z - m) + log S[y])`` with
``m = max(z + log S[y])``: every difference that matters is taken between nearby numbers
(exact in floating point), so the value and the gradient ``softmax(z) - q``,
``q = softmax(z + log S[y])``, are exact to float32 rounding even at logits of 1e4, and
no probability is formed that could underflow. ``log 0 = -inf`` is prepared once by
:class:`~simmatrix.LogSimilarity`; since ``S[y, y] = 1`` the LSE always has a finite term,
so neither the value nor the gradient is ever NaN. Half-precision logits are computed in
float32 and the result rounded once, as ``torch.nn.functional.cross_entropy`` does.

Around it, the conventions of ``torch.nn.CrossEntropyLoss``: ``weight``,
``ignore_index=-100``, ``reduction``, ``label_smoothing`` and inputs of shape
(N, C, d1, ...).

The code is written once against the array API standard (``array-api-compat``); the
``log_softmax``/``logsumexp`` of torch, jax and (for numpy) ``scipy.special`` are used where
there is one, and eager torch runs a hand-fused version (:mod:`simmatrix._torch_loss`).
Only shapes and dtypes are checked here (values are checked when a matrix is built or
loaded), so ``jax.jit`` and ``torch.compile(fullgraph=True)`` trace it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._array_api import (
    _device,
    _is_concrete,
    _is_jax,
    _is_torch,
    _like,
    _stop_gradient,
    log_softmax,
    logsumexp,
    zero_columns,
)
from .errors import SimMatrixError
from .log_similarity import Tables, _tables

_REDUCTIONS = ("mean", "sum", "none")


def simloss(
    logits: Any,
    targets: Any,
    S: Any,
    *,
    weight: Any = None,
    ignore_index: int | None = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
    axis: int = 1,
    from_logits: bool = True,
    eps: float = 1e-8,
    weights: Any = None,
) -> Any:
    r"""SimLoss of a batch: cross-entropy that gives credit for predicting similar classes.

    .. math:: L_i = -\log \sum_c S[y_i, c]\, p_{ic}
              = \mathrm{LSE}(z_i) - \mathrm{LSE}(z_i + \log S[y_i])

    Same arguments, defaults and results as ``torch.nn.functional.cross_entropy`` with
    class-index targets; with ``S = I`` it *is* cross-entropy.

    Parameters
    ----------
    logits : array of shape (N, C) or (N, C, d1, ...)
        Unnormalised scores (numpy, torch or jax; float). With ``from_logits=False``,
        probabilities that sum to 1 along the class axis.
    targets : integer array of shape (N,) or (N, d1, ...)
        True class indices in ``[0, C)`` or ``ignore_index``. A value outside is an error
        naming it (eagerly); under ``jax.jit`` that sample's loss is NaN instead.
    S : SimilarityMatrix, array of shape (C, C), scipy sparse or LogSimilarity
        Row = true class, column = predicted class. An array in the logits' framework is
        used as it is (and may be traced by ``jax.jit``); anything else is converted once.
    weight : array of shape (C,), optional
        Per-class weights as in ``cross_entropy``: sample ``i`` counts ``weight[y_i]``
        times and ``"mean"`` divides by the sum of ``weight[y_i]`` over non-ignored samples.
    ignore_index : int or None
        Samples with this target contribute 0 and do not count in the mean (-100, as torch).
    reduction : {"mean", "sum", "none"}
        ``"none"`` returns the per-sample losses, shape (N, d1, ...).
    label_smoothing : float in [0, 1]
        As torch defines it: ``(1 - ε) · SimLoss + ε/C · Σ_c w_c (-log p_c)`` per sample
        (``w = 1`` without ``weight``), i.e. the S-smoothed target mixed with uniform.
    axis : int
        The class axis of ``logits`` (1, as torch; optax puts it last: -1).
    from_logits : bool
        ``False`` takes probabilities and computes the paper's ``-log(Σ S[y] p + eps)``,
        which saturates at ``-log(eps)`` (18.42 for 1e-8); prefer logits.
    eps : float
        Only used with ``from_logits=False``.
    weights : deprecated
        The old name of ``weight``.

    Returns
    -------
    loss : array of shape () or (N, d1, ...)
        In the framework and device of ``logits`` and, as ``cross_entropy``, its dtype
        (float32 under torch autocast).

    Examples
    --------
    >>> import numpy as np
    >>> S = np.array([[1.0, 0.5], [0.5, 1.0]])
    >>> z = np.array([[2.0, 0.0]])
    >>> round(float(simloss(z, np.array([1]), S)), 6)  # -log(0.5 p0 + p1)
    0.58053
    """
    from array_api_compat import array_namespace

    xp = array_namespace(logits)
    targets = _like(xp, targets, logits)
    if not xp.isdtype(logits.dtype, "real floating"):
        raise SimMatrixError(f"logits must be a real floating dtype, got {logits.dtype}")
    tables = _tables(xp, logits, S, compute_dtype(xp, logits.dtype))
    return simloss_arrays(xp, logits, targets, tables, weight=_weight(weight, weights),
                          ignore_index=ignore_index, reduction=reduction,
                          label_smoothing=label_smoothing, axis=axis,
                          from_logits=from_logits, eps=eps)


def simloss_arrays(xp, logits, targets, tables, *, weight=None, ignore_index=-100,
                   reduction="mean", label_smoothing=0.0, axis=1, from_logits=True,
                   eps=1e-8, weights=None):
    """:func:`simloss` with the namespace and ``log S`` arrays already resolved.

    ``tables`` is a :class:`Tables` as returned by :meth:`LogSimilarity.arrays`. Framework
    wrappers (:mod:`simmatrix.torch`, :mod:`simmatrix.jax`) call this so compiled code
    traces no namespace lookup.
    """
    weight = _weight(weight, weights)
    check_options(reduction, label_smoothing)
    z, y, shape = _flatten(xp, logits, targets, axis)
    n = tables.n_classes
    _check_inputs(xp, z, y, n)
    out_dtype = _output_dtype(xp, logits)
    z = xp.astype(z, compute_dtype(xp, z.dtype), copy=False)
    tables = tables.astype(xp, z.dtype)
    if _all_in_range(xp, y, n) and (ignore_index is None or not 0 <= ignore_index < n):
        valid, safe = None, y  # the common case: no masks, no NaN guard
        per = _per_sample(xp, z, safe, tables, from_logits, eps)
    else:
        valid = None if ignore_index is None else y != ignore_index
        _check_targets(xp, y, valid, n, ignore_index)
        safe = y if valid is None else xp.where(valid, y, xp.zeros_like(y))
        per = _per_sample(xp, z, safe, tables, from_logits, eps)
        per = xp.where((safe < 0) | (safe >= n), xp.full_like(per, float("nan")), per)
    w = None
    if weight is not None:
        weight = _float_like(xp, weight, per)
        if weight.shape != (n,):
            raise SimMatrixError(f"weight must have shape ({n},), got {tuple(weight.shape)}")
        w = xp.take(weight, safe, axis=0)
        per = per * w
    if label_smoothing:
        lp = log_softmax(xp, z) if from_logits else xp.log(z)
        smooth = -xp.sum(lp if weight is None else lp * weight, axis=1)
        per = (1.0 - label_smoothing) * per + (label_smoothing / n) * smooth
    if valid is not None:
        per = xp.where(valid, per, xp.zeros_like(per))
        mask = xp.astype(valid, per.dtype)
        w = mask if w is None else w * mask
    return xp.astype(_reduce(xp, per, w, reduction, shape), out_dtype, copy=False)


def _per_sample(xp, z, y, tables, from_logits, eps):
    """Per-sample loss for in-range targets ``y`` and (M, C) logits ``z``.

    Torch runs a fused autograd function (:mod:`simmatrix._torch_loss`, one saved M×C
    tensor) unless ``S`` itself needs a gradient; elsewhere the same formula in array-API
    operations, which autodiff turns into the exact ``p - q``.
    """
    if from_logits and _is_torch(xp) and not any(t.requires_grad for t in tables.floats()):
        from ._torch_loss import fused_simloss

        return fused_simloss(z, y, tables)
    if from_logits and _is_jax(xp):  # the exact jax kernel (simmatrix.jax)
        from .jax import _per_example

        return _per_example(z, y, tables, z.dtype)
    g, nbr = _log_rows(xp, tables, y)
    if not from_logits:
        return -xp.log(xp.sum(xp.exp(g) * _columns(xp, z, nbr), axis=1) + eps)
    zk = _columns(xp, z, nbr)
    mz = _stop_gradient(xp, xp.max(z, axis=1, keepdims=True))
    m = _stop_gradient(xp, xp.max(zk + g, axis=1, keepdims=True))
    m = xp.where(xp.isfinite(m), m, mz)  # only rows of an out-of-range target
    a = z - mz
    lse = logsumexp(xp, a, axis=1)
    large = lse - logsumexp(xp, (zk - m) + g, axis=1) + xp.squeeze(mz - m, axis=1)
    return _small_or_large(xp, _dissimilar_mass(xp, a - lse[:, None], g, nbr), large)


def _small_or_large(xp, u, large):
    """The loss: ``-log1p(-u)`` below ``log 4`` (``u < 3/4``), where ``u = Σ p (1 - S[y])``
    keeps its relative digits (``LSE(z) - LSE(z + g)`` keeps only ``eps`` absolute there),
    else the difference of the two log-sums. The unused branch is harmless for autodiff."""
    small = u < 0.75
    return xp.where(small, -xp.log1p(-xp.where(small, u, xp.zeros_like(u))), large)


def _dissimilar_mass(xp, lp, g, nbr):
    """``u = Σ_c p_c (1 - S[y, c])`` from ``log p`` and ``g = log S[y]``, every term >= 0.

    ``1 - S = -expm1(log S)`` is exact where ``S`` is near 1. For a top-k table, the mass
    on the columns the table holds no entry for (``S = 0``) is summed directly, never as
    ``1 - Σ`` of the others, and padding entries (``log S = -inf``) count 0.
    """
    one_minus = -xp.expm1(g)
    if nbr is None:
        return xp.sum(xp.exp(lp) * one_minus, axis=1)
    pk = xp.exp(xp.take_along_axis(lp, nbr, axis=1))
    held = xp.sum(xp.where(g > -float("inf"), pk * one_minus, xp.zeros_like(pk)), axis=1)
    return held + xp.sum(zero_columns(xp, xp.exp(lp), nbr), axis=1)


def _log_rows(xp, tables: Tables, y):
    """Rows ``y`` of ``log S`` and, for a top-k table, the columns they hold.

    Dense: ``(log S[y], None)`` of shape (B, C). Top-k: ``(log_values[y], indices[y])``,
    both (B, k); pick the matching entries of a (B, C) array with ``_columns``.
    """
    if tables.sparse:
        return xp.take(tables.log_values, y, axis=0), xp.take(tables.indices, y, axis=0)
    return xp.take(tables.log_S, y, axis=0), None


def _columns(xp, x, nbr):
    """``x`` itself (dense) or its entries at the top-k columns ``nbr``."""
    return x if nbr is None else xp.take_along_axis(x, nbr, axis=1)


def _reduce(xp, per, w, reduction, shape):
    """``cross_entropy``'s reductions: ``"mean"`` divides by the weight of what counts."""
    if reduction == "none":
        return xp.reshape(per, shape)
    if reduction == "sum":
        return xp.sum(per)
    return xp.sum(per) / xp.sum(w) if w is not None else xp.mean(per)


def compute_dtype(xp, dtype):
    """The dtype the loss computes in: float32 for half-precision logits (as torch)."""
    name = str(dtype).rsplit(".", 1)[-1].rsplit("'", 1)[0]
    return xp.float32 if name in ("float16", "bfloat16") else dtype


def _output_dtype(xp, logits):
    """The logits' dtype; float32 under torch autocast, where cross-entropy runs in float32."""
    if _is_torch(xp):
        import torch

        if torch.is_autocast_enabled(logits.device.type):
            return torch.promote_types(logits.dtype, torch.float32)
    return logits.dtype


def _flatten(xp, logits, targets, axis):
    """(N, C, d1, ...) logits and (N, d1, ...) targets as (M, C) and (M,), and the shape."""
    if logits.ndim <= 2:
        if axis not in (1, -1) and logits.ndim == 2:
            logits = xp.permute_dims(logits, (1, 0))
        return logits, targets, tuple(targets.shape)
    axis = axis % logits.ndim
    rest = [i for i in range(logits.ndim) if i != axis]
    z = xp.permute_dims(logits, (*rest, axis))
    want = tuple(z.shape[:-1])
    if tuple(targets.shape) != want:
        raise SimMatrixError(
            f"targets must have shape {want} to match logits {tuple(logits.shape)} with the "
            f"classes on axis {axis}, got {tuple(targets.shape)}")
    return xp.reshape(z, (-1, z.shape[-1])), xp.reshape(targets, (-1,)), want


def _float_like(xp, x, ref):
    """``x`` as an array of ``ref``'s namespace, device and dtype (no device lookup for an
    array already in ``xp``: array-api-compat's cached helpers make dynamo warn)."""
    if not isinstance(x, (np.ndarray, list, tuple)) and hasattr(x, "dtype"):
        return xp.astype(x, ref.dtype)
    return xp.asarray(np.asarray(x), dtype=ref.dtype, device=_device(ref))


def _weight(weight, weights):
    if weights is None:
        return weight
    import warnings

    warnings.warn("simloss(weights=...) is now weight=, as in torch", DeprecationWarning,
                  stacklevel=3)
    return weights if weight is None else weight


def check_options(reduction, label_smoothing=0.0):
    """One clear error for a bad ``reduction`` or ``label_smoothing``."""
    if reduction not in _REDUCTIONS:
        raise SimMatrixError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    if not 0.0 <= float(label_smoothing) <= 1.0:
        raise SimMatrixError(f"label_smoothing must be in [0, 1], got {label_smoothing}")



def _all_in_range(xp, y, n) -> bool:
    """Whether every target is known (eagerly) to be in ``[0, n)``: one min/max pass."""
    if not _is_concrete(xp, y) or y.shape[0] == 0:
        return False
    if _is_torch(xp):
        import torch

        lo, hi = torch.aminmax(y)
        return bool((lo >= 0) & (hi < n))
    ok = (xp.min(y) >= 0) & (xp.max(y) < n)
    return _is_concrete(xp, ok) and bool(ok)  # jax stages out even ops on constants


def _check_targets(xp, y, valid, n, ignore_index):
    """Name the first target outside ``[0, n)`` (eagerly; traced code cannot look)."""
    if not _is_concrete(xp, y) or y.shape[0] == 0:
        return
    bad = (y < 0) | (y >= n)
    if valid is not None:
        bad = bad & valid
    if not _is_concrete(xp, bad):  # jax stages out even ops on constants under jit
        return
    if bool(xp.any(bad)):
        value = int(y[int(xp.argmax(xp.astype(bad, xp.int32)))])
        ignore = "" if ignore_index is None else f" and is not ignore_index={ignore_index}"
        raise SimMatrixError(
            f"target value {value} is outside [0, {n}){ignore}; "
            f"targets are class indices of the {n} classes of S")


def _check_inputs(xp, logits, targets, n_classes):
    if logits.ndim != 2:
        raise SimMatrixError(
            f"logits must have shape (N, C) or (N, C, d1, ...), got {tuple(logits.shape)}")
    if targets.ndim != 1 or targets.shape[0] != logits.shape[0]:
        raise SimMatrixError(
            f"targets must have shape ({logits.shape[0]},) to match logits {tuple(logits.shape)}"
            f", got {tuple(targets.shape)}")
    if logits.shape[1] != n_classes:
        raise SimMatrixError(
            f"logits have {logits.shape[1]} classes but S has {n_classes}")
    if not xp.isdtype(targets.dtype, "integral"):
        raise SimMatrixError(f"targets must be integer class indices, got dtype {targets.dtype}")
    if not xp.isdtype(logits.dtype, "real floating"):
        raise SimMatrixError(f"logits must be a real floating dtype, got {logits.dtype}")
