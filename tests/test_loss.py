"""SimLoss values against independent references on numpy, torch and jax."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from _backends import backend_fixture
from numpy.testing import assert_allclose

import simmatrix
from simmatrix import LogSimilarity, SimilarityMatrix, SimMatrixError, simloss

backend = backend_fixture()
RNG = np.random.default_rng(20200914)
B, C = 12, 7


def _similarity(c=C, zero_share=0.4, seed=0):
    """A random symmetric S in [0, 1] with S_ii = 1 and some exact zeros."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(size=(c, c))
    a = (a + a.T) / 2
    a[a < zero_share] = 0.0
    np.fill_diagonal(a, 1.0)
    return a


def paper_formula(z, y, S, eps=0.0):
    """-(1/N) Σ log(Σ_c S[y_i, c] p_ic + eps) in float64, straight from the paper."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    return -np.log((np.asarray(S, dtype=np.float64)[y] * p).sum(axis=1) + eps)


def mp_simloss(z_row, y, S):
    """The paper's formula in 60-digit arithmetic: exact where float64 underflows."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 60
    e = [mpmath.exp(mpmath.mpf(float(v))) for v in z_row]
    total = mpmath.fsum(e)
    num = mpmath.fsum(float(s) * v for s, v in zip(S[y], e, strict=True))
    return float(-mpmath.log(num / total))


Z = RNG.normal(scale=3.0, size=(B, C))
Y = RNG.integers(0, C, size=B)
S_DENSE = _similarity()


def test_identity_equals_torch_cross_entropy(backend):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    z, y = Z.astype(np.float32), Y
    ref = F.cross_entropy(torch.from_numpy(z), torch.from_numpy(y)).item()
    got = simloss(backend.array(z), backend.array(y), np.eye(C))
    assert_allclose(float(backend.numpy(got)), ref, rtol=0, atol=1e-6)
    w = np.linspace(0.5, 2.0, C).astype(np.float32)
    for red in ("mean", "sum", "none"):
        ref = F.cross_entropy(torch.from_numpy(z), torch.from_numpy(y), weight=torch.from_numpy(w),
                              ignore_index=int(Y[0]), reduction=red).numpy()
        got = simloss(backend.array(z), backend.array(y), np.eye(C), weight=backend.array(w),
                      ignore_index=int(Y[0]), reduction=red)
        assert_allclose(backend.numpy(got), ref, rtol=1e-6, atol=1e-6)


def test_identity_equals_optax():
    jnp = pytest.importorskip("jax.numpy")
    optax = pytest.importorskip("optax")
    z, y = jnp.asarray(Z, dtype=jnp.float32), jnp.asarray(Y)
    ref = optax.softmax_cross_entropy_with_integer_labels(z, y)
    assert_allclose(np.asarray(simloss(z, y, np.eye(C), reduction="none")), np.asarray(ref),
                    rtol=0, atol=1e-6)


def test_float32_matches_float64_paper_formula_on_every_backend(backend):
    ref = paper_formula(Z, Y, S_DENSE)
    for S in (S_DENSE, SimilarityMatrix(S_DENSE), sp.csr_array(S_DENSE), LogSimilarity(S_DENSE)):
        got = simloss(backend.array(Z, np.float32), backend.array(Y), S, reduction="none")
        assert_allclose(backend.numpy(got), ref, rtol=1e-5, atol=1e-5)
        got = simloss(backend.array(Z, np.float32), backend.array(Y), S)
        assert_allclose(float(backend.numpy(got)), ref.mean(), rtol=1e-5)


def test_result_keeps_framework_and_dtype(backend):
    for dtype in (np.float32, np.float64):
        if backend.name == "jax" and dtype == np.float64:
            continue  # jax keeps float32 unless x64 is enabled
        z = backend.array(Z, dtype)
        out = simloss(z, backend.array(Y), S_DENSE)
        if backend.name == "numpy":  # a 0-d reduction may come back as a numpy scalar
            assert isinstance(out, (np.ndarray, np.generic))
        else:
            assert type(out) is type(z)
        assert str(out.dtype) == str(z.dtype)


def test_S_in_the_logits_framework_is_used_as_is(backend):
    S = backend.array(S_DENSE, np.float32)
    got = simloss(backend.array(Z, np.float32), backend.array(Y), S, reduction="none")
    assert_allclose(backend.numpy(got), paper_formula(Z, Y, S_DENSE), rtol=1e-5, atol=1e-5)


def test_sparse_top_k_equals_dense_top_k(backend):
    dense = S_DENSE.copy()
    dense[dense < 0.6] = 0.0  # what a top-k matrix keeps
    np.fill_diagonal(dense, 1.0)
    table = LogSimilarity(sp.csr_array(dense))
    assert table.is_sparse and table.indices.shape[1] == (dense > 0).sum(axis=1).max()
    got = simloss(backend.array(Z, np.float32), backend.array(Y), table, reduction="none")
    assert_allclose(backend.numpy(got), paper_formula(Z, Y, dense), rtol=1e-5, atol=1e-5)


def test_appendix_identity_row_normalised(backend):
    """A row-normalised S' = S / r gives L(S') = L(S) + mean(log r_y), equal gradients."""
    r = S_DENSE.sum(axis=1)
    z, y = backend.array(Z), backend.array(Y)
    l_sim = float(backend.numpy(simloss(z, y, S_DENSE)))
    l_prob = float(backend.numpy(simloss(z, y, S_DENSE / r[:, None])))
    tol = 1e-6 if backend.name == "jax" else 1e-12  # jax computes in float32
    assert_allclose(l_prob, l_sim + np.log(r[Y]).mean(), rtol=tol)
    if backend.name == "torch":
        torch = backend.torch
        grads = []
        for S in (S_DENSE, S_DENSE / r[:, None]):
            t = torch.tensor(Z, requires_grad=True)
            simloss(t, torch.from_numpy(Y), S).backward()
            grads.append(t.grad.numpy())
        assert_allclose(grads[0], grads[1], rtol=1e-10, atol=1e-14)


def test_extreme_logits_float32_finite_and_exact(backend):
    z = np.array([[1e4, -1e4, 0.0, 5.0], [-1e4, 1e4, 1e4, 0.0], [0.0, 0.0, -1e4, 1e4]])
    y = np.array([1, 0, 2])
    S = np.array([[1, 0, 0.5, 0], [0, 1, 0, 0], [0.5, 0, 1, 0.25], [0, 0, 0.25, 1.0]])
    got = backend.numpy(simloss(backend.array(z, np.float32), backend.array(y), S,
                                reduction="none"))
    # closed forms, LSE(z) - LSE(z + log S[y]):
    # 0: 1e4 - (-1e4);  1: (1e4 + log 2) - (1e4 + log .5);  2: 1e4 - (1e4 + log .25)
    ref = np.array([2e4, 2 * np.log(2), -np.log(0.25)])
    assert np.all(np.isfinite(got))
    assert_allclose(got, ref, rtol=1e-6)
    # gradient of the mean: (p - q) / 3 with p, q one-hot or halves
    ref_grad = np.array([[1, -1, 0, 0], [0, 0.5, -0.5, 0], [0, 0, 0, 0]]) / 3
    if backend.name == "torch":
        t = backend.torch.tensor(z, dtype=backend.torch.float32, requires_grad=True)
        simloss(t, backend.array(y), S).backward()
        grad = t.grad.numpy()
    elif backend.name == "jax":
        import jax

        grad = np.asarray(jax.grad(lambda a: simloss(a, backend.array(y), S))(
            backend.array(z, np.float32)))
    else:
        grad = simmatrix.simloss_grad_hess(z.astype(np.float32), y, S)[1] / 3
    assert np.all(np.isfinite(grad))
    assert_allclose(grad, ref_grad, atol=1e-6)


def test_margin_100_exact_where_probability_form_saturates(backend):
    z = np.array([[100.0, 0.0, 0.0]])
    y = np.array([1])
    S = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.5], [0.0, 0.5, 1.0]])
    got = float(backend.numpy(simloss(backend.array(z, np.float32), backend.array(y), S)))
    assert_allclose(got, mp_simloss(z[0], 1, S), rtol=1e-6)
    assert got > 99
    # the paper's probability form on softmax outputs saturates at -log(1e-8)
    e = np.exp(z - z.max())
    p = (e / e.sum()).astype(np.float32)
    paper = float(backend.numpy(simloss(backend.array(p), backend.array(y), S, from_logits=False)))
    assert_allclose(paper, -np.log(1e-8), rtol=1e-4)
    assert_allclose(paper, 18.42, atol=5e-3)


def test_probability_form_is_the_papers_code():
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    for S in (S_DENSE, sp.csr_array(S_DENSE)):
        got = simloss(p, Y, S, from_logits=False, reduction="none")
        assert_allclose(got, paper_formula(Z, Y, S_DENSE, eps=1e-8), rtol=1e-12)


def test_from_log_equals_S():
    with np.errstate(divide="ignore"):
        log_S = np.log(S_DENSE)
    a = simloss(Z, Y, LogSimilarity.from_log(log_S), reduction="none")
    assert_allclose(a, paper_formula(Z, Y, S_DENSE), rtol=1e-12)
    assert "dense" in repr(LogSimilarity(S_DENSE))


@pytest.mark.filterwarnings("ignore:invalid value encountered")
def test_all_ignored_mean_is_nan_like_torch():
    got = simloss(Z, np.full(B, -100), S_DENSE, ignore_index=-100)
    assert np.isnan(got)
    assert float(simloss(Z, np.full(B, -100), S_DENSE, ignore_index=-100, reduction="sum")) == 0


@pytest.mark.parametrize(
    ("z", "y", "S", "kw", "message"),
    [
        (Z[0], Y, S_DENSE, {}, "logits must have shape"),
        (Z, Y[:3], S_DENSE, {}, "targets must have shape (12,)"),
        (Z, Y, np.eye(C + 1), {}, "logits have 7 classes but S has 8"),
        (Z, Y.astype(float), S_DENSE, {}, "targets must be integer"),
        (Z, Y, np.ones((C, C + 1)), {}, "S must be a square"),
        (Z, Y, S_DENSE, {"reduction": "avg"}, "reduction must be one of"),
        (Z.astype(int), Y, S_DENSE, {}, "real floating"),
    ],
)
def test_bad_input_one_clear_error(z, y, S, kw, message):
    with pytest.raises(SimMatrixError) as info:
        simloss(z, y, S, **kw)
    assert message in str(info.value)


def test_S_of_another_framework_is_refused():
    torch = pytest.importorskip("torch")
    jnp = pytest.importorskip("jax.numpy")
    with pytest.raises(SimMatrixError, match="another framework"):
        simloss(torch.zeros(2, 2), torch.zeros(2, dtype=torch.long), jnp.eye(2))


def test_public_names_and_light_import():
    import subprocess
    import sys

    code = ("import sys, simmatrix; simmatrix.simloss; "
            "print(sorted(m for m in ('torch', 'jax') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert simmatrix.simloss is simloss


def test_similarity_matrix_prepares_log_s_once():
    import torch

    from simmatrix import SimilarityMatrix, log_similarity

    i = np.arange(6)
    S = SimilarityMatrix(0.5 ** np.abs(i[:, None] - i))
    z, y = torch.randn(4, 6), torch.tensor([0, 2, 4, 5])
    first = simloss(z, y, S)
    prepared = S._derived["log_similarity"]
    assert isinstance(prepared, log_similarity.LogSimilarity)
    second = simloss(z, y, S)
    assert S._derived["log_similarity"] is prepared
    p = torch.softmax(z.double(), 1).numpy()
    expected = -np.log((S.values[y.numpy()] * p).sum(1)).mean()
    assert float(first) == float(second)
    np.testing.assert_allclose(float(first), expected, rtol=1e-6)


def test_weights_is_a_deprecated_alias_of_weight():
    """torch keeps renamed loss arguments (size_average, reduce) as deprecated aliases."""
    z, y = np.array([[2.0, 0.0], [0.0, 1.0]]), np.array([1, 0])
    S, w = np.array([[1.0, 0.5], [0.5, 1.0]]), np.array([0.25, 2.0])
    with pytest.warns(DeprecationWarning, match="weight="):
        old = simloss(z, y, S, weights=w)
    assert_allclose(old, simloss(z, y, S, weight=w), rtol=1e-15)
