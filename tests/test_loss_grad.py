"""SimLoss gradients, compilation and the framework wrappers (torch module, jax, boosting)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose

from simmatrix import LogSimilarity, SimilarityMatrix, simloss, simloss_grad_hess

RNG = np.random.default_rng(7)
B, C = 6, 5
Z = RNG.normal(scale=2.0, size=(B, C))
Y = RNG.integers(0, C, size=B)
S = np.array(
    [
        [1.0, 0.8, 0.0, 0.0, 0.1],
        [0.8, 1.0, 0.3, 0.0, 0.0],
        [0.0, 0.3, 1.0, 0.5, 0.0],
        [0.0, 0.0, 0.5, 1.0, 0.0],
        [0.1, 0.0, 0.0, 0.0, 1.0],
    ]
)


def reference_loss(z, y, S):
    """Per-sample paper loss -log Σ_c S[y, c] p_c, p = softmax(z), in float64."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    return -np.log((S[y] * p).sum(axis=1))


def reference_grad(z, y, S):
    """d/dz of the mean paper loss: (p - q) / B, q = S[y] p / Σ S[y] p (float64)."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    sp_ = S[y] * p
    q = sp_ / sp_.sum(axis=1, keepdims=True)
    return (p - q) / len(y)


# -- torch -------------------------------------------------------------------------------------
@pytest.mark.parametrize("sparse", [False, True])
def test_torch_gradcheck_float64(sparse):
    torch = pytest.importorskip("torch")
    table = LogSimilarity(sp.csr_array(S) if sparse else S)
    y = torch.from_numpy(Y)
    w = torch.linspace(0.5, 2, C, dtype=torch.float64)
    for kw in ({}, {"ignore_index": int(Y[0]), "weight": w}, {"reduction": "none"}):
        z = torch.tensor(Z, requires_grad=True)
        assert torch.autograd.gradcheck(lambda t, kw=kw: simloss(t, y, table, **kw), (z,))
    # rows so wrong that the fused torch loss takes its log-space kernel (loss > 12)
    big = Z.copy()
    for i in range(0, B, 2):  # confident in a class with zero similarity to the label
        big[i, np.flatnonzero(S[Y[i]] == 0)[0]] += 60.0
    per = simloss(big, Y, S, reduction="none")
    assert (per > 34.6).any() and (per < 34.5).any()
    z = torch.tensor(big, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: simloss(t, y, table), (z,))
    simloss(z, y, table).backward()
    assert_allclose(z.grad.numpy(), reference_grad(big, Y, S), rtol=1e-8, atol=1e-14)
    z = torch.tensor(Z, requires_grad=True)
    simloss(z, y, table).backward()
    assert_allclose(z.grad.numpy(), reference_grad(Z, Y, S), rtol=1e-10, atol=1e-14)


def test_torch_no_nan_gradient_with_zeros_in_S_and_traced_S():
    torch = pytest.importorskip("torch")
    z = torch.tensor(Z, requires_grad=True)
    s = torch.tensor(S, requires_grad=True)  # zeros in S, S itself differentiable
    simloss(z, torch.from_numpy(Y), s).backward()
    assert torch.isfinite(z.grad).all() and torch.isfinite(s.grad).all()
    assert_allclose(z.grad.numpy(), reference_grad(Z, Y, S), rtol=1e-10, atol=1e-14)


def test_torch_module_buffers_and_values():
    torch = pytest.importorskip("torch")
    from simmatrix.torch import SimLoss

    crit = SimLoss(SimilarityMatrix(S), dtype=torch.float64, ignore_index=-1)
    assert set(dict(crit.named_buffers())) == {"log_S"}
    y = torch.from_numpy(Y).clone()
    y[0] = -1
    z = torch.tensor(Z)
    expect = reference_loss(Z[1:], Y[1:], S).mean()
    assert_allclose(float(crit(z, y)), expect, rtol=1e-12)
    from_tensor = SimLoss(torch.tensor(S, requires_grad=True), dtype=torch.float64,
                          ignore_index=-1)  # a tensor S is copied, detached, into the buffer
    assert not from_tensor.log_S.requires_grad
    assert_allclose(float(from_tensor(z, y)), expect, rtol=1e-12)
    crit32 = crit.to(torch.float32)  # .to() moves buffers like any module state
    assert crit32.log_S.dtype == torch.float32
    z64 = torch.tensor(Z, requires_grad=True)  # float64 logits meet the float32 buffer
    value = crit32(z64, y)
    value.backward()
    assert value.dtype == torch.float64 and z64.grad.dtype == torch.float64
    assert_allclose(float(value), expect, rtol=1e-6)
    sparse = SimLoss(sp.csr_array(S), reduction="none", weight=np.ones(C))
    assert {"indices", "log_values", "weight"} <= set(dict(sparse.named_buffers()))
    assert "top-3 sparse" in repr(sparse)
    assert_allclose(sparse(z.float(), torch.from_numpy(Y)).numpy(), reference_loss(Z, Y, S),
                    rtol=1e-5)


def test_torch_compile_fullgraph():
    torch = pytest.importorskip("torch")
    from simmatrix.torch import SimLoss

    torch._dynamo.reset()
    crit = SimLoss(S)
    compiled = torch.compile(crit, fullgraph=True, dynamic=False)
    z = torch.tensor(Z, dtype=torch.float32, requires_grad=True)
    value = compiled(z, torch.from_numpy(Y))
    value.backward()
    assert_allclose(float(value), reference_loss(Z, Y, S).mean(), rtol=1e-5)
    assert_allclose(z.grad.numpy(), reference_grad(Z, Y, S), atol=1e-6)


# -- jax ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("sparse", [False, True])
def test_jax_check_grads_float64(sparse):
    jax = pytest.importorskip("jax")
    from jax.test_util import check_grads

    with jax.enable_x64(True):
        import jax.numpy as jnp

        table = LogSimilarity(sp.csr_array(S) if sparse else S)
        z, y = jnp.asarray(Z, dtype=jnp.float64), jnp.asarray(Y)

        def f(t):
            return simloss(t, y, table)

        check_grads(f, (z,), order=1, modes=["rev", "fwd"])
        assert_allclose(np.asarray(jax.grad(f)(z)), reference_grad(Z, Y, S), rtol=1e-10,
                        atol=1e-14)
        g = jax.grad(lambda t: simloss(t, y, jnp.asarray(S), ignore_index=int(Y[0])))(z)
        assert np.isfinite(np.asarray(g)).all()


def test_jax_jit_with_prepared_and_traced_S():
    jax = pytest.importorskip("jax")
    jnp = pytest.importorskip("jax.numpy")
    z, y = jnp.asarray(Z, dtype=jnp.float32), jnp.asarray(Y)
    expect = reference_loss(Z, Y, S).mean()
    table = LogSimilarity(S)
    f1 = jax.jit(lambda a, b: simloss(a, b, table))
    f2 = jax.jit(lambda a, b, s: simloss(a, b, s))
    assert_allclose(float(f1(z, y)), expect, rtol=1e-5)
    # the prepared table caches device arrays: they must be constants, not leaked tracers
    assert_allclose(float(jax.jit(lambda a, b: simloss(a, b, table))(z, y)), expect, rtol=1e-5)
    assert_allclose(float(simloss(z, y, table)), expect, rtol=1e-5)
    assert_allclose(float(f2(z, y, jnp.asarray(S, dtype=jnp.float32))), expect, rtol=1e-5)
    g = jax.jit(jax.grad(lambda a, s: simloss(a, y, s)))(z, jnp.asarray(S, dtype=jnp.float32))
    assert_allclose(np.asarray(g), reference_grad(Z, Y, S), atol=1e-6)


def test_jax_optax_style_functions():
    jax = pytest.importorskip("jax")
    jnp = pytest.importorskip("jax.numpy")
    optax = pytest.importorskip("optax")
    from simmatrix.jax import make_simloss, simloss_with_integer_labels

    z, y = jnp.asarray(Z, dtype=jnp.float32), jnp.asarray(Y)
    ref = reference_loss(Z, Y, S)
    assert_allclose(np.asarray(jax.jit(make_simloss(sp.csr_array(S)))(z, y)), ref, rtol=1e-5)
    log_S = jnp.asarray(LogSimilarity(S).log_S, dtype=jnp.float32)
    assert_allclose(np.asarray(simloss_with_integer_labels(z, y, log_S)), ref, rtol=1e-5)
    # one optax step lowers the loss
    loss = make_simloss(S)
    w = jnp.zeros((3, C))
    x = jnp.asarray(RNG.normal(size=(B, 3)), dtype=jnp.float32)
    opt = optax.sgd(0.5)
    state = opt.init(w)

    def objective(w):
        return loss(x @ w, y).mean()

    before = objective(w)
    updates, state = opt.update(jax.grad(objective)(w), state)
    assert objective(optax.apply_updates(w, updates)) < before


# -- numpy: gradient boosting objective ----------------------------------------------------
@pytest.mark.parametrize("sparse", [False, True])
def test_grad_hess_matches_autograd_and_bounds_the_diagonal(sparse):
    torch = pytest.importorskip("torch")
    S_in = sp.csr_array(S) if sparse else S
    w = RNG.uniform(0.5, 2.0, size=B)
    loss, grad, hess = simloss_grad_hess(Z, Y, S_in, sample_weight=w)
    z = torch.tensor(Z, requires_grad=True)
    per = simloss(z, torch.from_numpy(Y), S, reduction="none")
    (per * torch.from_numpy(w)).sum().backward()
    assert_allclose(loss, per.detach().numpy() * w, rtol=1e-12)
    assert_allclose(loss, reference_loss(Z, Y, S) * w, rtol=1e-12)
    assert_allclose(grad, z.grad.numpy(), rtol=1e-10, atol=1e-14)
    assert_allclose(grad, reference_grad(Z, Y, S) * B * w[:, None], rtol=1e-10, atol=1e-14)
    # true Hessian diagonal per sample, by jax autodiff of the generic formula
    jax = pytest.importorskip("jax")
    negative = False
    with jax.enable_x64(True):
        import jax.numpy as jnp

        for i in range(B):
            h = jax.hessian(lambda t, i=i: simloss(t[None], jnp.asarray(Y[i : i + 1]), S))(
                jnp.asarray(Z[i]))
            true_diag = np.diag(np.asarray(h)) * w[i]
            assert np.all(hess[i] >= true_diag - 1e-12)
            negative |= bool(np.any(true_diag < 0))
    assert negative  # the bound is needed: some true diagonals are negative
    assert np.all(hess > 0)
    neg = np.array([[0.0, 0.0]]), np.array([0]), np.array([[1.0, 1.0], [1.0, 1.0]])
    # with S all ones the loss is constant: true diagonal 0, bound still positive
    assert np.all(simloss_grad_hess(*neg)[2] > 0)


# -- large C, sparse S ---------------------------------------------------------------------
def _eqns(jaxpr):
    """All equations of a jaxpr, nested ones (pjit, custom_jvp) included."""
    for e in jaxpr.eqns:
        yield e
        for p in e.params.values():
            inner = getattr(p, "jaxpr", p)
            if hasattr(inner, "eqns"):
                yield from _eqns(inner)


def test_sparse_S_never_gathers_a_dense_row_block():
    jax = pytest.importorskip("jax")
    jnp = pytest.importorskip("jax.numpy")
    n, c, k = 4, 50_000, 3  # a dense S would be 10 GB in float32
    rows = np.repeat(np.arange(c), k)
    cols = (rows + np.tile(np.arange(k), c)) % c
    vals = np.tile([1.0, 0.5, 0.25], c)
    table = LogSimilarity(sp.csr_array((vals, (rows, cols)), shape=(c, c)))
    assert table.indices.shape == (c, k)
    z = jnp.asarray(RNG.normal(size=(n, c)), dtype=jnp.float32)
    y = jnp.asarray([0, 7, c - 1, 123])
    jaxpr = jax.make_jaxpr(lambda a: simloss(a, y, table))(z)
    gathers = [e for e in _eqns(jaxpr.jaxpr) if e.primitive.name == "gather"]
    widths = [e.outvars[0].aval.shape[-1] for e in gathers]
    # the k stored entries of each label's row (and at most the label's own logit), never
    # a dense row of C
    assert k in widths and max(widths) <= k, widths
    zn = np.asarray(z, dtype=np.float64)
    lse = np.log(np.exp(zn - zn.max(1, keepdims=True)).sum(1)) + zn.max(1)
    ref = [lse[i] - np.log(sum(v * np.exp(zn[i, (int(y[i]) + j) % c])
                               for j, v in enumerate([1.0, 0.5, 0.25]))) for i in range(n)]
    assert_allclose(np.asarray(simloss(z, y, table, reduction="none")), ref, rtol=1e-5)
    torch = pytest.importorskip("torch")
    got = simloss(torch.from_numpy(np.asarray(z)), torch.from_numpy(np.asarray(y)), table,
                  reduction="none")
    assert_allclose(got.numpy(), ref, rtol=1e-5)
