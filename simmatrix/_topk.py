"""Each row's ``k`` largest inner products with the other rows: exact, at close to sgemm speed.

For rows ``x_0 … x_{m-1}`` and each ``i``, the ``k`` columns ``j ≠ i`` with the largest
``x_i · x_j``, largest first, ties to the lower ``j``: the same answer as a float64 brute
force followed by a stable sort. The values are float64 dot products of the given rows.

How, for a block of rows (about 1 MB of products at a time, so they stay in the cache):

1. A lower bound of each row's k-th largest product, from a strided sample of columns: the
   k-th largest of a subset is never above the k-th largest of the whole row.
2. The products of the block with one tile of columns after another, in float32 sgemm; an
   entry below its row's bound is rejected by one comparison (most of them). The survivors'
   positions come from a scan of the comparison mask eight bytes at a time.
3. Among the survivors, only those within float32's error of the row's float32 k-th value
   can be in the exact top k; they are recomputed in float64 and sorted (value, column).

The float32 products differ from the float64 ones by at most ``eps = (d + 4) 2^-24 |x_i|
max|x_j|`` (rounding the rows to float32 and a length-d sum, in any order), and every margin
above is a small multiple of it, so no entry of the exact top k is ever rejected: the
search is exact, not approximate. Row blocks run on a pool of threads, the BLAS limited to
one thread inside (threadpoolctl), so the products, comparisons and scans all run in parallel.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np

BLOCK_ROWS = 2048  # rows per block
TILE_COLS = 512  # columns per tile (a 2048 x 512 float32 tile is 4 MB): the fastest sgemm shape
# measured for d = 50 (25% faster than 1024 x 1024 tiles, single thread)
SAMPLE = 1024  # columns sampled for the bound (at most a tenth of them, at least 8 k)
RAISE_FROM = 1024  # after 1024, 2048, 4096, ... columns the bound rises to the k-th so far
U32 = 2.0**-24  # float32's unit roundoff
SLACK = 1.25  # on top of the proven error bound

Progress = Callable[[int, int], None]


def top_k_self(
    x: np.ndarray,
    k: int,
    *,
    block_rows: int | None = None,
    threads: int | None = None,
    progress: Progress | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Column indices and float64 values of each row's ``k`` largest ``x_i · x_j``, ``j ≠ i``.

    Parameters
    ----------
    x : float array of shape (m, d), finite
    k : int
        At most ``m - 1`` (larger is clipped).
    block_rows : int, optional
        Rows per block (default 2048); peak extra memory is a few blocks' worth of products.
    threads : int, optional
        Threads working on row blocks (default: as many as the BLAS would use).
    progress : callable(done, total), optional
        Called after each block of rows.

    Returns
    -------
    cols : int64 array of shape (m, k)
    vals : float64 array of shape (m, k)
        Largest first; among equal values the lower column first.

    >>> x = np.array([[1.0, 0.0], [1.0, 0.0], [0.6, 0.8], [0.0, 1.0]])
    >>> top_k_self(x, 2)[0]
    array([[1, 2],
           [0, 2],
           [3, 0],
           [2, 0]])
    """
    x64 = np.ascontiguousarray(x, dtype=np.float64)
    m, d = x64.shape
    k = max(0, min(int(k), m - 1))
    cols = np.empty((m, k), dtype=np.int64)
    vals = np.empty((m, k), dtype=np.float64)
    if k == 0:
        return cols, vals
    norms = np.linalg.norm(x64, axis=1)
    job = _Job(x64, np.ascontiguousarray(x64, dtype=np.float32), k,
               SLACK * (d + 4) * U32 * norms * norms.max())
    step = m // max(8 * k, min(SAMPLE, m // 10))
    sample = np.arange(0, m, step) if step >= 4 else None  # None: every column, directly
    rows = max(1, int(block_rows or BLOCK_ROWS))
    blocks = [(s, min(s + rows, m)) for s in range(0, m, rows)]

    def work(block: tuple[int, int]) -> None:
        s, e = block
        cols[s:e], vals[s:e] = job.block(s, e, sample)

    n_threads = _threads(threads, len(blocks))
    with _blas_threads(1 if n_threads > 1 else None):
        if n_threads == 1:
            done = (work(b) for b in blocks)
        else:
            pool = ThreadPoolExecutor(n_threads)
            done = pool.map(work, blocks)
        try:
            for i, _ in enumerate(done):
                if progress is not None:
                    progress(i + 1, len(blocks))
        finally:
            if n_threads > 1:
                pool.shutdown(cancel_futures=True)
    return cols, vals


class _Job:
    """The rows (float64 for the answer, float32 for the search), k and each row's eps."""

    def __init__(self, x64: np.ndarray, x32: np.ndarray, k: int, eps: np.ndarray):
        self.x64, self.x32, self.k, self.eps = x64, x32, k, eps

    def block(self, s: int, e: int, sample: np.ndarray | None):
        """The exact top k of rows ``s:e``."""
        m, k, nb = len(self.x32), self.k, e - s
        a = self.x32[s:e]
        eps = self.eps[s:e]
        if sample is None:  # few columns: one product block, its own k-th value
            p = a @ self.x32.T
            p[np.arange(nb), np.arange(s, e)] = -np.inf
            kth = np.partition(p, m - k, axis=1)[:, m - k]  # a copy: p is read below
            r, c = np.nonzero(p >= _f32(kth - 2 * eps)[:, None])
            first = np.searchsorted(r, np.arange(nb))
            return self.exact(s, nb, r, np.arange(len(r)) - first[r], c, p[r, c])
        ps = a @ self.x32[sample].T
        own = np.arange(s, e)
        step = int(sample[1] - sample[0])
        hit = (own % step == 0) & (own // step < len(sample))
        ps[np.flatnonzero(hit), own[hit] // step] = -np.inf
        # the tiles' float32 values may differ from the sample's by 2 eps: bound - 3 eps
        ps.partition(ps.shape[1] - k, axis=1)
        thr = _f32(ps[:, ps.shape[1] - k] - 3 * eps)
        found = _Survivors(nb)
        cap = nb * max(256, 16 * k)
        rise = RAISE_FROM
        tile = np.empty((nb, TILE_COLS), dtype=np.float32)
        mask = np.empty((nb, TILE_COLS), dtype=bool)
        for c0 in range(0, m, TILE_COLS):
            c1 = min(c0 + TILE_COLS, m)
            w = c1 - c0
            if w < TILE_COLS:
                tile, mask = np.empty((nb, w), np.float32), np.empty((nb, w), bool)
            np.matmul(a, self.x32[c0:c1].T, out=tile)
            lo, hi = max(s, c0), min(e, c1)
            if lo < hi:
                tile[np.arange(lo - s, hi - s), np.arange(lo - c0, hi - c0)] = -np.inf
            np.greater_equal(tile, thr[:, None], out=mask)
            idx = _flat_true(mask)
            r = idx // w
            found.add(r, idx - r * w + c0, tile.reshape(-1)[idx])
            if c1 >= rise and c1 < m:  # the k-th value so far: a tighter bound
                thr = np.maximum(thr, _f32(found.kth(k) - 2 * eps))
                rise *= 2
            if found.size > cap:  # many ties or a weak bound: keep only the exact top k
                kc, kv = self.exact(s, nb, *found.arrays())
                found = _Survivors(nb)
                found.add(np.repeat(np.arange(nb), k), kc.ravel(), _f32(kv.ravel()))
                thr = np.maximum(thr, _f32(kv[:, -1] - eps))
        return self.exact(s, nb, *found.arrays())

    def exact(self, s, nb, r, pos, c, v32):
        """From each row's candidates (float32 values ``v32``), the exact top k.

        Only candidates within 2 eps of the row's float32 k-th value are recomputed in
        float64: the others are below every entry of the exact top k.
        """
        k = self.k
        eps = self.eps[s:s + nb]
        v = np.full((nb, int(pos.max()) + 1), -np.inf, dtype=np.float32)
        v[r, pos] = v32
        v.partition(v.shape[1] - k, axis=1)
        kth = v[:, v.shape[1] - k]
        f = np.flatnonzero(v32 >= _f32(kth - 2 * eps)[r])
        rr, cc = r[f], c[f]
        exact = np.einsum("ij,ij->i", self.x64[s + rr], self.x64[cc])
        order = np.lexsort((cc, -exact, rr))  # by row, value descending, then column
        rr, cc, exact = rr[order], cc[order], exact[order]
        rank = np.arange(len(rr)) - np.searchsorted(rr, np.arange(nb))[rr]
        keep = rank < k
        return cc[keep].reshape(nb, k), exact[keep].reshape(nb, k)


class _Survivors:
    """Entries that passed their row's bound, tile after tile: row, slot in the row, column."""

    def __init__(self, nb: int):
        self.count = np.zeros(nb, dtype=np.int64)
        self.parts: list[tuple] = []
        self.size = 0

    def add(self, r: np.ndarray, c: np.ndarray, v: np.ndarray) -> None:
        """Add entries sorted by row (as a scan of one tile yields them)."""
        n = np.bincount(r, minlength=len(self.count))
        first = np.cumsum(n) - n
        pos = self.count[r] + np.arange(len(r)) - first[r]
        self.count += n
        self.parts.append((r, pos, c, v))
        self.size += len(r)

    def kth(self, k: int) -> np.ndarray:
        """Each row's k-th largest value so far (every row has at least k)."""
        r, pos, _, v32 = self.arrays()
        v = np.full((len(self.count), int(pos.max()) + 1), -np.inf, dtype=np.float32)
        v[r, pos] = v32
        v.partition(v.shape[1] - k, axis=1)
        return v[:, v.shape[1] - k]

    def arrays(self):
        return tuple(np.concatenate(x) for x in zip(*self.parts))


def _f32(a: np.ndarray) -> np.ndarray:
    """float32 thresholds rounded down, so a comparison never rejects what it should keep."""
    t = np.asarray(a, dtype=np.float32)
    return np.where(t > a, np.nextafter(t, np.float32(-np.inf)), t).astype(np.float32)


def _flat_true(mask: np.ndarray) -> np.ndarray:
    """Flat indices of the True entries of a C-contiguous bool array, few of them expected.

    ``np.flatnonzero`` tests one byte at a time; here eight bytes are tested as one word and
    only the words that hold a True are looked into.
    """
    flat = mask.reshape(-1)
    if flat.size % 8:
        return np.flatnonzero(flat)
    words = np.flatnonzero(flat.view(np.uint64) != 0)
    j = np.flatnonzero(flat.reshape(-1, 8)[words])
    return words[j >> 3] * 8 + (j & 7)


def _threads(threads: int | None, n_blocks: int) -> int:
    try:
        import threadpoolctl  # noqa: F401 - without it the BLAS threads, one block at a time
    except ImportError:
        return 1
    if threads is None:
        threads = _blas_thread_count()
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(int(threads), n_blocks, cpus or 1))


def _blas_thread_count() -> int:
    """How many threads the BLAS would use (1 without threadpoolctl: the BLAS then threads)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return 1
    counts = [i.get("num_threads", 1) for i in threadpool_info() if i.get("user_api") == "blas"]
    return max(counts, default=1)


@contextmanager
def _blas_threads(n: int | None) -> Iterator[None]:
    """Limit the BLAS to ``n`` threads inside (nothing when ``n`` is None)."""
    if n is None:
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=n, user_api="blas"):
        yield
