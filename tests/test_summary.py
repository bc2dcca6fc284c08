"""inspect's summary: dense (row blocks) and sparse (stored entries) agree with numpy."""

import numpy as np
import pytest
import scipy.sparse as sp

from simmatrix import SimilarityMatrix
from simmatrix.summary import summarize
from simmatrix.transforms import top_k


def _random(n, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.uniform(0, 1, (n, n)).round(3)
    a[a < 0.2] = 0
    np.fill_diagonal(a, 1)
    return a


def test_dense_summary_matches_numpy():
    a = _random(50)
    s = summarize(SimilarityMatrix(a), top_k=3, block=7)  # several row blocks
    off = a[~np.eye(50, dtype=bool)]
    assert s["values"]["mean_off_diagonal"] == pytest.approx(off.mean())
    assert s["values"]["zero_fraction_off_diagonal"] == pytest.approx((off == 0).mean())
    expected, _ = np.histogram(off, bins=10, range=(0, 1))
    assert s["values"]["histogram_off_diagonal"]["counts"] == expected.tolist()
    assert s["max_asymmetry"] == pytest.approx(np.abs(a - a.T).max())
    mass = a.sum(axis=1) - 1
    assert s["off_diagonal_mass"]["mean"] == pytest.approx(mass.mean())
    row = np.where(np.arange(50) == 4, -1, a[4])
    best = np.argsort(-row, kind="stable")[:3]
    assert [name for name, _ in s["top_k"]["4"]] == [str(j) for j in best]


def test_sparse_summary_equals_dense_summary():
    S = top_k(SimilarityMatrix(_random(40, 1)), 4)
    sparse = S.replace(values=sp.csr_array(S.values))
    d, s = summarize(S, top_k=3), summarize(sparse, top_k=3)
    assert s["off_diagonal_mass"] == pytest.approx(d["off_diagonal_mass"])
    assert s["symmetric"] == d["symmetric"]
    assert (s["values"]["min"], s["values"]["max"]) == (d["values"]["min"], d["values"]["max"])
    assert s["values"]["histogram_off_diagonal"] == d["values"]["histogram_off_diagonal"]
    assert s["values"]["mean_off_diagonal"] == pytest.approx(d["values"]["mean_off_diagonal"])
    assert s["max_asymmetry"] == pytest.approx(d["max_asymmetry"])
    assert s["top_k"] == d["top_k"]


def test_large_sparse_needs_no_dense_matrix():
    n = 60_000  # a dense float64 copy would be 28.8 GB
    rows = np.repeat(np.arange(n), 2)
    cols = np.column_stack([np.arange(n), (np.arange(n) + 1) % n]).ravel()
    vals = np.tile([1.0, 0.5], n)
    S = SimilarityMatrix(sp.csr_array((vals, (rows, cols)), shape=(n, n)))
    s = summarize(S, top_k=1)
    assert s["off_diagonal_mass"]["mean"] == pytest.approx(0.5)
    assert s["top_k"]["0"] == [["1", 0.5]]
    assert s["symmetric"] is False
