"""simmatrix.jax against optax and float64 formulas: values, gradients, labels, dtypes, jit."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from scipy.special import softmax

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
optax = pytest.importorskip("optax")

from simmatrix import SimilarityMatrix, SimMatrixError  # noqa: E402
from simmatrix.jax import SimLoss, make_simloss, simloss_with_integer_labels  # noqa: E402

RNG = np.random.default_rng(11)


def ref_loss(z, y, S):
    """SimLoss -log(Σ_c S[y, c] e^z_c / Σ_c e^z_c) in 40-digit mpmath, row by row."""
    import mpmath

    z = np.asarray(z, dtype=np.float64)
    out = []
    with mpmath.workdps(40):
        for row, s in zip(z, np.asarray(S, dtype=np.float64)[np.asarray(y)]):
            m = mpmath.mpf(float(row.max()))
            e = [mpmath.exp(mpmath.mpf(float(v)) - m) for v in row]
            num = mpmath.fsum(mpmath.mpf(float(c)) * x for c, x in zip(s, e) if c > 0)
            out.append(float(mpmath.log(mpmath.fsum(e)) - mpmath.log(num)))
    return np.array(out)


def stored(S):
    """The similarities a float32 ``log S`` table holds: ``exp(float32(log S))``.

    ``log 1e-200`` rounded to float32 is off by up to 1.5e-5, so S itself by that relative
    amount; where q balances such a class against another, the gradient moves by q(1 - q)
    times that (the loss, ~460 there, does not notice).
    """
    with np.errstate(divide="ignore"):
        return np.exp(np.log(np.asarray(S, dtype=np.float64)).astype(np.float32).astype(np.float64))


def ref_grad(z, y, S):
    """Float64 d(sum of losses)/dz = softmax(z) - softmax(z + log S[y]), by scipy."""
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(divide="ignore"):
        g = np.log(np.asarray(S, dtype=np.float64)[y])
    return softmax(z, axis=-1) - softmax(z + g, axis=-1)


def banded(C, r=0.5, width=None, seed=0):
    """S = r^|i-j| (optionally zero beyond ``width``), rows scaled by a random factor."""
    i = np.arange(C)
    d = np.abs(i[:, None] - i[None, :]).astype(float)
    S = r**d
    if width is not None:
        S[d > width] = 0.0
    S *= np.random.default_rng(seed).uniform(0.5, 1.0, size=(C, 1))
    np.fill_diagonal(S, 1.0)
    return S


def value_and_grad(loss, z, y):
    return jax.value_and_grad(lambda a: loss(a, y).sum())(z)


# -- S = I is optax's cross-entropy ------------------------------------------------------------
@pytest.mark.parametrize("scale", [1.0, 30.0])
def test_identity_equals_optax_with_axis_and_where(scale):
    z = jnp.asarray(RNG.normal(scale=scale, size=(4, 3, 7)), dtype=jnp.float32)
    y = jnp.asarray(RNG.integers(0, 7, size=(4, 3)))
    loss = make_simloss(np.eye(7))
    ce = optax.losses.softmax_cross_entropy_with_integer_labels
    assert_allclose(loss(z, y), ce(z, y), rtol=1e-6, atol=1e-6)
    g_ours = jax.grad(lambda a: loss(a, y).sum())(z)
    g_optax = jax.grad(lambda a: ce(a, y).sum())(z)
    assert_allclose(g_ours, g_optax, atol=1e-6)
    # an example mask, and a class mask of logits' shape (excluded classes get p = 0)
    rows = jnp.asarray(RNG.random((4, 3)) < 0.6)
    assert_allclose(loss(z, y, where=rows), ce(z, y, where=rows), rtol=1e-6, atol=1e-6)
    cls = jnp.asarray(RNG.random((4, 3, 7)) < 0.7) | (jnp.arange(7) == y[..., None])
    assert_allclose(loss(z, y, where=cls), ce(z, y, where=cls), rtol=1e-6, atol=1e-6)
    # the class axis elsewhere, and a tuple of class axes with flat labels
    zt = jnp.moveaxis(z, -1, 0)
    assert_allclose(loss(zt, y, axis=0), ce(zt, y, axis=0), rtol=1e-6, atol=1e-6)
    z2 = z.reshape(4, 3, 7, 1)
    loss2 = make_simloss(np.eye(7))
    assert_allclose(loss2(z2, y, axis=(2, 3)), ce(z2, y, axis=(2, 3)), rtol=1e-6, atol=1e-6)


# -- values and gradients against float64 --------------------------------------------------------
def adversarial_cases():
    """(name, logits float32, labels, S): one-hot q, ties, huge gaps, tiny similarities."""
    cases = []
    S3 = np.array([[1.0, 0.5, 0.0], [0.0, 1.0, 0.5], [0.25, 0.0, 1.0]])
    z = np.array([[1e4, 0, 0], [0, 1e4, 1e4], [1e4, 1e4 - 1, 0], [0, 0, 0],
                  [-1e4, 0, 1e4], [1e4, 0, 1e4 - 0.5], [87.0, 0, -87.0]], np.float32)
    cases.append(("three classes", z, np.array([1, 0, 0, 2, 0, 1, 2]), S3))
    # the issue's C = 1000 case: logit scale 1e4, similarities far below float32's range
    C = 1000
    S = banded(C, r=1e-3, seed=1)  # r^|i-j| reaches 1e-300 and 0
    z = (RNG.normal(size=(64, C)) * 1e4).astype(np.float32)
    cases.append(("C=1000 scale 1e4", z, RNG.integers(0, C, size=64), S))
    # the paper's setting: 90 ordered classes, r = 0.1, logit gap 300 at a far class
    S = banded(90, r=0.1)
    y = RNG.integers(0, 90, size=32)
    z = RNG.normal(size=(32, 90)).astype(np.float32)
    z[np.arange(32), (y + 45) % 90] += 300.0
    cases.append(("ordinal r=0.1 gap 300", z, y, S))
    # sure of the right class: q and p both one-hot, L tiny
    z = np.zeros((8, 50), np.float32)
    y = np.arange(8)
    z[np.arange(8), y] = 40.0
    cases.append(("confident and right", z, y, banded(50, r=0.3, width=3)))
    return cases


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "topk"])
@pytest.mark.parametrize("case", adversarial_cases(), ids=lambda c: c[0])
def test_float32_values_and_gradients_match_float64(case, sparse):
    _, z, y, S = case
    table = sp.csr_array(S) if sparse else S  # every stored entry kept: the same S
    loss = make_simloss(table)
    value, grad = jax.jit(lambda fn, a, b: jax.value_and_grad(lambda t: fn(t, b).sum())(a))(
        loss, jnp.asarray(z), jnp.asarray(y))
    per = loss(jnp.asarray(z), jnp.asarray(y))
    assert_allclose(np.asarray(per), ref_loss(z, y, S), rtol=1e-6, atol=1e-7)
    assert_allclose(float(value), ref_loss(z, y, S).sum(), rtol=1e-6)
    assert_allclose(np.asarray(grad), ref_grad(z, y, S), atol=2e-7)


def small_loss_cases(seed):
    """(name, logits float32, labels, S) where the loss is tiny or S[y] nearly 1 somewhere."""
    rng = np.random.default_rng(seed)
    C, N = 12, 24
    y = rng.integers(0, C, size=N)
    rows = np.arange(N)
    out = []
    # confident and right by a full-precision gap of 15-40: L from 1e-7 down to 1e-17
    z = rng.normal(size=(N, C)).astype(np.float32)
    z[rows, y] += rng.uniform(15, 40, size=N).astype(np.float32)
    out.append(("tiny losses", z, y, banded(C, r=0.3, width=2, seed=seed)))
    # near one-hot with a near-duplicate class: S = 1 - 1e-4 next to the label, tied logits
    S = np.eye(C)
    S[np.arange(C), (np.arange(C) + 1) % C] = 1 - 1e-4
    z = rng.normal(size=(N, C)).astype(np.float32)
    z[rows, y] += 30.0
    z[rows, (y + 1) % C] = z[rows, y]
    out.append(("tie with S = 1 - 1e-4", z, y, S))
    # every other similarity tiny (1e-300) or 1 - 1e-6; logits of scale 1e3
    S = np.where(rng.random((C, C)) < 0.5, 1e-300, 1 - 1e-6)
    np.fill_diagonal(S, 1.0)
    z = (rng.normal(size=(N, C)) * 1e3).astype(np.float32)
    out.append(("S in {1e-300, 1 - 1e-6}, scale 1e3", z, y, S))
    # the label far below a class of similarity 1e-300 (W underflows: the shifted pass)
    S = banded(C, r=1e-300 ** (1 / 3), width=3, seed=seed)
    z = rng.normal(size=(N, C)).astype(np.float32)
    z[rows, (y + 2) % C] += rng.uniform(100, 800, size=N).astype(np.float32)
    out.append(("label 100-800 below, S 1e-200", z, y, S))
    return out


_loss_and_grad = jax.jit(lambda fn, a, b: (fn(a, b), jax.grad(lambda t: fn(t, b).sum())(a)))


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "topk"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_float32_small_losses_are_relatively_exact(seed, sparse):
    """Relative 1e-6 (no absolute slack) against 40-digit mpmath, down to losses of 1e-17."""
    for name, z, y, S in small_loss_cases(seed):
        loss = make_simloss(sp.csr_array(S) if sparse else S)
        per, grad = _loss_and_grad(loss, jnp.asarray(z), jnp.asarray(y))
        ref = ref_loss(z, y, S)
        assert_allclose(np.asarray(per), ref, rtol=1e-6, atol=0, err_msg=name)
        assert_allclose(np.asarray(grad), ref_grad(z, y, stored(S)), atol=2e-7, err_msg=name)


def test_simmatrix_simloss_on_jax_arrays_uses_the_jax_kernel():
    from simmatrix import simloss

    _, z, y, S = small_loss_cases(4)[0]
    z, y = jnp.asarray(z), jnp.asarray(y)
    w = jnp.asarray(RNG.uniform(0.5, 2.0, size=S.shape[0]), dtype=jnp.float32)
    for table in (S, sp.csr_array(S)):
        ours = make_simloss(table)
        per = simloss(z, y, table, reduction="none")
        assert_allclose(np.asarray(per), np.asarray(ours(z, y)), rtol=1e-7, atol=0)
        # relative accuracy of tiny losses: the generic core only had absolute 3e-7
        assert_allclose(np.asarray(per), ref_loss(np.asarray(z), np.asarray(y), S), rtol=1e-6)
        g = jax.grad(lambda a, t=table: simloss(a, y, t, weight=w))(z)
        g_ref = jax.grad(lambda a, f=ours: (f(a, y) * w[y]).sum() / w[y].sum())(z)
        assert_allclose(np.asarray(g), np.asarray(g_ref), rtol=1e-6, atol=1e-9)
        gj = jax.jit(jax.grad(lambda a, b, t=table: simloss(a, b, t, ignore_index=3)))(z, y)
        keep = np.asarray(y) != 3
        gr = ref_grad(np.asarray(z), np.asarray(y), S) * keep[:, None] / keep.sum()
        assert_allclose(np.asarray(gj), gr, atol=2e-8)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "topk"])
def test_vmap_jit_and_grad_compose(sparse):
    """vmap over batches (one of them takes the shifted pass), jit of grad of vmap."""
    cases = small_loss_cases(5)
    S = cases[3][3]
    Z = jnp.asarray(np.stack([cases[0][1], cases[3][1]]))  # ordinary, W underflows
    Y = jnp.asarray(np.stack([cases[0][2], cases[3][2]]))
    loss = make_simloss(sp.csr_array(S) if sparse else S)
    per = jax.vmap(lambda a, b: loss(a, b))(Z, Y)
    for i in range(2):
        assert_allclose(np.asarray(per[i]), ref_loss(np.asarray(Z[i]), np.asarray(Y[i]), S),
                        rtol=1e-6)
    g = jax.jit(jax.grad(lambda a, fn: jax.vmap(lambda u, v: fn(u, v).sum())(a, Y).sum()))(
        Z, loss)
    for i in range(2):
        assert_allclose(np.asarray(g[i]),
                        ref_grad(np.asarray(Z[i]), np.asarray(Y[i]), stored(S)), atol=2e-7)
    # per-example gradients: vmap of grad over single examples
    pe = jax.vmap(jax.grad(lambda a, b: loss(a[None], b[None]).sum()))(Z[1], Y[1])
    assert_allclose(np.asarray(pe), ref_grad(np.asarray(Z[1]), np.asarray(Y[1]), stored(S)),
                    atol=2e-7)


def test_issue_gradient_example_is_exact():
    S = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.5], [0.0, 0.5, 1.0]])
    z = jnp.asarray([[1e4, 0.0, 0.0]], dtype=jnp.float32)
    g = jax.grad(lambda a: make_simloss(S)(a, jnp.array([1])).sum())(z)
    assert_allclose(np.asarray(g)[0], [1.0, -2 / 3, -1 / 3], atol=3e-8)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "topk"])
def test_check_grads_float64_logits_and_log_S(sparse):
    from jax.test_util import check_grads

    S = banded(6, r=0.4, width=2)
    z0 = RNG.normal(scale=3.0, size=(5, 6))
    y0 = RNG.integers(0, 6, size=5)
    with jax.enable_x64(True):
        loss = make_simloss(sp.csr_array(S) if sparse else S, dtype=jnp.float64)
        z, y = jnp.asarray(z0), jnp.asarray(y0)
        check_grads(lambda t: loss(t, y), (z,), order=2, modes=["rev"])
        assert_allclose(np.asarray(jax.grad(lambda t: loss(t, y).sum())(z)),
                        ref_grad(z0, y0, S), rtol=1e-12, atol=1e-15)
        if not sparse:  # a traced, learnable log S gets its gradient -q
            log_S = jnp.log(jnp.asarray(S) + 0.05)
            check_grads(lambda t, s: simloss_with_integer_labels(t, y, s), (z, log_S),
                        order=2, modes=["fwd", "rev"])
        hess = jax.hessian(lambda t: loss(t, y).sum())(z)  # forward over reverse
        assert hess.shape == z.shape * 2 and np.isfinite(np.asarray(hess)).all()


# -- labels --------------------------------------------------------------------------------------
def test_eager_label_errors_name_the_value():
    loss = make_simloss(np.eye(4))
    z = jnp.zeros((3, 4))
    for bad in (4, -1, 17):
        with pytest.raises(SimMatrixError, match=rf"labels\[1\] = {bad} is outside \[0, 4\)"):
            loss(z, jnp.array([0, bad, 2]))
    with pytest.raises(SimMatrixError, match="integer class indices"):
        loss(z, jnp.array([0.0, 1.0, 2.0]))
    with pytest.raises(SimMatrixError, match="logits have 4 classes but S has 5"):
        make_simloss(np.eye(5))(z, jnp.array([0, 1, 2]))
    with pytest.raises(SimMatrixError, match=r"labels must have shape \(3,\)"):
        loss(z, jnp.array([0, 1]))


def test_jit_out_of_range_label_is_nan_for_that_example_only():
    S = banded(5, r=0.5)
    z = jnp.asarray(RNG.normal(size=(4, 5)), dtype=jnp.float32)
    y = jnp.array([5, 1, -1, 3])  # -1 must not wrap to the last row, nor 5 clamp
    per = jax.jit(lambda fn, a, b: fn(a, b))(make_simloss(S), z, y)
    assert np.isnan(np.asarray(per)[[0, 2]]).all()
    assert_allclose(np.asarray(per)[[1, 3]], ref_loss(np.asarray(z)[[1, 3]], [1, 3], S),
                    rtol=1e-6)


def test_where_excludes_padding_labels_and_their_gradient():
    S = banded(5, r=0.5)
    z = jnp.asarray(RNG.normal(size=(4, 5)), dtype=jnp.float32)
    y = jnp.array([2, -1, 4, -1])  # padding marked -1
    keep = y >= 0
    loss = make_simloss(S)
    per = loss(z, y, where=keep)  # eager: excluded labels are not checked
    assert_allclose(np.asarray(per), [*ref_loss(np.asarray(z)[[0]], [2], S), 0.0,
                                      *ref_loss(np.asarray(z)[[2]], [4], S), 0.0], rtol=1e-6)
    g = jax.jit(jax.grad(lambda a, fn: fn(a, y, where=keep).sum()))(z, loss)
    assert np.isfinite(np.asarray(g)).all()
    assert not np.asarray(g)[[1, 3]].any()
    assert_allclose(np.asarray(g)[[0, 2]], ref_grad(np.asarray(z)[[0, 2]], [2, 4], S),
                    atol=2e-7)


# -- dtypes -------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision_is_computed_in_float32(dtype):
    S = banded(256, r=1e-2, seed=3)
    y = RNG.integers(0, 256, size=256)
    z = jnp.asarray((RNG.normal(size=(256, 256)) * 3e3).astype(np.float32)).astype(dtype)
    loss = make_simloss(S)
    per, g = value_and_grad(lambda a, b: loss(a, b), z, jnp.asarray(y))
    ce = optax.losses.softmax_cross_entropy_with_integer_labels(z, jnp.asarray(y))
    assert per.dtype == ce.dtype == z.dtype and g.dtype == z.dtype
    z64 = np.asarray(z.astype(jnp.float32), dtype=np.float64)  # the values the model gave
    per = np.asarray(loss(z, jnp.asarray(y)).astype(jnp.float32))
    assert np.isfinite(per).all() and np.isfinite(np.asarray(g.astype(jnp.float32))).all()
    # only the final rounding to the half dtype: its relative precision
    rtol = float(jnp.finfo(dtype).eps)
    assert_allclose(per, ref_loss(z64, y, S), rtol=rtol, atol=rtol)
    assert_allclose(np.asarray(g.astype(jnp.float32)), ref_grad(z64, y, S), atol=rtol)


# -- the table: an argument, not a constant ----------------------------------------------------
def test_loss_is_a_pytree_whose_table_stays_an_argument():
    C = 300
    loss = make_simloss(banded(C, r=0.5))
    assert isinstance(loss, SimLoss)
    leaves = jax.tree_util.tree_leaves(loss)
    assert len(leaves) == 1 and leaves[0].shape == (C, C) and leaves[0].dtype == jnp.float32
    z, y = jnp.zeros((8, C)), jnp.zeros(8, dtype=jnp.int32)
    as_arg = jax.jit(lambda fn, a, b: fn(a, b).mean()).lower(loss, z, y).as_text()
    closed = jax.jit(lambda a, b: loss(a, b).mean()).lower(z, y).as_text()
    # a closed-over table is printed into the program (C² floats); as an argument it is not
    assert len(closed) > len(as_arg) + 4 * C * C and len(as_arg) < C * C


def test_table_keeps_log_S_below_float32_range_and_constructor_memory():
    import tracemalloc

    S = np.full((3, 3), 1e-300)
    np.fill_diagonal(S, 1.0)
    table = make_simloss(SimilarityMatrix(S)).table.log_S
    assert_allclose(np.asarray(table)[0, 1], np.log(1e-300), rtol=1e-7)
    S = banded(2000, r=0.9).astype(np.float32)
    tracemalloc.start()
    loss = make_simloss(S)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak <= 1.2 * loss.table.log_S.nbytes
