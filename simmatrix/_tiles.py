"""One cache-friendly pass over a dense C×C matrix: range, sums, counts and asymmetry.

A C×C matrix at C = 10,000 is 800 MB in float64: every full-matrix numpy expression
(``a == 1``, ``a - a.T``) streams it from memory again and may allocate a C×C temporary.
Here the matrix is walked in square tiles small enough to stay in the CPU cache: tile
(i, j) and its mirror (j, i) are read once, and every statistic is taken from the cached
tile, so the cost is close to one read of the matrix and the extra memory is one tile.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TILE_BYTES = 256 << 10  # one tile, well inside a core's L2 cache
RANGE_BYTES = 1 << 20  # one chunk of the min/max pass


def value_range(vals: np.ndarray) -> tuple[float, float]:
    """``(min, max)`` of ``vals`` in one pass of cache-sized chunks (NaN propagates).

    ``vals.min()`` then ``vals.max()`` would read the matrix from memory twice.
    """
    if vals.size == 0:
        return 0.0, 0.0
    flat = vals.reshape(-1) if vals.flags.c_contiguous else None
    if flat is None:
        return float(vals.min()), float(vals.max())
    step = max(1, RANGE_BYTES // vals.itemsize)
    lo, hi = np.inf, -np.inf
    for start in range(0, flat.size, step):
        chunk = flat[start:start + step]
        c_lo, c_hi = float(chunk.min()), float(chunk.max())  # the chunk is in the cache
        if c_lo != c_lo or c_hi != c_hi:
            return float("nan"), float("nan")
        lo, hi = min(lo, c_lo), max(hi, c_hi)
    return lo, hi


@dataclass
class DensePass:
    """What :func:`dense_pass` measured (non-finite entries count as 0 in the sums)."""

    lo: float  # min and max of the raw values: NaN if any NaN
    hi: float
    lo_finite: float  # min and max with non-finite entries read as 0
    hi_finite: float
    total: float  # sum of all entries, in float64
    zeros: int
    ones: int
    asym: float  # max |S[i, j] - S[j, i]|


def _tile_side(itemsize: int) -> int:
    return max(16, int((TILE_BYTES / itemsize) ** 0.5))


def dense_pass(vals: np.ndarray, tile: int | None = None) -> DensePass:
    """Range, sum, counts of 0s and 1s and the largest asymmetry of a square ``vals``.

    Parameters
    ----------
    vals : float array of shape (n, n)
    tile : int, optional
        Side of the square tiles (default: a 256 KB tile).

    Returns
    -------
    DensePass
    """
    n = vals.shape[0]
    b = tile or _tile_side(vals.itemsize)
    lo, hi = value_range(vals)
    clean = bool(np.isfinite(lo) and np.isfinite(hi))
    out = DensePass(lo, hi, np.inf, -np.inf, 0.0, 0, 0, 0.0)
    buf = np.empty((b, b), dtype=vals.dtype)
    for i0 in range(0, n, b):
        i1 = min(i0 + b, n)
        for j0 in range(i0, n, b):
            j1 = min(j0 + b, n)
            a = vals[i0:i1, j0:j1]
            m = vals[j0:j1, i0:i1].T  # the mirror tile, read while a is in the cache
            if not clean:
                a = np.where(np.isfinite(a), a, 0)
                m = np.where(np.isfinite(m), m, 0)
            _add_tile(out, a, clean)
            if j0 != i0:
                _add_tile(out, m, clean)
            d = buf[:i1 - i0, :j1 - j0]
            np.subtract(a, m, out=d)
            np.abs(d, out=d)
            out.asym = max(out.asym, float(d.max()))
    if clean:
        out.lo_finite, out.hi_finite = lo, hi
    return out


def _add_tile(out: DensePass, a: np.ndarray, clean: bool) -> None:
    out.total += float(a.sum(dtype=np.float64))
    out.zeros += int(np.count_nonzero(a == 0))
    out.ones += int(np.count_nonzero(a == 1))
    if clean:  # the range is known already
        return
    out.lo_finite = min(out.lo_finite, float(a.min()))
    out.hi_finite = max(out.hi_finite, float(a.max()))
