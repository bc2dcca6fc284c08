"""Cosine similarity of row vectors: all pairs, or each row's top k computed in blocks.

    cos(a, b) = a·b / (‖a‖ ‖b‖)   (0 when either vector is zero)

The top-k mode never holds more than one ``block_rows × C`` block of cosines, so C can be
far beyond what a dense C×C fits in memory (100,000 classes: a dense float32 matrix would
be 40 GB).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

BLOCK_BYTES = 64 << 20  # one block of cosines in the top-k mode

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
):
    """Each row's diagonal (1) and its ``k`` largest cosines to other classes, as CSR.

    Computed ``block_rows`` rows at a time: peak memory is the unit vectors, one
    ``block_rows × C`` block and the O(C·k) result. Classes without a vector have only the
    diagonal and are nobody's neighbour. Ties at the k-th value go to the lower column.
    """
    import scipy.sparse as sp

    n = rows.shape[0]
    unit = _unit_rows(rows, dtype)
    k = max(0, min(k, int(has_vector.sum()) - 1))
    if block_rows is None:
        block_rows = max(1, BLOCK_BYTES // (max(n, 1) * dtype.itemsize))
    starts = range(0, n, block_rows)
    all_have = bool(has_vector.all())
    cols = np.empty((n, k), dtype=np.int64)
    vals = np.empty((n, k), dtype=dtype)
    for start in starts:
        stop = min(start + block_rows, n)
        sims = unit[start:stop] @ unit.T
        if not all_have:
            sims[:, ~has_vector] = -np.inf
        sims[np.arange(stop - start), np.arange(start, stop)] = -np.inf
        if k:
            cols[start:stop], vals[start:stop] = block_top_k(sims, k)
        if progress is not None:
            progress(start // block_rows + 1, len(starts))
    vals = np.clip(vals, -1.0, 1.0)
    keep = np.repeat(has_vector, k)
    r = np.concatenate([np.repeat(np.arange(n), k)[keep], np.arange(n)])
    c = np.concatenate([cols.ravel()[keep], np.arange(n)])
    v = np.concatenate([vals.ravel()[keep], np.ones(n, dtype=dtype)])
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
