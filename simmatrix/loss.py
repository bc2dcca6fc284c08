"""SimLoss (Kobs et al., ISMIS 2020), once, for numpy, torch and jax arrays.

For logits ``z`` of one sample with label ``y`` and a similarity matrix ``S`` (row = true
class, column = predicted class)::

    L = -log Σ_c S[y, c] softmax(z)_c = -LSE(log_softmax(z) + log S[y])

The right-hand side is what is computed: no probability is formed, so the value and its
gradient stay exact where ``softmax`` underflows. ``log 0 = -inf`` is prepared once by
:class:`LogSimilarity`; since ``S[y, y] = 1`` the LSE always has a finite term, so neither
the value nor the gradient is ever NaN.

The code is written once against the array API standard (``array-api-compat``); the
``log_softmax``/``logsumexp`` of torch, jax and (for numpy) ``scipy.special`` are used where
there is one, and eager torch runs a hand-fused version (:mod:`simmatrix._torch_loss`).
Only shapes and dtypes are checked here (values are checked when a matrix is built or
loaded), so ``jax.jit`` and ``torch.compile(fullgraph=True)`` trace it.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .errors import SimMatrixError
from .matrix import SimilarityMatrix

_REDUCTIONS = ("mean", "sum", "none")


class Tables(NamedTuple):
    """The arrays the loss reads, in the logits' framework.

    Dense: ``log_S`` or ``S`` of shape (C, C) (torch gets ``S``: its fused loss multiplies
    probabilities and falls back to logs only for rows that would underflow). Top-k sparse:
    ``indices`` and ``log_values`` of shape (C, k).
    """

    log_S: Any = None
    S: Any = None
    indices: Any = None
    log_values: Any = None

    @property
    def n_classes(self) -> int:
        return next(t for t in self if t is not None).shape[0]

    @property
    def sparse(self) -> bool:
        return self.indices is not None

    def floats(self):
        return [t for t in (self.log_S, self.S, self.log_values) if t is not None]

    def astype(self, xp, dtype) -> Tables:
        """Floating members cast to ``dtype`` (a float32 buffer meeting float64 logits)."""
        if all(t.dtype == dtype for t in self.floats()):
            return self
        return self._replace(**{name: xp.astype(getattr(self, name), dtype)
                                for name in ("log_S", "S", "log_values")
                                if getattr(self, name) is not None})


class LogSimilarity:
    """``log S`` prepared once, dense or top-k sparse, for :func:`simloss`.

    Build it from a :class:`~simmatrix.SimilarityMatrix`, a C×C array or a ``scipy.sparse``
    matrix (``LogSimilarity(S)``), or wrap a log-similarity you already have
    (``LogSimilarity.from_log(log_S)``). Passing one to :func:`simloss` instead of ``S``
    saves taking the log on every call; its device copies are cached per framework, device
    and dtype.

    Parameters
    ----------
    S : SimilarityMatrix, array of shape (n_classes, n_classes) or scipy sparse matrix
        Similarities in [0, 1]; zeros become ``-inf``. A sparse ``S`` (e.g. from
        :func:`simmatrix.transforms.top_k`) is stored as its ``k`` largest-support
        neighbours per row, so the loss never gathers a dense B×C slice of it.

    Attributes
    ----------
    log_S : ndarray of shape (n_classes, n_classes) or None
        Dense ``log S`` (``None`` when sparse).
    indices, log_values : ndarray of shape (n_classes, k) or None
        Column indices and ``log S`` values of each row's stored entries; rows with fewer
        than ``k`` entries are padded with ``-inf`` (sparse only).

    Examples
    --------
    >>> import numpy as np
    >>> L = LogSimilarity(np.array([[1.0, 0.5], [0.0, 1.0]]))
    >>> L.log_S
    array([[ 0.        , -0.69314718],
           [       -inf,  0.        ]])
    """

    def __init__(self, S: Any, classes: Any = None) -> None:
        import scipy.sparse as sp

        if isinstance(S, SimilarityMatrix):
            classes = S.classes if classes is None else classes
            S = S.values
        if sp.issparse(S):
            self._set(None, *_sparse_log(sp.csr_array(S)), classes)
        else:
            S = _to_numpy(S)
            _check_square(S)
            with np.errstate(divide="ignore"):
                log_S = np.where(S > 0, np.log(np.where(S > 0, S, 1.0)), -np.inf)
            self._set(log_S, None, None, classes)

    @classmethod
    def from_log(cls, log_S: Any, classes: Any = None) -> LogSimilarity:
        """Wrap a dense ``log S`` (``-inf`` for zero similarity) without taking a log."""
        self = cls.__new__(cls)
        log_S = _to_numpy(log_S)
        _check_square(log_S)
        self._set(log_S, None, None, classes)
        return self

    def _set(self, log_S, indices, log_values, classes) -> None:
        self.log_S, self.indices, self.log_values = log_S, indices, log_values
        self.classes = None if classes is None else tuple(str(c) for c in classes)
        self._cache: dict[tuple[str, str, str], Tables] = {}

    @property
    def n_classes(self) -> int:
        return (self.indices if self.is_sparse else self.log_S).shape[0]

    @property
    def is_sparse(self) -> bool:
        return self.log_S is None

    def arrays(self, xp: Any, device: Any, dtype: Any) -> Tables:
        """The :class:`Tables` in namespace ``xp`` on ``device`` (cached)."""
        import contextlib

        key = (getattr(xp, "__name__", str(xp)), str(device), str(dtype))
        if key not in self._cache:
            # under jax.jit, make concrete constants, not tracers that would leak via the cache
            ctx = contextlib.nullcontext()
            if _is_jax(xp):
                import jax

                ctx = jax.ensure_compile_time_eval()
            with ctx:
                if self.is_sparse:
                    out = Tables(indices=xp.asarray(self.indices, device=device),
                                 log_values=xp.asarray(self.log_values, dtype=dtype,
                                                       device=device))
                elif _is_torch(xp):
                    out = Tables(S=xp.asarray(np.exp(self.log_S), dtype=dtype, device=device))
                else:
                    out = Tables(log_S=xp.asarray(self.log_S, dtype=dtype, device=device))
            self._cache[key] = out
        return self._cache[key]

    def __repr__(self) -> str:
        kind = f"top-{self.indices.shape[1]} sparse" if self.is_sparse else "dense"
        return f"LogSimilarity({self.n_classes} classes, {kind})"


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


def _log(xp, S):
    """``log S`` with ``-inf`` for zeros and a NaN-free gradient (log of 1 where S = 0)."""
    pos = S > 0
    one = xp.ones_like(S)
    return xp.where(pos, xp.log(xp.where(pos, S, one)), -float("inf") * one)


def log_softmax(xp: Any, z: Any) -> Any:
    """``z - LSE(z)`` along the last axis: torch's, jax's or scipy's own; max-shifted elsewhere."""
    if _is_torch(xp):
        import torch

        return torch.log_softmax(z, dim=-1)
    if _is_jax(xp):
        import jax

        return jax.nn.log_softmax(z, axis=-1)
    if _is_numpy(xp):
        from scipy import special

        return special.log_softmax(z, axis=-1)
    m = xp.max(z, axis=-1, keepdims=True)
    z = z - xp.where(xp.isfinite(m), m, xp.zeros_like(m))  # exact: no 1e4 + log 2 rounding
    return z - xp.log(xp.sum(xp.exp(z), axis=-1, keepdims=True))


def logsumexp(xp: Any, x: Any, axis: int) -> Any:
    """``log Σ exp(x)`` along ``axis``: torch's, jax's or scipy's own; max-shifted elsewhere."""
    if _is_torch(xp):
        import torch

        return torch.logsumexp(x, dim=axis)
    if _is_jax(xp):
        import jax

        return jax.nn.logsumexp(x, axis=axis)
    if _is_numpy(xp):
        from scipy import special

        return special.logsumexp(x, axis=axis)
    m = xp.max(x, axis=axis, keepdims=True)
    m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    out = xp.log(xp.sum(xp.exp(x - m), axis=axis, keepdims=True)) + m
    return xp.squeeze(out, axis=axis)


# -- helpers ---------------------------------------------------------------------------------
def _tables(xp, logits, S) -> Tables:
    """``S`` as :class:`Tables` in the logits' namespace, device and dtype."""
    from array_api_compat import array_namespace, is_array_api_obj

    device, dtype = _device(logits), logits.dtype
    if isinstance(S, LogSimilarity):
        return S.arrays(xp, device, dtype)
    if is_array_api_obj(S) and not isinstance(S, np.ndarray):
        if array_namespace(S) is not xp:
            raise SimMatrixError("S is an array of another framework than the logits; "
                                 "pass a numpy array, a SimilarityMatrix or LogSimilarity")
        S = xp.astype(S, dtype)
        return Tables(S=S) if _is_torch(xp) else Tables(log_S=_log(xp, S))
    if isinstance(S, SimilarityMatrix):  # immutable: prepare log S once, not on every call
        prepared = S._derived.get("log_similarity")
        if prepared is None:
            prepared = S._derived["log_similarity"] = LogSimilarity(S)
        return prepared.arrays(xp, device, dtype)
    return LogSimilarity(S).arrays(xp, device, dtype)


def _is_torch(xp) -> bool:
    # by name, not array_api_compat.is_torch_namespace: its lru_cache makes dynamo warn
    return getattr(xp, "__name__", "") in ("array_api_compat.torch", "torch")


def _is_jax(xp) -> bool:
    return getattr(xp, "__name__", "") == "jax.numpy"


def _is_numpy(xp) -> bool:
    return getattr(xp, "__name__", "") in ("array_api_compat.numpy", "numpy")


def _reduce_check(reduction):
    if reduction not in _REDUCTIONS:
        raise SimMatrixError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _like(xp, x, ref):
    """``x`` in namespace ``xp`` on the device of ``ref`` (no copy when it already is)."""
    from array_api_compat import array_namespace, is_array_api_obj

    if is_array_api_obj(x) and array_namespace(x) is xp:
        return x
    return xp.asarray(_to_numpy(x), device=_device(ref))


def _device(x):
    from array_api_compat import device

    return device(x)


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


def _check_square(S):
    if S.ndim != 2 or S.shape[0] != S.shape[1]:
        raise SimMatrixError(f"S must be a square C×C matrix, got shape {S.shape}")


def _to_numpy(x):
    if hasattr(x, "detach"):  # torch, without importing it
        x = x.detach().cpu()
    return np.asarray(x)


def _sparse_log(S):
    """Per-row stored entries of a CSR matrix as (C, k) indices and log values."""
    S = S.copy()
    S.eliminate_zeros()
    S.sort_indices()
    n = S.shape[0]
    counts = np.diff(S.indptr)
    k = max(int(counts.max(initial=0)), 1)
    indices = np.repeat(np.arange(n)[:, None], k, axis=1)
    log_values = np.full((n, k), -np.inf)
    rows = np.repeat(np.arange(n), counts)
    cols = np.arange(S.nnz) - np.repeat(S.indptr[:-1], counts)
    indices[rows, cols] = S.indices
    log_values[rows, cols] = np.log(S.data)
    return indices.astype(np.int64), log_values
