"""``log S`` prepared once for SimLoss: :class:`LogSimilarity` and its :class:`Tables`.

The tables are the arrays the loss reads, in the logits' framework, device and dtype.
``log 0 = -inf`` is taken here, once per matrix: ``where(S > 0, log(where(S > 0, S, 1)), -inf)``,
so neither the value nor the gradient of the loss is ever NaN. A sparse (top-k) ``S`` is kept
as its stored entries per row, so the loss never gathers a dense B×C slice of it.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ._array_api import _device, _is_jax, _to_numpy
from .errors import SimMatrixError, quote_list
from .matrix import SimilarityMatrix


class Tables(NamedTuple):
    """The arrays the loss reads, in the logits' framework.

    Dense: ``log_S`` of shape (C, C). Top-k sparse: ``indices`` and ``log_values`` of shape
    (C, k). Always logs: ``log 1e-300 = -690.8`` is a float32 number, ``1e-300`` is not.
    """

    log_S: Any = None
    indices: Any = None
    log_values: Any = None

    @property
    def n_classes(self) -> int:
        return next(t for t in self if t is not None).shape[0]

    @property
    def sparse(self) -> bool:
        return self.indices is not None

    def floats(self):
        return [t for t in (self.log_S, self.log_values) if t is not None]

    def astype(self, xp, dtype) -> Tables:
        """Floating members cast to ``dtype`` (a float32 buffer meeting float64 logits)."""
        if all(t.dtype == dtype for t in self.floats()):
            return self
        return self._replace(**{name: xp.astype(getattr(self, name), dtype)
                                for name in ("log_S", "log_values")
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
    classes : sequence of str, optional
        With a :class:`~simmatrix.SimilarityMatrix`: the class order the loss will see
        (e.g. ``dataset.classes``); ``S`` is re-ordered (and restricted) to it, and names
        ``S`` lacks are an error listing them. With an array: the names of its rows.
    dtype : numpy dtype
        Of the dense table (float64 by default; ``simmatrix.torch.SimLoss`` keeps float32).
        ``log S`` is taken in float64 and rounded once, a block of rows at a time, so
        building it never holds more than the table and one block.

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

    def __init__(self, S: Any, classes: Any = None, *, dtype: Any = np.float64) -> None:
        import scipy.sparse as sp

        order = None
        if isinstance(S, SimilarityMatrix):
            if classes is not None:
                order = _class_order(S.classes, classes)
            classes = S.classes if classes is None else classes
            S = S.values
        if sp.issparse(S):
            S = sp.csr_array(S)
            _check_square(S)
            if order is not None:
                S = S[order][:, order]
            indices, log_values = _sparse_log(S)
            self._set(None, indices, log_values.astype(dtype), classes)
        else:
            S = _to_numpy(S)
            _check_square(S)
            self._set(_log_table(S, dtype, order), None, None, classes)

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
                else:
                    out = Tables(log_S=xp.asarray(self.log_S, dtype=dtype, device=device))
            self._cache[key] = out
        return self._cache[key]

    def __repr__(self) -> str:
        kind = f"top-{self.indices.shape[1]} sparse" if self.is_sparse else "dense"
        return f"LogSimilarity({self.n_classes} classes, {kind})"


def _tables(xp, logits, S, dtype=None) -> Tables:
    """``S`` as :class:`Tables` in the logits' namespace and device, in ``dtype``.

    ``dtype`` defaults to the logits' (the loss passes float32 for half-precision logits).
    """
    from array_api_compat import array_namespace, is_array_api_obj

    device, dtype = _device(logits), logits.dtype if dtype is None else dtype
    if isinstance(S, LogSimilarity):
        return S.arrays(xp, device, dtype)
    if is_array_api_obj(S) and not isinstance(S, np.ndarray):
        if array_namespace(S) is not xp:
            raise SimMatrixError("S is an array of another framework than the logits; "
                                 "pass a numpy array, a SimilarityMatrix or LogSimilarity")
        return Tables(log_S=_log(xp, xp.astype(S, dtype)))
    if isinstance(S, SimilarityMatrix):  # immutable: prepare log S once, not on every call
        prepared = S._derived.get("log_similarity")
        if prepared is None:
            prepared = S._derived["log_similarity"] = LogSimilarity(S)
        return prepared.arrays(xp, device, dtype)
    return LogSimilarity(S).arrays(xp, device, dtype)


def _log(xp, S):
    """``log S`` with ``-inf`` for zeros and a NaN-free gradient (log of 1 where S = 0)."""
    pos = S > 0
    one = xp.ones_like(S)
    return xp.where(pos, xp.log(xp.where(pos, S, one)), -float("inf") * one)


def _log_table(S, dtype, order=None, block=1 << 22):
    """``log S`` (``-inf`` for 0) as a new ``dtype`` array, ``block`` entries at a time.

    ``order`` re-orders rows and columns (class alignment). Peak memory: the result plus
    one block in float64, never a second C×C array.
    """
    n = S.shape[0]
    out = np.empty((n, n), dtype=dtype)
    step = max(1, block // max(n, 1))
    with np.errstate(divide="ignore"):
        for i in range(0, n, step):
            rows = S[i:i + step] if order is None else S[order[i:i + step]][:, order]
            np.log(np.asarray(rows, dtype=np.float64), out=out[i:i + step],
                   casting="same_kind")
    return out


def _class_order(have, want):
    """Positions in ``have`` of the names ``want``; names not in ``have`` are all listed."""
    index = {c: i for i, c in enumerate(have)}
    want = [str(c) for c in want]
    missing = [c for c in want if c not in index]
    if missing:
        raise SimMatrixError(
            f"{len(missing)} classes are not in S: {quote_list(missing)}; S has "
            f"{len(have)} classes ({quote_list(have, limit=5)})")
    return np.array([index[c] for c in want], dtype=np.intp)


def _check_square(S):
    if S.ndim != 2 or S.shape[0] != S.shape[1]:
        raise SimMatrixError(f"S must be a square C×C matrix, got shape {S.shape}")


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
