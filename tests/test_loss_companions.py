"""Companion losses and the decision rule against float64 loop references, all backends."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from _backends import backend_fixture
from numpy.testing import assert_allclose
from scipy.special import logsumexp

from simmatrix import bayes_decision, simloss
from simmatrix.decision import expected_gain, expected_value, nearest_class
from simmatrix.losses import (
    expected_similarity,
    expected_value_l1,
    ranked_probability_score,
    soft_label_cross_entropy,
    squared_emd,
)

backend = backend_fixture()
RNG = np.random.default_rng(3)
B, C = 10, 6
Z = RNG.normal(scale=2.0, size=(B, C))
Y = RNG.integers(0, C, size=B)
P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
IDX = np.arange(C)
S = np.clip(1.0 - np.abs(IDX[:, None] - IDX[None, :]) / 3.0, 0.0, 1.0)  # ordinal, with zeros
VALUES = np.array([0.0, 1.0, 2.5, 3.0, 7.0, 8.0])


def _rps_loop(p, y):
    out = []
    for pi, yi in zip(p, y, strict=True):
        F, total = 0.0, 0.0
        for k in range(C - 1):
            F += pi[k]
            total += (F - (1.0 if k >= yi else 0.0)) ** 2
        out.append(total / (C - 1))
    return np.array(out)


def _emd_loop(p, y, v):
    out = []
    for pi, yi in zip(p, y, strict=True):
        F, total = 0.0, 0.0
        for k in range(C - 1):
            F += pi[k]
            total += (F - (1.0 if k >= yi else 0.0)) ** 2 * (v[k + 1] - v[k])
        out.append(total)
    return np.array(out)


def test_soft_label_cross_entropy(backend):
    q = S[Y] / S[Y].sum(axis=1, keepdims=True)
    ref = -(q * np.log(P)).sum(axis=1)
    for S_in in (S, sp.csr_array(S)):
        got = soft_label_cross_entropy(backend.array(Z, np.float32), backend.array(Y), S_in,
                                       reduction="none")
        assert_allclose(backend.numpy(got), ref, rtol=1e-5)
    got = soft_label_cross_entropy(backend.array(P), backend.array(Y), S, from_logits=False)
    assert_allclose(float(backend.numpy(got)), ref.mean(), rtol=1e-5)
    # S = I is plain cross-entropy
    ce = -np.log(P[np.arange(B), Y]).sum()
    got = soft_label_cross_entropy(backend.array(Z), backend.array(Y), np.eye(C), reduction="sum")
    assert_allclose(float(backend.numpy(got)), ce, rtol=1e-5)


def test_soft_label_gradient_finite_with_zeros_in_S():
    torch = pytest.importorskip("torch")
    z = torch.tensor(Z, requires_grad=True)
    soft_label_cross_entropy(z, torch.from_numpy(Y), S).backward()
    assert torch.isfinite(z.grad).all()


def test_rps_and_squared_emd(backend):
    p, y = backend.array(P), backend.array(Y)
    assert_allclose(backend.numpy(ranked_probability_score(p, y, reduction="none",
                                                           from_logits=False)),
                    _rps_loop(P, Y), rtol=1e-5)
    assert_allclose(float(backend.numpy(ranked_probability_score(backend.array(Z), y))),
                    _rps_loop(P, Y).mean(), rtol=1e-5)
    assert_allclose(backend.numpy(squared_emd(p, y, values=VALUES, reduction="none",
                                              from_logits=False)),
                    _emd_loop(P, Y, VALUES), rtol=1e-5)
    assert_allclose(float(backend.numpy(squared_emd(p, y, reduction="sum", from_logits=False))),
                    (C - 1) * _rps_loop(P, Y).sum(), rtol=1e-5)


def test_rps_extremes():
    one_hot = np.eye(C)[Y]
    assert_allclose(ranked_probability_score(one_hot, Y, from_logits=False), 0.0, atol=1e-15)
    far = np.zeros((1, C))
    far[0, -1] = 1.0
    assert_allclose(ranked_probability_score(far, np.array([0]), from_logits=False), 1.0)


def test_expected_value_l1_and_decoding(backend):
    ev = (P * VALUES).sum(axis=1)
    got = expected_value_l1(backend.array(Z), backend.array(Y), VALUES, reduction="none")
    assert_allclose(backend.numpy(got), np.abs(ev - VALUES[Y]), rtol=1e-5)
    assert_allclose(backend.numpy(expected_value(backend.array(P), VALUES)), ev, rtol=1e-5)
    assert_allclose(backend.numpy(expected_value(backend.array(Z), from_logits=True)),
                    (P * IDX).sum(axis=1), rtol=1e-5)
    ref = np.array([np.argmin([abs(e - v) for v in VALUES]) for e in ev])
    assert_allclose(nearest_class(expected_value(backend.array(P), VALUES), VALUES), ref)


def test_expected_similarity_is_exp_minus_simloss(backend):
    ref = (S[Y] * P).sum(axis=1)
    got = expected_similarity(backend.array(Z), backend.array(Y), S, reduction="none")
    assert_allclose(backend.numpy(got), ref, rtol=1e-5)
    got = expected_similarity(backend.array(P), backend.array(Y), S, from_logits=False)
    assert_allclose(float(backend.numpy(got)), ref.mean(), rtol=1e-5)


def test_expected_similarity_gradient_vanishes_where_simloss_does_not():
    """The docs' worked example: confident and wrong, the linear score barely moves."""
    torch = pytest.importorskip("torch")
    S2 = np.array([[1.0, 0.0], [0.0, 1.0]])
    grads = []
    for fn in (lambda z, y: -expected_similarity(z, y, S2), lambda z, y: simloss(z, y, S2)):
        z = torch.tensor([[0.0, 10.0]], dtype=torch.float64, requires_grad=True)
        fn(z, torch.tensor([0])).backward()
        grads.append(abs(float(z.grad[0, 0])))
    p0 = 1 / (1 + np.exp(10.0))
    assert_allclose(grads[0], p0 * (1 - p0), rtol=1e-10)  # ≈ 4.5e-5
    assert_allclose(grads[1], 1 - p0, rtol=1e-10)  # ≈ 1


def test_bayes_decision_orientation_and_reference(backend):
    A = RNG.uniform(size=(C, C))  # asymmetric on purpose
    np.fill_diagonal(A, 1.0)
    ref_gain = np.array([[sum(P[i, c] * A[c, j] for c in range(C)) for j in range(C)]
                         for i in range(B)])
    got = expected_gain(backend.array(P), A)
    assert_allclose(backend.numpy(got), ref_gain, rtol=1e-5)
    assert_allclose(backend.numpy(bayes_decision(backend.array(P), A)), ref_gain.argmax(axis=1))
    assert_allclose(backend.numpy(bayes_decision(backend.array(Z), np.eye(C), from_logits=True)),
                    P.argmax(axis=1))
    assert_allclose(backend.numpy(bayes_decision(backend.array(P), sp.csr_array(A))),
                    ref_gain.argmax(axis=1))


def test_bayes_decision_uses_rows_as_true_classes():
    # Predicting class 1 earns full credit whatever the truth (column 1 all ones);
    # the transposed matrix would make class 1 earn nothing for a true class 0.
    A = np.array([[1.0, 1.0], [0.0, 1.0]])
    p = np.array([[0.9, 0.1]])
    assert int(bayes_decision(p, A)[0]) == 1
    assert int(bayes_decision(p, A.T)[0]) == 0


def test_order_of_losses_property():
    """0 ≤ SimLoss ≤ cross-entropy, and SimLoss ≤ soft-label CE (Jensen), for any valid S."""
    hypothesis = pytest.importorskip("hypothesis")
    st = pytest.importorskip("hypothesis.strategies")
    hnp = pytest.importorskip("hypothesis.extra.numpy")
    floats = st.floats(-30, 30, allow_nan=False, width=64)

    @hypothesis.settings(max_examples=60, deadline=None)
    @hypothesis.given(
        z=hnp.arrays(np.float64, (5, 4), elements=floats),
        s=hnp.arrays(np.float64, (4, 4), elements=st.floats(0, 1, width=64)),
        y=hnp.arrays(np.int64, (5,), elements=st.integers(0, 3)),
    )
    def check(z, s, y):
        s = s.copy()
        np.fill_diagonal(s, 1.0)
        sim = simloss(z, y, s, reduction="none")
        ce = logsumexp(z, axis=1) - z[np.arange(5), y]  # float64 cross-entropy
        soft = soft_label_cross_entropy(z, y, s, reduction="none")
        assert np.all(sim >= -1e-12) and np.all(sim <= ce + 1e-9)
        assert np.all(sim <= soft + 1e-9)

    check()


def test_rps_unnormalised_equals_dlordinal():
    dl = pytest.importorskip("dlordinal.metrics")
    rng = np.random.default_rng(4)
    p = rng.dirichlet(np.ones(6), size=20)
    y = rng.integers(0, 6, size=20)
    ref = dl.ranked_probability_score(y, p)
    got = ranked_probability_score(p, y, normalize=False, from_logits=False)
    assert_allclose(float(got), ref, rtol=1e-12)
    assert_allclose(float(ranked_probability_score(p, y, from_logits=False)), ref / 5,
                    rtol=1e-12)


def test_companions_follow_the_target_and_dtype_rules():
    torch = pytest.importorskip("torch")
    from simmatrix import SimMatrixError
    from simmatrix.losses import soft_label_cross_entropy

    z = torch.randn(4, 3, dtype=torch.float64)
    with pytest.raises(SimMatrixError, match="target value 3"):
        ranked_probability_score(z, torch.tensor([0, 1, 3, 2]))
    half = z.to(torch.bfloat16)
    y = torch.tensor([0, 1, 2, 2])
    got = soft_label_cross_entropy(half, y, np.eye(3))
    assert got.dtype == torch.bfloat16
    ref = torch.nn.functional.cross_entropy(half.float(), y)
    assert_allclose(float(got), float(ref), rtol=float(torch.finfo(torch.bfloat16).eps))
