"""Cosine similarity of row vectors: all pairs, or each row's top k computed in blocks.

    cos(a, b) = a·b / (‖a‖ ‖b‖)   (0 when either vector is zero)

The top-k mode holds a few blocks of products at a time, never a C×C matrix, so C can be
far beyond what a dense C×C fits in memory (100,000 classes: a dense float32 matrix would
be 40 GB); its search is :mod:`simmatrix._topk` (exact, at close to sgemm speed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Progress = Callable[[int, int], None]


def _unit_rows(rows: np.ndarray, dtype: Any = np.float64) -> np.ndarray:
    rows = np.asarray(rows, dtype=dtype)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.divide(rows, norms, out=np.zeros_like(rows), where=norms > 0)


def cosine_dense(rows: np.ndarray, has_vector: np.ndarray) -> np.ndarray:
    """All-pairs cosine in float64, diagonal 1; classes without a vector get -1 off the diagonal.

    -1 maps to 0 under both mappings, so such a class keeps only its diagonal.
    """
    unit = _unit_rows(rows)
    cos = np.clip(unit @ unit.T, -1.0, 1.0)
    cos[~has_vector, :] = -1.0
    cos[:, ~has_vector] = -1.0
    np.fill_diagonal(cos, 1.0)
    return cos


def cosine_top_k(
    rows: np.ndarray,
    has_vector: np.ndarray,
    k: int,
    *,
    dtype: np.dtype = np.dtype(np.float64),
    block_rows: int | None = None,
    progress: Progress | None = None,
    threads: int | None = None,
):
    """Each row's diagonal (1) and its ``k`` largest cosines to other classes, as CSR.

    Exact: the same neighbours as float64 cosines of all pairs and a stable sort (ties at
    the k-th value go to the lower column), found by :func:`simmatrix._topk.top_k_self` in
    blocks of ``block_rows`` rows on ``threads`` threads; peak memory is the unit vectors,
    a few blocks of float32 products and the O(C·k) result. Classes without a vector have
    only the diagonal and are nobody's neighbour.
    """
    import scipy.sparse as sp

    from .._topk import top_k_self

    n = rows.shape[0]
    have = np.flatnonzero(has_vector)
    unit = _unit_rows(np.asarray(rows)[have])
    cols, vals = top_k_self(unit, k, block_rows=block_rows, threads=threads,
                            progress=progress)
    k = cols.shape[1]
    vals = np.clip(vals, -1.0, 1.0).astype(dtype, copy=False)
    r = np.concatenate([np.repeat(have, k), np.arange(n)])
    c = np.concatenate([have[cols].ravel(), np.arange(n)])
    v = np.concatenate([vals.ravel(), np.ones(n, dtype=dtype)])
    return sp.csr_array((v, (r, c)), shape=(n, n))


def block_top_k(sims: np.ndarray, k: int, sample: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Column indices and values of each row's ``k`` largest entries, largest first.

    Parameters
    ----------
    sims : array of shape (n_rows, n_cols), ``k <= n_cols``
    k : int

    Returns
    -------
    cols : int64 array of shape (n_rows, k)
    vals : array of shape (n_rows, k)

    Rather than partition every row (``np.argpartition`` costs ~9 ns an entry), it takes
    each row's k-th largest value among ``sample`` evenly spaced columns: a lower bound of
    the row's true k-th largest, so every top-k entry is at or above it. Only the entries
    above it (about ``k · n_cols / sample`` a row) are sorted. Ties go to the lower column.

    >>> block_top_k(np.array([[0.1, 0.9, 0.5, 0.9]]), 2)
    (array([[1, 3]]), array([[0.9, 0.9]]))
    """
    n_rows, n_cols = sims.shape
    step = max(1, n_cols // sample)
    bound = np.partition(sims[:, ::step], -k, axis=1)[:, -k] if n_cols // step >= k else None
    if bound is None:  # too few sampled columns: every entry is a candidate
        r, c = np.divmod(np.arange(n_rows * n_cols), n_cols)
    else:
        r, c = np.nonzero(sims >= bound[:, None])
    v = sims[r, c]
    order = np.lexsort((c, -v, r))  # by row, then value descending, then column
    r, c, v = r[order], c[order], v[order]
    rank = np.arange(len(r)) - np.searchsorted(r, np.arange(n_rows))[r]
    keep = rank < k
    return c[keep].reshape(n_rows, k).astype(np.int64), v[keep].reshape(n_rows, k)
