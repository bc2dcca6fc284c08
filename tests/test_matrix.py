import numpy as np
import pytest
import scipy.sparse as sp

from simmatrix import InvalidMatrixError, SimilarityMatrix, SimMatrixError


def make():
    vals = np.array([[1.0, 0.5, 0.1], [0.5, 1.0, 0.2], [0.1, 0.2, 1.0]])
    return SimilarityMatrix(vals, ["rose", "tulip", "truck"], {"builder": "test"})


def test_array_behaviour():
    S = make()
    assert S.shape == (3, 3) and len(S) == 3
    np.testing.assert_array_equal(np.asarray(S), S.values)
    assert np.asarray(S, dtype=np.float32).dtype == np.float32
    assert S.dtype == np.float64


def test_lookup_by_name():
    S = make()
    assert S["rose", "tulip"] == 0.5
    np.testing.assert_array_equal(S.row("truck"), [0.1, 0.2, 1.0])
    assert "rose" in S and "violet" not in S
    with pytest.raises(KeyError, match="violet"):
        S["rose", "violet"]


def test_immutable():
    S = make()
    with pytest.raises(ValueError):
        S.values[0, 1] = 0.9
    src = np.eye(2)
    T = SimilarityMatrix(src)
    src[0, 1] = 0.5  # the matrix copied its input
    assert T.values[0, 1] == 0
    meta = S.metadata
    meta["builder"] = "changed"
    assert S.metadata["builder"] == "test"
    with pytest.raises(AttributeError):
        S.classes = ("a", "b", "c")


def test_select_reorders_and_restricts():
    S = make()
    T = S.select(["truck", "rose"])
    assert T.classes == ("truck", "rose")
    np.testing.assert_array_equal(T.values, [[1.0, 0.1], [0.1, 1.0]])
    with pytest.raises(KeyError, match="'violet', 'lily'"):
        S.select(["rose", "violet", "lily"])


def test_default_classes_and_metadata():
    S = SimilarityMatrix(np.eye(3))
    assert S.classes == ("0", "1", "2")
    assert S.metadata["orientation"].startswith("rows are true classes")
    assert "simmatrix_version" in S.metadata


@pytest.mark.parametrize(
    "values, classes, match",
    [
        (np.ones((2, 3)), None, "square"),
        (np.ones((2, 2, 2)), None, "2-D"),
        (np.eye(2), ["a", "a"], "duplicated: 'a'"),
        (np.eye(2), ["a", ""], "non-empty"),
        (np.eye(2), ["a", "b", "c"], "3 class names for a matrix with 2 rows"),
        (np.array([["a", "b"], ["c", "d"]]), None, "numeric"),
    ],
)
def test_structure_errors(values, classes, match):
    with pytest.raises(InvalidMatrixError, match=match) as info:
        SimilarityMatrix(values, classes)
    assert isinstance(info.value, SimMatrixError) and isinstance(info.value, ValueError)


def test_sparse_values():
    vals = sp.csr_array(np.array([[1.0, 0.0], [0.3, 1.0]]))
    S = SimilarityMatrix(vals, ["a", "b"])
    assert S.is_sparse
    assert S["b", "a"] == pytest.approx(0.3)
    np.testing.assert_array_equal(S.row("b"), [0.3, 1.0])
    np.testing.assert_array_equal(np.asarray(S), [[1.0, 0.0], [0.3, 1.0]])


def test_fingerprint_and_equals():
    a, b = make(), make()
    assert a.fingerprint() == b.fingerprint()
    assert a.equals(b)
    c = a.select(["tulip", "rose", "truck"])
    assert not a.equals(c) and a.fingerprint() != c.fingerprint()
