import numpy as np
import pytest

from simmatrix import BuildError, SimilarityMatrix
from simmatrix.transforms import lower_bound, map_range, power, symmetrize, top_k
from simmatrix.validate import validate

RAW = np.array([[1.0, 0.6, -0.4], [0.6, 1.0, 0.2], [-0.4, 0.2, 1.0]])


def raw():
    return SimilarityMatrix(RAW, ["a", "b", "c"], {"builder": "test"})


def test_lower_bound_is_eq3():
    S = map_range(raw(), "clip")
    out = lower_bound(S, 0.3)
    expected = np.maximum(0, np.clip(RAW, 0, 1) - 0.3) / 0.7
    np.fill_diagonal(expected, 1)
    np.testing.assert_allclose(out.values, expected, rtol=0, atol=1e-15)
    assert out.metadata["transforms"][-1] == {"name": "lower_bound", "l": 0.3}
    assert validate(out).ok


def test_lower_bound_range():
    for bad in (-0.1, 1.0, 2):
        with pytest.raises(BuildError, match="lower bound"):
            lower_bound(raw(), bad)


def test_map_range_clip_and_affine():
    np.testing.assert_allclose(map_range(raw(), "clip").values, np.clip(RAW, 0, 1))
    np.testing.assert_allclose(map_range(raw(), "affine").values[0, 2], (1 - 0.4) / 2)
    with pytest.raises(BuildError):
        map_range(raw(), "squash")


def test_power_and_top_k():
    S = map_range(raw(), "clip")
    np.testing.assert_allclose(power(S, 2).values[0, 1], 0.36)
    T = top_k(S, 1)
    np.testing.assert_allclose(T.values, [[1, 0.6, 0], [0.6, 1, 0], [0, 0.2, 1]])
    assert top_k(S, 1, sparse=True).is_sparse
    names = [t["name"] for t in T.metadata["transforms"]]
    assert names == ["map_range", "top_k"]


def test_symmetrize():
    S = SimilarityMatrix([[1.0, 0.2], [0.6, 1.0]])
    np.testing.assert_allclose(symmetrize(S, "mean").values, [[1, 0.4], [0.4, 1]])
    np.testing.assert_allclose(symmetrize(S, "max").values, [[1, 0.6], [0.6, 1]])
    sp_sym = symmetrize(top_k(S, 1, sparse=True), "max")
    np.testing.assert_allclose(sp_sym.to_dense(), [[1, 0.6], [0.6, 1]])


def test_transforms_keep_dtype():
    S = map_range(raw(), "clip").astype("float32")
    assert lower_bound(S, 0.1).dtype == np.float32
    assert power(S, 0.5).dtype == np.float32
