"""Combining matrices: name alignment, formulas, errors, and properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose

from conftest import assert_one_line_error
from simmatrix import SimilarityMatrix, io
from simmatrix.combine import combine
from simmatrix.errors import BuildError, InvalidMatrixError
from simmatrix.validate import validate


def random_S(rng, n):
    v = rng.random((n, n))
    np.fill_diagonal(v, 1.0)
    return v


NAMES = ["ant", "bee", "cow", "dog"]


@pytest.fixture
def pair():
    rng = np.random.default_rng(1)
    A, B = random_S(rng, 4), random_S(rng, 4)
    perm = [2, 0, 3, 1]  # B is stored in another class order
    SA = SimilarityMatrix(A, NAMES)
    SB = SimilarityMatrix(B[np.ix_(perm, perm)], [NAMES[i] for i in perm])
    return A, B, SA, SB


@pytest.mark.parametrize(
    "how, ref",
    [
        ("mean", lambda A, B: (A + B) / 2),
        ("product", lambda A, B: A * B),
        ("max", np.maximum),
        ("min", np.minimum),
    ],
)
def test_formulas_aligned_by_name(pair, how, ref):
    A, B, SA, SB = pair
    S = combine([SA, SB], how)
    assert S.classes == tuple(NAMES)
    assert_allclose(S.values, ref(A, B), rtol=0, atol=1e-15)
    assert validate(S).ok


def test_weights(pair):
    A, B, SA, SB = pair
    S = combine([SA, SB], "mean", weights=[7, 3])
    assert_allclose(S.values, 0.7 * A + 0.3 * B, rtol=0, atol=1e-15)
    assert S.metadata["params"]["weights"] == pytest.approx([0.7, 0.3])
    G = combine([SA, SB], "product", weights=[0.7, 0.3])
    assert_allclose(G.values, A**0.7 * B**0.3, rtol=1e-14, atol=0)
    with pytest.raises(BuildError, match="not to 'max'"):
        combine([SA, SB], "max", weights=[1, 1])
    with pytest.raises(BuildError, match="3 weights for 2 matrices"):
        combine([SA, SB], "mean", weights=[1, 1, 1])
    with pytest.raises(BuildError, match="not all 0"):
        combine([SA, SB], "mean", weights=[0, 0])


def test_provenance(pair):
    _, _, SA, SB = pair
    SA = SA.replace(metadata={"builder": "wordnet"})
    S = combine([SA, SB], "min", labels=["a.npy", "b.npy"])
    inputs = S.metadata["inputs"]
    assert [i["label"] for i in inputs] == ["a.npy", "b.npy"]
    assert inputs[0]["metadata"]["builder"] == "wordnet"
    assert inputs[1]["fingerprint"] == SB.fingerprint()


def test_mismatch_lists_classes_and_intersect(pair):
    _, _, SA, SB = pair
    SC = SB.select(["bee", "cow", "ant"])  # lacks 'dog'
    SD = SimilarityMatrix(np.eye(4), ["ant", "bee", "cow", "emu"])
    with pytest.raises(BuildError) as exc:
        combine([SA, SC, SD], "mean")
    msg = str(exc.value)
    assert "2 classes are not in every input: 'dog', 'emu'" in msg
    assert "input 2 lacks 'dog', 'emu'" in msg and "input 1 lacks 'emu'" in msg
    S = combine([SA, SC, SD], "mean", intersect=True)
    assert S.classes == ("ant", "bee", "cow")
    assert S.metadata["dropped_classes"] == ["dog", "emu"]
    expected = (SA.select(S.classes).values + SC.select(S.classes).values + np.eye(3)) / 3
    assert_allclose(S.values, expected, rtol=0, atol=1e-15)


def test_invalid_input_is_named():
    good = SimilarityMatrix(np.eye(2), ["a", "b"])
    bad = SimilarityMatrix(np.array([[1, 1.5], [0, 1]]), ["a", "b"])
    with pytest.raises(InvalidMatrixError, match=r"input 2 is not a valid.*S\[0, 1\] = 1.5"):
        combine([good, bad])


# -- properties -----------------------------------------------------------------------------
@st.composite
def matrices(draw, k=3):
    n = draw(st.integers(1, 6))
    unit = st.floats(0, 1, allow_nan=False, allow_subnormal=False)
    out = []
    for _ in range(k):
        v = draw(arrays(np.float64, (n, n), elements=unit))
        np.fill_diagonal(v, 1.0)
        out.append(SimilarityMatrix(v, [f"c{i}" for i in range(n)]))
    return out


@settings(max_examples=60, deadline=None)
@given(matrices(k=1), st.sampled_from(["mean", "max", "min", "product"]),
       st.integers(2, 4))
def test_identical_inputs_give_the_input(ms, how, k):
    (S,) = ms
    weights = [1.0] * k if how == "product" else None  # weighted product = geometric mean
    out = combine([S] * k, how, weights=weights)
    assert_allclose(out.values, S.values, rtol=1e-12, atol=1e-15)


@settings(max_examples=60, deadline=None)
@given(matrices(k=3), st.lists(st.floats(0.01, 10), min_size=3, max_size=3))
def test_mean_between_min_and_max(ms, w):
    lo = combine(ms, "min").values
    hi = combine(ms, "max").values
    for weights in (None, w):
        mid = combine(ms, "mean", weights=weights).values
        assert np.all(lo - 1e-12 <= mid) and np.all(mid <= hi + 1e-12)
        geo = combine(ms, "product", weights=weights or [1, 1, 1]).values
        assert np.all(lo - 1e-12 <= geo) and np.all(geo <= mid + 1e-12)  # AM-GM


# -- CLI ------------------------------------------------------------------------------------
def test_cli_combine(tmp_path, cli, pair):
    A, B, SA, SB = pair
    io.save(SA, tmp_path / "a.npy")
    io.save(SB, tmp_path / "b.csv")
    out = tmp_path / "S.parquet"
    res = cli("combine", tmp_path / "a.npy", tmp_path / "b.csv", "--how", "mean",
              "--weights", "0.7,0.3", "-o", out)
    assert res.code == 0, res
    S = io.load(out)
    assert_allclose(S.values, 0.7 * A + 0.3 * B, rtol=0, atol=1e-12)
    assert [s["path"] for s in S.metadata["sources"]] == ["a.npy", "b.csv"]
    assert [i["label"] for i in S.metadata["inputs"]] == ["a.npy", "b.csv"]


def test_cli_mismatch_one_line_no_file(tmp_path, cli, pair):
    _, _, SA, SB = pair
    io.save(SA, tmp_path / "a.npy")
    io.save(SB.select(["ant", "bee", "cow"]), tmp_path / "b.npy")
    out = tmp_path / "S.npy"
    res = cli("combine", tmp_path / "a.npy", tmp_path / "b.npy", "-o", out)
    assert_one_line_error(res, 2)
    assert "the inputs have different classes; 1 classes are not in every input" in res.err
    assert "input 2 ('b.npy') lacks 'dog'" in res.err and "--intersect" in res.err
    assert not list(tmp_path.glob("S.*"))
    res = cli("combine", tmp_path / "a.npy", tmp_path / "b.npy", "--intersect", "-o", out)
    assert res.code == 0, res
    assert io.load(out).classes == ("ant", "bee", "cow")
    assert "dropped 1 classes" in res.err


def test_cli_bad_weights_and_single_input(tmp_path, cli, pair):
    _, _, SA, SB = pair
    io.save(SA, tmp_path / "a.npy")
    io.save(SB, tmp_path / "b.npy")
    res = cli("combine", tmp_path / "a.npy", tmp_path / "b.npy", "--how", "max",
              "--weights", "1,2", "-o", tmp_path / "S.npy")
    assert_one_line_error(res, 2)
    assert "weights apply to 'mean' and 'product' only" in res.err
    res = cli("combine", tmp_path / "a.npy", "-o", tmp_path / "S.npy")
    assert_one_line_error(res, 2)
    assert "at least two matrices" in res.err
    assert not list(tmp_path.glob("S.*"))


def test_cli_invalid_input_is_named_once(tmp_path, cli, pair):
    _, _, SA, _ = pair
    bad = SimilarityMatrix(np.array([[1, 1.5], [0, 1]]), ["ant", "bee"])
    io.save(SA, tmp_path / "a.npy")
    io.save(bad, tmp_path / "b.npy", validate=False)
    res = cli("combine", tmp_path / "a.npy", tmp_path / "b.npy", "-o", tmp_path / "S.npy")
    assert_one_line_error(res, 1)
    assert "input 2 ('b.npy') is not a valid similarity matrix: S[0, 1] = 1.5" in res.err
    assert not list(tmp_path.glob("S.*"))
