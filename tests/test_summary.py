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


def _ages(n=12, r=0.8):
    i = np.arange(n)
    return (r ** np.abs(i[:, None] - i)).astype(np.float64)


def _reference_nearest(a, k):
    """Largest first, ties in column order: plain Python sorting, the stated rule."""
    n = len(a)
    out = {}
    for i in range(n):
        order = sorted((j for j in range(n) if j != i), key=lambda j: (-a[i, j], j))
        out[str(i)] = [[str(j), round(float(a[i, j]), 6)] for j in order[:k] if a[i, j] > 0]
    return out


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_nearest_ties_come_in_column_order(k):
    a = _ages()
    expected = _reference_nearest(a, k)
    dense = summarize(SimilarityMatrix(a), top_k=k, block=5)
    sparse = summarize(SimilarityMatrix(sp.csr_array(a)), top_k=k)
    assert dense["top_k"] == expected
    assert sparse["top_k"] == expected


def test_nearest_ties_on_random_plateaus():
    rng = np.random.default_rng(3)
    a = rng.choice([0.0, 0.25, 0.5, 0.75], size=(30, 30))
    np.fill_diagonal(a, 1)
    for k in (1, 4, 29):
        assert summarize(SimilarityMatrix(a), top_k=k, block=8)["top_k"] == \
            _reference_nearest(a, k)


@pytest.mark.parametrize("case", ["dense-sym", "dense-asym", "sparse-sym", "sparse-topk"])
def test_symmetry_one_definition_dense_and_sparse(case):
    """summarize (inspect) and validate agree, and both equal max |S - Sᵀ| with absent = 0."""
    from simmatrix.validate import validate

    a = _random(25, 5)
    if "sym" in case.split("-")[1] and case.endswith("-sym"):
        a = np.maximum(a, a.T)
    if case == "sparse-topk":
        a = np.asarray(top_k(SimilarityMatrix(a), 3).values)
    S = SimilarityMatrix(sp.csr_array(a) if case.startswith("sparse") else a)
    asym = np.abs(a - a.T).max()
    s, v = summarize(S), validate(S).stats
    assert s["symmetric"] == v["symmetric"] == bool(asym <= 1e-6)
    assert s["max_asymmetry"] == pytest.approx(asym) and v["max_asymmetry"] == pytest.approx(asym)
    assert (asym == 0) == case.endswith("-sym")
