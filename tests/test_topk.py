"""The exact top-k search (simmatrix._topk) against a numpy brute force and a stable sort.

The reference: every product in float64 (``x @ x.T``), the diagonal excluded, then
``np.argsort(-S, kind="stable")``, so ties go to the lower column. Vectors with entries in
{0, ±1/2} make every product exact in any summation order, so ties are real ties for the
search and the reference alike.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from simmatrix._topk import top_k_self


def brute_force(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    s = x @ x.T
    np.fill_diagonal(s, -np.inf)
    order = np.argsort(-s, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(s, order, axis=1)


def halves(rng, m: int, d: int, nonzero: int = 4) -> np.ndarray:
    """Rows with ``nonzero`` entries ±1/2: products are exact multiples of 1/4 (many ties)."""
    x = np.zeros((m, d))
    j = np.argsort(rng.random((m, d)), axis=1)[:, :nonzero]
    np.put_along_axis(x, j, rng.choice([-0.5, 0.5], (m, nonzero)), axis=1)
    return x


# (m, d, k, block_rows): small m takes the direct path, larger m the sampled bound (and past
# 4096 columns the raised one: the GloVe test)
CASES = [(2, 3, 1, None), (40, 5, 3, 7), (300, 8, 25, 64), (2500, 20, 10, 777),
         (3000, 50, 10, None), (3000, 4, 60, 1000)]


@pytest.mark.parametrize("m,d,k,block_rows", CASES)
@pytest.mark.parametrize("threads", [1, 2])
def test_random_vectors_equal_the_brute_force(m, d, k, block_rows, threads):
    rng = np.random.default_rng(m + d + k)
    x = rng.standard_normal((m, d)) * rng.uniform(0.5, 2.0, (m, 1))
    cols, vals = top_k_self(x, k, block_rows=block_rows, threads=threads)
    ref_cols, ref_vals = brute_force(x, k)
    assert cols.dtype == np.int64 and vals.dtype == np.float64
    assert np.array_equal(cols, ref_cols)
    assert_allclose(vals, ref_vals, rtol=0, atol=1e-12)


@pytest.mark.parametrize("m,block_rows", [(500, 128), (3000, None), (2600, 999)])
def test_ties_go_to_the_lower_column(m, block_rows):
    rng = np.random.default_rng(m)
    x = halves(rng, m, 16)
    x[::7] = x[3]  # many exact duplicates: whole runs of equal products
    cols, vals = top_k_self(x, 12, block_rows=block_rows, threads=2)
    ref_cols, ref_vals = brute_force(x, 12)
    assert np.array_equal(cols, ref_cols)
    assert np.array_equal(vals, ref_vals)


def test_all_rows_equal_keeps_the_first_columns():
    """Every product ties: the search must keep compacting, and give columns 0, 1, ..."""
    x = np.ones((3000, 3))
    cols, vals = top_k_self(x, 5)
    want = np.array([[j for j in range(6) if j != i][:5] for i in range(6)])
    assert np.array_equal(cols[:6], want)
    assert np.array_equal(cols[6:], np.tile(np.arange(5), (len(x) - 6, 1)))
    assert np.all(vals == 3.0)


def test_k_is_clipped_and_zero_is_empty():
    x = np.random.default_rng(1).standard_normal((4, 2))
    assert top_k_self(x, 10)[0].shape == (4, 3)
    assert top_k_self(x, 0)[0].shape == (4, 0)
    assert top_k_self(x[:1], 3)[0].shape == (1, 0)


def test_progress_counts_every_block():
    calls = []
    top_k_self(np.random.default_rng(2).standard_normal((3000, 6)), 3, block_rows=600,
               threads=2, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(i, 5) for i in range(1, 6)]


def test_glove_cosines_equal_the_brute_force(wv):
    """Real vectors, through the builders' entry point (classes without a vector included)."""
    from simmatrix.builders.cosine import cosine_top_k

    rows = np.asarray(wv.vectors[:4500], dtype=np.float64).copy()
    has = np.ones(len(rows), dtype=bool)
    has[[5, 700, 3210]] = False
    rows[~has] = 0.0
    got = cosine_top_k(rows, has, 10, dtype=np.dtype(np.float32))
    unit = rows[has] / np.linalg.norm(rows[has], axis=1, keepdims=True)
    ref_cols, ref_vals = brute_force(unit, 10)
    idx = np.flatnonzero(has)
    got = got.tocsr()
    for i in np.flatnonzero(~has):
        assert got[[i]].nnz == 1 and got[:, [i]].nnz == 1  # only the diagonal
    # every row with a vector: the same 10 neighbours as the brute force, values to float32
    coo = got.tocoo()
    off = coo.row != coo.col
    r, c, v = coo.row[off], coo.col[off], coo.data[off]
    order = np.lexsort((c, r))
    got_cols = c[order].reshape(-1, 10)
    ref_sorted = np.sort(idx[ref_cols], axis=1)
    assert np.array_equal(got_cols, ref_sorted)
    ref_v = np.take_along_axis(ref_vals, np.argsort(idx[ref_cols], axis=1), axis=1)
    assert_allclose(v[order].reshape(-1, 10), ref_v, rtol=0, atol=1e-7)


@pytest.fixture(scope="module")
def wv():
    from simmatrix.sources.vectors import load_vectors

    return load_vectors("glove-6b-50d")
