import numpy as np
import pytest

from simmatrix import BuildError
from simmatrix.builders.order import order_matrix
from simmatrix.validate import validate


def reference(v, r=None, sigma=None, unit=1.0, period=None):
    """Float64 formula, pair by pair (small sizes only)."""
    n = len(v)
    out = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            d = abs(v[i] - v[j])
            if period is not None:
                d = min(d % period, period - d % period)
            d /= unit
            out[i, j] = r**d if sigma is None else np.exp(-((d / sigma) ** 2) / 2)
    return out


@pytest.mark.parametrize("r", [0.0, 0.1, 0.5, 0.8, 0.99])
def test_paper_eq2(r):
    S = order_matrix(90, reduction=r)
    np.testing.assert_allclose(S.values, reference(np.arange(90), r), rtol=1e-12, atol=0)
    assert S.classes == tuple(str(i) for i in range(90))
    assert validate(S).ok


def test_r0_is_identity():
    np.testing.assert_array_equal(order_matrix(5, reduction=0).values, np.eye(5))


def test_values_with_gaps_and_unit():
    v = [1, 2, 5, 10, 30]
    S = order_matrix(values=v, reduction=0.7, unit=5)
    np.testing.assert_allclose(S.values, reference(v, 0.7, unit=5), rtol=1e-12)
    assert S.classes == ("1", "2", "5", "10", "30")


def test_float_bin_centres_equally_spaced():
    v = [0.05 + 0.1 * k for k in range(20)]
    S = order_matrix(values=v, reduction=0.5, unit=0.1)
    np.testing.assert_allclose(S.values, reference(v, 0.5, unit=0.1), rtol=1e-9)


def test_circular():
    S = order_matrix(24, reduction=0.5, circular=24)
    np.testing.assert_allclose(S.values, reference(np.arange(24), 0.5, period=24), rtol=1e-12)
    assert S["0", "23"] == pytest.approx(0.5)
    months = order_matrix(values=[0, 3, 4, 11], reduction=0.5, circular=12)
    np.testing.assert_allclose(months.values, reference([0, 3, 4, 11], 0.5, period=12))


def test_gaussian():
    v = [0, 1, 3, 7]
    S = order_matrix(values=v, kernel="gaussian", sigma=2.0)
    np.testing.assert_allclose(S.values, reference(v, sigma=2.0), rtol=1e-12)


def test_names_and_dtype():
    S = order_matrix(names=["bad", "ok", "good"], reduction=0.5, dtype="float32")
    assert S.dtype == np.float32 and S.classes == ("bad", "ok", "good")
    assert S["bad", "good"] == pytest.approx(0.25)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_classes": 3, "reduction": 1.0}, r"\[0, 1\)"),
        ({"n_classes": 3, "reduction": -0.1}, r"\[0, 1\)"),
        ({"n_classes": 0}, "positive integer"),
        ({"values": []}, "non-empty"),
        ({"values": [1, float("nan")]}, "not finite"),
        ({"n_classes": 3, "kernel": "gaussian"}, "sigma"),
        ({"n_classes": 3, "kernel": "cosine"}, "kernel must be"),
        ({"n_classes": 3, "circular": 0}, "period"),
        ({"n_classes": 2, "values": [1, 2, 3]}, "3 values"),
        ({}, "give the number of classes"),
    ],
)
def test_bad_parameters(kwargs, match):
    with pytest.raises(BuildError, match=match):
        order_matrix(**kwargs)


def test_large_c_is_vectorised():
    # 4,000 classes would take minutes pair by pair; here it is one array operation.
    S = order_matrix(values=np.sort(np.random.default_rng(0).uniform(0, 100, 4000)),
                     reduction=0.9)
    i, j = 123, 3456
    v = S.metadata["values"]
    assert S.values[i, j] == pytest.approx(0.9 ** abs(v[i] - v[j]), rel=1e-12)
