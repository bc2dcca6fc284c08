"""SimLoss (Kobs et al., ISMIS 2020), once, for numpy, torch and jax arrays.

For logits ``z`` of one sample with label ``y`` and a similarity matrix ``S`` (row = true
class, column = predicted class)::

    L = -log Σ_c S[y, c] softmax(z)_c = -LSE(log_softmax(z) + log S[y])

The right-hand side is what is computed: no probability is formed, so the value and its
gradient stay exact where ``softmax`` underflows. ``log 0 = -inf`` is prepared once by
:class:`~simmatrix.LogSimilarity`; since ``S[y, y] = 1`` the LSE always has a finite term, so
neither the value nor the gradient is ever NaN.

The code is written once against the array API standard (``array-api-compat``); the
``log_softmax``/``logsumexp`` of torch, jax and (for numpy) ``scipy.special`` are used where
there is one, and eager torch runs a hand-fused version (:mod:`simmatrix._torch_loss`).
Only shapes and dtypes are checked here (values are checked when a matrix is built or
loaded), so ``jax.jit`` and ``torch.compile(fullgraph=True)`` trace it.
"""

from __future__ import annotations

from typing import Any

from ._array_api import _device, _is_torch, _like, log_softmax, logsumexp
from .errors import SimMatrixError
from .log_similarity import Tables, _log, _tables

_REDUCTIONS = ("mean", "sum", "none")


def simloss(
    logits: Any,
    targets: Any,
    S: Any,
    *,
    reduction: str = "mean",
    weights: Any = None,
    ignore_index: int | None = None,
    from_logits: bool = True,
    eps: float = 1e-8,
) -> Any:
    r"""SimLoss of a batch: cross-entropy that gives credit for predicting similar classes.

    .. math:: L_i = -\log \sum_c S[y_i, c]\, p_{ic}
              = \mathrm{LSE}(z_i) - \mathrm{LSE}(z_i + \log S[y_i])

    Parameters
    ----------
    logits : array of shape (n_samples, n_classes)
        Unnormalised scores (numpy, torch or jax; float). With ``from_logits=False``,
        probabilities that sum to 1 per row.
    targets : integer array of shape (n_samples,)
        True class indices, in the same framework as ``logits``.
    S : SimilarityMatrix, array of shape (n_classes, n_classes), scipy sparse or LogSimilarity
        Row = true class, column = predicted class. An array in the logits' framework is
        used as it is (and may be traced by ``jax.jit``); anything else is converted once.
    reduction : {"mean", "sum", "none"}
        ``"none"`` returns the per-sample losses (0 where ``targets == ignore_index``).
    weights : array of shape (n_classes,), optional
        Per-class weights as in ``torch.nn.functional.cross_entropy``: sample ``i`` counts
        ``weights[y_i]`` times and ``"mean"`` divides by the sum of those weights.
    ignore_index : int, optional
        Samples with this target contribute nothing (and do not count in the mean).
    from_logits : bool
        ``False`` takes probabilities and computes the paper's ``-log(Σ S[y] p + eps)``,
        which saturates at ``-log(eps)`` (18.42 for 1e-8); prefer logits.
    eps : float
        Only used with ``from_logits=False``.

    Returns
    -------
    loss : array of shape () or (n_samples,)
        In the framework, device and dtype of ``logits``.

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
    tables = _tables(xp, logits, S)
    return simloss_arrays(xp, logits, targets, tables, reduction=reduction, weights=weights,
                          ignore_index=ignore_index, from_logits=from_logits, eps=eps)


def simloss_arrays(xp, logits, targets, tables, *, reduction="mean", weights=None,
                   ignore_index=None, from_logits=True, eps=1e-8):
    """:func:`simloss` with the namespace and ``log S`` arrays already resolved.

    ``tables`` is a :class:`Tables` as returned by :meth:`LogSimilarity.arrays`. Framework
    wrappers (:mod:`simmatrix.torch`, :mod:`simmatrix.jax`) call this so compiled code
    traces no namespace lookup.
    """
    _reduce_check(reduction)
    _check_inputs(xp, logits, targets, tables.n_classes)
    tables = tables.astype(xp, logits.dtype)
    valid = None if ignore_index is None else targets != ignore_index
    safe = targets if valid is None else xp.where(valid, targets, xp.zeros_like(targets))
    per = _per_sample(xp, logits, safe, tables, from_logits, eps)
    w = None
    if weights is not None:
        w = xp.take(xp.asarray(weights, dtype=per.dtype, device=_device(per)), safe, axis=0)
    if valid is not None:
        mask = xp.astype(valid, per.dtype)
        w = mask if w is None else w * mask
        per = xp.where(valid, per, xp.zeros_like(per))
    if w is not None:
        per = per * w
    if reduction == "none":
        return per
    if reduction == "sum":
        return xp.sum(per)
    return xp.sum(per) / xp.sum(w) if w is not None else xp.mean(per)


def _per_sample(xp, z, y, tables, from_logits, eps):
    """Per-sample loss for safe (in-range) targets ``y``.

    ``-LSE(log_softmax(z) + log S[y])``: ``log_softmax`` is shifted by the row maximum, so
    the terms are small where they matter and nothing cancels at logits of 1e4 in float32.
    Eager torch gets the same formula fused by hand (:mod:`simmatrix._torch_loss`) unless
    ``S`` itself needs a gradient; under ``torch.compile`` inductor fuses the generic one.
    """
    if from_logits and _is_torch(xp) and not any(t.requires_grad for t in tables.floats()):
        from ._torch_loss import fused_simloss, use_fused

        if use_fused():
            return fused_simloss(z, y, tables)
    g, nbr = _log_rows(xp, tables, y)
    if from_logits:
        return -logsumexp(xp, _columns(xp, log_softmax(xp, z), nbr) + g, axis=1)
    return -xp.log(xp.sum(xp.exp(g) * _columns(xp, z, nbr), axis=1) + eps)


def _log_rows(xp, tables: Tables, y):
    """Rows ``y`` of ``log S`` and, for a top-k table, the columns they hold.

    Dense: ``(log S[y], None)`` of shape (B, C). Top-k: ``(log_values[y], indices[y])``,
    both (B, k); pick the matching entries of a (B, C) array with ``_columns``.
    """
    if tables.sparse:
        return xp.take(tables.log_values, y, axis=0), xp.take(tables.indices, y, axis=0)
    if tables.log_S is not None:
        return xp.take(tables.log_S, y, axis=0), None
    return _log(xp, xp.take(tables.S, y, axis=0)), None


def _columns(xp, x, nbr):
    """``x`` itself (dense) or its entries at the top-k columns ``nbr``."""
    return x if nbr is None else xp.take_along_axis(x, nbr, axis=1)


def _reduce_check(reduction):
    if reduction not in _REDUCTIONS:
        raise SimMatrixError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _check_inputs(xp, logits, targets, n_classes):
    if logits.ndim != 2:
        raise SimMatrixError(f"logits must have shape (n_samples, n_classes), got {logits.shape}")
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
