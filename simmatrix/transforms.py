"""Composable transforms: SimilarityMatrix in, SimilarityMatrix out, each step recorded.

Every function keeps the diagonal at 1 and appends ``{"name": ..., params}`` to
``metadata["transforms"]``, so a saved matrix says how it was made.
"""

from __future__ import annotations

import numpy as np

from .errors import BuildError
from .matrix import SimilarityMatrix


def _set_diagonal(values, dtype):
    if hasattr(values, "setdiag"):
        values = values.tolil()
        values.setdiag(1)
        return values.tocsr().astype(dtype)
    np.fill_diagonal(values, 1)
    return values.astype(dtype, copy=False)


def _map_data(S: SimilarityMatrix, fn) -> object:
    """Apply an elementwise ``fn`` to stored values (dense array, or a sparse array's data)."""
    if S.is_sparse:
        out = S.values.copy()
        out.data = fn(out.data.astype(np.float64)).astype(S.dtype)
        out.eliminate_zeros()
        return _set_diagonal(out, S.dtype)
    return _set_diagonal(fn(S.values.astype(np.float64)).astype(S.dtype), S.dtype)


def lower_bound(S: SimilarityMatrix, l: float) -> SimilarityMatrix:  # noqa: E741
    """The paper's lower bound (eq. 3): ``S' = max(0, S - l) / (1 - l)``, diagonal 1.

    Similarities at or below ``l`` become 0, so only close classes earn credit.

    >>> import numpy as np
    >>> S = SimilarityMatrix(np.array([[1.0, 0.75], [0.3, 1.0]]))
    >>> lower_bound(S, 0.5).values.tolist()
    [[1.0, 0.5], [0.0, 1.0]]
    """
    if not 0 <= l < 1:
        raise BuildError(f"lower bound must be in [0, 1), got {l}")
    vals = _map_data(S, lambda v: np.maximum(0.0, v - l) / (1.0 - l))
    return S.replace(values=vals, metadata=S.with_step("lower_bound", l=float(l)))


def map_range(S: SimilarityMatrix, how: str = "clip") -> SimilarityMatrix:
    """Map a raw similarity in [-1, 1] (a cosine, say) to [0, 1].

    ``how="clip"`` sets negatives to 0 (the paper's choice); ``how="affine"`` uses
    ``(1 + s) / 2``, which keeps the order of negative similarities but gives every pair
    some credit.
    """
    if how == "clip":
        fn = lambda v: np.clip(v, 0.0, 1.0)  # noqa: E731
    elif how == "affine":
        fn = lambda v: np.clip((1.0 + v) / 2.0, 0.0, 1.0)  # noqa: E731
    else:
        raise BuildError(f"map_range how must be 'clip' or 'affine', got {how!r}")
    return S.replace(values=_map_data(S, fn), metadata=S.with_step("map_range", how=how))


def power(S: SimilarityMatrix, gamma: float) -> SimilarityMatrix:
    """``S ** gamma``: gamma > 1 sharpens (less credit for near misses), < 1 softens."""
    if not gamma > 0:
        raise BuildError(f"power gamma must be > 0, got {gamma}")
    vals = _map_data(S, lambda v: np.power(np.clip(v, 0.0, 1.0), gamma))
    return S.replace(values=vals, metadata=S.with_step("power", gamma=float(gamma)))


def top_k(S: SimilarityMatrix, k: int, sparse: bool = False) -> SimilarityMatrix:
    """Keep, per row, the diagonal and the ``k`` largest off-diagonal values; zero the rest.

    Ties at the k-th value are broken by column order. ``sparse=True`` returns a scipy CSR
    matrix (what large C needs); the result is generally not symmetric.
    """
    k = int(k)
    if k < 0:
        raise BuildError(f"top_k k must be >= 0, got {k}")
    vals = S.to_dense().astype(np.float64)
    n = len(S)
    k = min(k, n - 1)
    masked = vals.copy()
    np.fill_diagonal(masked, -np.inf)
    keep = np.zeros_like(vals, dtype=bool)
    if k > 0:
        # everything above the k-th largest value, then ties at it in column order
        kth = -np.partition(-masked, k - 1, axis=1)[:, k - 1:k]
        keep = masked > kth
        ties = masked == kth
        need = k - keep.sum(axis=1, keepdims=True)
        keep |= ties & (np.cumsum(ties, axis=1) <= need)
    np.fill_diagonal(keep, True)
    out = np.where(keep, vals, 0.0).astype(S.dtype)
    if sparse:
        import scipy.sparse as sp

        out = sp.csr_array(out)
    return S.replace(values=out, metadata=S.with_step("top_k", k=k))


def symmetrize(S: SimilarityMatrix, how: str = "mean") -> SimilarityMatrix:
    """Make ``S`` symmetric: ``(S + Sᵀ) / 2`` (``"mean"``) or ``max(S, Sᵀ)`` (``"max"``)."""
    if how not in ("mean", "max"):
        raise BuildError(f"symmetrize how must be 'mean' or 'max', got {how!r}")
    vals = S.values
    if S.is_sparse:
        out = (vals + vals.T) / 2 if how == "mean" else vals.maximum(vals.T)
        out = _set_diagonal(out.tocsr(), S.dtype)
    else:
        out = (vals + vals.T) / 2 if how == "mean" else np.maximum(vals, vals.T)
        out = _set_diagonal(np.array(out, dtype=S.dtype), S.dtype)
    return S.replace(values=out, metadata=S.with_step("symmetrize", how=how))
