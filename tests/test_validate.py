import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from simmatrix import InvalidMatrixError, SimilarityMatrix
from simmatrix.validate import check, validate


def test_valid_identity():
    r = validate(np.eye(4))
    assert r.ok and not r.warnings
    assert r.stats["symmetric"] and r.stats["n_classes"] == 4


@pytest.mark.parametrize(
    "values, message",
    [
        ([[1.0, 1.2], [0.2, 1.0]], "S[0, 1] = 1.2 is outside [0, 1]"),
        ([[1.0, -0.5], [0.2, 1.0]], "S[0, 1] = -0.5 is outside [0, 1]"),
        ([[1.0, np.nan], [0.2, 1.0]], "S[0, 1] = nan is not finite"),
        ([[1.0, 0.1], [np.inf, 1.0]], "S[1, 0] = inf is not finite"),
        ([[1.0, 0.1], [0.1, 0.9]], "S[1, 1] = 0.9 is not 1"),
        (np.ones((2, 3)), "square, got shape 2×3"),
        (np.ones((2, 2, 2)), "2-D, got shape (2, 2, 2)"),
        (np.zeros((0, 0)), "no classes"),
    ],
)
def test_errors_name_the_entry_and_value(values, message):
    r = validate(np.asarray(values, dtype=float))
    assert not r.ok
    assert any(message in e for e in r.errors), r.errors
    with pytest.raises(InvalidMatrixError, match=message.replace("[", r"\[").replace("(", r"\(")
                       .replace(")", r"\)")):
        check(np.asarray(values, dtype=float))


def test_many_problems_are_counted_not_listed_forever():
    vals = np.full((50, 50), 2.0)
    np.fill_diagonal(vals, 1)
    r = validate(vals)
    assert len(r.errors) == 5
    assert "2445 more entries like this" in r.errors[-1]


def test_off_diagonal_one_warns_unless_interchangeable():
    S = SimilarityMatrix([[1.0, 1.0, 0], [1.0, 1.0, 0], [0, 0, 1.0]], ["sofa", "couch", "car"])
    r = validate(S)
    assert r.ok and len(r.warnings) == 1
    assert "'sofa', 'couch'" in r.warnings[0]
    assert not validate(S, interchangeable=[("couch", "sofa")]).warnings
    declared = S.replace(metadata={"interchangeable": [["sofa", "couch"]]})
    assert not validate(declared).warnings


def test_asymmetry_is_reported_not_an_error():
    r = validate(np.array([[1.0, 0.2], [0.7, 1.0]]))
    assert r.ok
    assert r.stats["symmetric"] is False
    assert r.stats["max_asymmetry"] == pytest.approx(0.5)


def test_class_names_checked():
    r = validate(np.eye(2), ["a", "a"])
    assert not r.ok and "duplicated" in r.errors[0]
    r = validate(np.eye(2), ["a"])
    assert "1 class names for a matrix with 2 rows" in r.errors[0]


def test_sparse_validation():
    ok = sp.csr_array(np.array([[1.0, 0.4], [0.0, 1.0]]))
    assert validate(SimilarityMatrix(ok)).ok
    bad = sp.csr_array(np.array([[1.0, 1.4], [0.0, 0.5]]))
    errors = validate(SimilarityMatrix(bad)).errors
    assert "S[0, 1] = 1.4 is outside [0, 1]" in errors
    assert any("S[1, 1] = 0.5 is not 1" in e for e in errors)


def _reference_ok(a: np.ndarray) -> bool:
    """The contract written independently, element by element."""
    n = a.shape[0]
    for i in range(n):
        for j in range(n):
            x = a[i, j]
            if not np.isfinite(x) or x < 0 or x > 1 or (i == j and x != 1):
                return False
    return True


@given(
    arrays(np.float64, st.tuples(st.integers(1, 6), st.just(0)).map(lambda t: (t[0], t[0])),
           elements=st.one_of(st.floats(-0.5, 1.5), st.sampled_from([0.0, 1.0, np.nan,
                                                                     np.inf])))
)
def test_validate_agrees_with_reference(a):
    assert validate(a).ok == _reference_ok(a)


@given(st.integers(1, 8), st.floats(0, 0.99))
def test_valid_matrices_pass(n, r):
    i = np.arange(n)
    assert validate(r ** np.abs(i[:, None] - i)).ok


def test_stats_over_several_row_blocks_match_numpy():
    rng = np.random.default_rng(1)
    n = 1500  # more than one block of rows
    a = rng.uniform(0, 1, (n, n))
    a[a < 0.1] = 0
    np.fill_diagonal(a, 1)
    a[3, 1400] += 0.0  # keep it asymmetric in general
    st = validate(a).stats
    off = a[~np.eye(n, dtype=bool)]
    assert st["mean_off_diagonal"] == pytest.approx(off.mean(), rel=1e-12)
    assert st["zero_fraction_off_diagonal"] == pytest.approx((off == 0).mean(), rel=1e-12)
    assert st["max_asymmetry"] == pytest.approx(np.abs(a - a.T).max())
    assert (st["min"], st["max"]) == (a.min(), a.max())
