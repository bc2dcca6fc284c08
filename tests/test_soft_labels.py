"""dlordinal's soft labels as order kernels: equal to dlordinal's own generators, rescaled.

The reference is dlordinal 2.7 itself (only its ``soft_labelling`` functions are imported;
it is installed without its torchvision/scikit-image dependencies).
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from conftest import assert_one_line_error
from simmatrix import io
from simmatrix.builders import order_matrix
from simmatrix.errors import BuildError
from simmatrix.validate import validate

sl = pytest.importorskip("dlordinal.soft_labelling")

REFERENCE = {
    "beta": lambda J, a: sl.get_beta_soft_labels(J),
    "binomial": lambda J, a: sl.get_binomial_soft_labels(J),
    "poisson": lambda J, a: sl.get_poisson_soft_labels(J),
    "triangular": lambda J, a: sl.get_triangular_soft_labels(J, **({} if a is None
                                                                    else {"alpha2": a})),
    "geometric": lambda J, a: sl.get_geometric_soft_labels(J, **({} if a is None
                                                                  else {"alphas": a})),
}
SIZES = {"beta": range(3, 15), "binomial": range(2, 11), "poisson": [2, 3, 5, 8, 13, 30],
         "triangular": [2, 3, 4, 5, 7, 10, 16, 40], "geometric": [2, 3, 6, 11, 50]}
ALPHAS = {"triangular": [None, 0.001, 0.05, 0.2], "geometric": [None, 0.0, 0.3, 0.5]}
CASES = [(k, J, a) for k in REFERENCE for J in SIZES[k] for a in ALPHAS.get(k, [None])]


def _rescaled(P) -> np.ndarray:
    P = np.asarray(P, dtype=np.float64)
    return P / np.diagonal(P)[:, None]


@pytest.mark.parametrize("kernel, J, alpha", CASES)
def test_equals_dlordinal_after_rescaling(kernel, J, alpha):
    want = _rescaled(REFERENCE[kernel](J, alpha))
    S = order_matrix(J, kernel=kernel, alpha=alpha)
    assert S.shape == (J, J) and np.all(np.diagonal(S.values) == 1)
    # dlordinal's beta uses a hypergeometric form of the CDF; its tiny tails carry ~1e-13
    assert_allclose(S.values, np.minimum(want, 1.0), rtol=1e-9, atol=1e-12)
    assert validate(S).ok, validate(S).errors


def test_ties_for_the_mode_are_rounding_clipped_to_one():
    want = _rescaled(sl.get_poisson_soft_labels(12))
    assert want.max() > 1.0  # dlordinal's own rows overshoot by rounding here
    S = order_matrix(12, kernel="poisson").values
    assert S.max() == 1.0
    i = np.arange(11)
    assert_allclose(S[i, i + 1], 1.0, rtol=1e-15)  # pmf(i; i+1) == pmf(i+1; i+1)


def test_validation_prints_values_with_all_their_digits():
    errors = validate(np.array([[1.0, 1.0000000000000002], [0.5, 1.0]])).errors
    assert errors == ["S[0, 1] = 1.0000000000000002 is outside [0, 1]"]


@pytest.mark.parametrize("kwargs, says", [
    ({"n_classes": 11, "kernel": "binomial"}, "at most 10 classes"),
    ({"n_classes": 2, "kernel": "geometric", "alpha": 0.6}, "use a smaller alpha"),
    ({"n_classes": 15, "kernel": "beta"}, "3 to 14 classes"),
    ({"n_classes": 4, "kernel": "poisson", "alpha": 0.1}, "alpha applies to"),
    ({"n_classes": 4, "kernel": "exponential", "alpha": 0.1}, "alpha applies to"),
    ({"values": [0, 1, 3], "kernel": "poisson"}, "values= and circular= do not apply"),
    ({"n_classes": 4, "kernel": "triangular", "alpha": 0.5}, "must be in (0, 0.5)"),
])
def test_refused_with_the_reason(kwargs, says):
    with pytest.raises(BuildError) as info:
        order_matrix(**kwargs)
    assert says in str(info.value)
    assert "np." not in str(info.value)  # plain numbers, not numpy reprs


def test_cli_kernel_and_alpha(cli, tmp_path):
    out = tmp_path / "S.npy"
    res = cli("build", "order", "--n-classes", 6, "--kernel", "geometric", "--alpha", 0.25,
              "-o", out)
    assert res.code == 0, res
    S = io.load(out)
    assert_allclose(S.values, _rescaled(sl.get_geometric_soft_labels(6, alphas=0.25)),
                    rtol=1e-12)
    assert S.metadata["params"]["kernel"] == "geometric"
    assert S.metadata["params"]["alpha"] == 0.25
    bad = cli("build", "order", "--n-classes", 20, "--kernel", "binomial", "-o",
              tmp_path / "B.npy")
    assert_one_line_error(bad, 2)
    assert not (tmp_path / "B.npy").exists()
