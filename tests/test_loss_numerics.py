"""SimLoss values and gradients on adversarial inputs, in every float dtype.

References are exact: mpmath (60 digits) for the values, float64 ``p - q`` with
``q = softmax(z + log S[y])`` for the gradients, both computed from the *rounded* inputs the
loss sees (logits in their dtype; S exact, in float64 or as a Python float).
"""

from __future__ import annotations

import numpy as np
import pytest
from _backends import backend_fixture
from numpy.testing import assert_allclose

import simmatrix
from simmatrix import SimilarityMatrix

backend = backend_fixture()
mpmath = pytest.importorskip("mpmath")


def exact_loss(z_row, y, S):
    """-log Σ_c S[y, c] softmax(z)_c in 60-digit arithmetic."""
    mpmath.mp.dps = 60
    z = [mpmath.mpf(float(v)) for v in z_row]
    m = max(z)
    e = [mpmath.exp(v - m) for v in z]
    num = mpmath.fsum(mpmath.mpf(float(s)) * v for s, v in zip(S[y], e, strict=True))
    return float(mpmath.log(mpmath.fsum(e)) - mpmath.log(num))


def exact_grad(z, y, S):
    """p - q in float64 from z (any float dtype, taken exactly) and S."""
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(divide="ignore"):
        a = z + np.log(np.asarray(S, dtype=np.float64)[y])
    p = np.exp(z - z.max(1, keepdims=True))
    q = np.exp(a - a.max(1, keepdims=True))
    return p / p.sum(1, keepdims=True) - q / q.sum(1, keepdims=True)


def adversarial(C=6, seed=0):
    """Rows that break naive formulas, with a similarity that has zeros and tiny entries.

    One-hot logits (one huge, rest 0), ties at a huge value, huge gaps between classes
    similar to the label, the mass on a class with S = 0, S entries far below float32's
    range (1e-300, 1e-60), and ordinary rows.
    """
    rng = np.random.default_rng(seed)
    S = rng.uniform(0.05, 0.9, size=(C, C))
    S[rng.uniform(size=(C, C)) < 0.3] = 0.0
    S[0, 1:3] = [1e-300, 1e-60]
    S[1, 2:4] = [1e-45, 0.5]
    np.fill_diagonal(S, 1.0)
    rows, ys = [], []
    for y in range(C):
        zero = int(np.flatnonzero(S[y] == 0)[0]) if (S[y] == 0).any() else (y + 1) % C
        other = (y + 1) % C
        big = np.zeros(C)
        big[zero] = 1e4                         # sure of a class with S = 0
        rows += [big, np.full(C, 1e4)]          # ties at a huge value
        tie = np.full(C, 1e4)
        tie[other] += 0.5                       # huge logits, small differences
        rows += [tie, rng.normal(scale=1e4, size=C), rng.normal(scale=3.0, size=C)]
        gap = np.zeros(C)
        gap[other] = 300.0                      # a gap that sends tiny S entries into play
        rows += [gap, -big]
        ys += [y] * 7
    return np.array(rows), np.array(ys), S


def paper_setting():
    """90 ordered classes, S = r^|i-j| with r = 0.1, the farthest class ahead by 300."""
    i = np.arange(90)
    S = 0.1 ** np.abs(i[:, None] - i[None, :]).astype(np.float64)
    z = np.zeros((1, 90))
    z[0, 89] = 300.0
    return z, np.array([0]), S


def tiny_losses(C=7, seed=2, near=True):
    """Rows whose loss is far below 1, where ``LSE(z) - LSE(z + g)`` keeps only ``eps``
    absolute: near one-hot logits, ties between the label and a class with S near 1,
    mass spread over classes with S = 1 - 1e-4 or 1 - 1e-6, huge logits, S = 1e-300 next
    to them; with ``near`` most rows have p_y >= 1/2 (late training), else few do.
    """
    rng = np.random.default_rng(seed)
    S = rng.uniform(0.05, 0.9, size=(C, C))
    S[0, 1:4] = [1 - 1e-6, 1e-300, 0.0]
    S[1, 2:4] = [1 - 1e-4, 0.999]
    S[2, 0:2] = [0.9999999, 1e-45]
    np.fill_diagonal(S, 1.0)
    rows, ys = [], []
    for y in range(3):
        for scale in (1.0, 1e4):
            hot = np.zeros(C)
            hot[y] = 25.0
            rows.append(hot + (scale if scale > 1 else 0.0))     # near one-hot (p_y ≈ 1)
            tie = np.full(C, -5.0) * (1 if scale == 1.0 else 20)
            tie[y] = tie[(y + 1) % C] = scale                      # a tie with a similar class
            rows.append(tie)
            spread = rng.normal(size=C)
            spread[y] += 3.0 if near else 0.0
            rows.append(spread + (scale if scale > 1 else 0.0))
            ys += [y] * 3
    if not near:
        far = rng.normal(scale=3.0, size=(3 * len(rows), C))
        rows += list(far)
        ys += list(rng.integers(3, C, size=len(far)))
    return np.array(rows), np.array(ys), S


CASES = [adversarial(), adversarial(C=9, seed=1), paper_setting()]
TINY = [tiny_losses(), tiny_losses(near=False), tiny_losses(C=40, seed=3)]


@pytest.mark.parametrize("case", range(len(TINY)))
@pytest.mark.parametrize("sparse", [False, True])
def test_float32_small_losses_relatively_exact(backend, case, sparse):
    """float32 losses of 1e-13 .. 1 keep relative 1e-6 (F.cross_entropy keeps eps absolute)."""
    z64, y, S = TINY[case]
    z = z64.astype(np.float32)
    ref = np.array([exact_loss(r, t, S) for r, t in zip(z, y, strict=True)])
    assert ref.min() < 1e-9 and (ref < 0.3).sum() >= 6  # the case is what it says
    table = SimilarityMatrix(S)
    if sparse:  # the top-4 table: its zeros are exact zeros of the reference
        table = simmatrix.transforms.top_k(table, 4, sparse=True)
        kept = table.to_dense().astype(np.float64)
        ref = np.array([exact_loss(r, t, kept) for r, t in zip(z, y, strict=True)])
    got = backend.numpy(simmatrix.simloss(backend.array(z), backend.array(y), table,
                                          reduction="none"))
    assert got.dtype == np.float32
    # XLA's CPU exp/log1p are a few ulp (numpy's and torch's <= 1): 2e-6 for jax
    assert_allclose(got, ref, rtol=2e-6 if backend.name == "jax" else 1e-6, atol=0)


@pytest.mark.parametrize("case", range(len(TINY)))
def test_float32_small_loss_gradients_torch(case):
    torch = pytest.importorskip("torch")
    z64, y, S = TINY[case]
    z = torch.tensor(z64, dtype=torch.float32, requires_grad=True)
    simmatrix.simloss(z, torch.tensor(y), SimilarityMatrix(S), reduction="sum").backward()
    assert_allclose(z.grad.numpy(), exact_grad(z.detach().numpy(), y, S), rtol=0, atol=1e-6)


@pytest.mark.parametrize("case", range(len(CASES)))
@pytest.mark.parametrize("sparse", [False, True])
def test_float32_exact_on_adversarial_rows(backend, case, sparse):
    z64, y, S = CASES[case]
    z = z64.astype(np.float32)
    ref = np.array([exact_loss(r, t, S) for r, t in zip(z, y, strict=True)])
    table = SimilarityMatrix(S)
    if sparse:
        table = simmatrix.transforms.top_k(table, S.shape[0], sparse=True)
    got = backend.numpy(simmatrix.simloss(backend.array(z), backend.array(y), table,
                                          reduction="none"))
    assert got.dtype == np.float32
    assert_allclose(got, ref, rtol=1e-6, atol=0)


@pytest.mark.parametrize("case", range(len(CASES)))
def test_float32_gradient_exact_torch(case):
    torch = pytest.importorskip("torch")
    z64, y, S = CASES[case]
    z = torch.tensor(z64, dtype=torch.float32, requires_grad=True)
    simmatrix.simloss(z, torch.tensor(y), SimilarityMatrix(S), reduction="sum").backward()
    assert_allclose(z.grad.numpy(), exact_grad(z.detach().numpy(), y, S), rtol=0, atol=1e-6)
    from simmatrix.torch import SimLoss

    z.grad = None
    SimLoss(S, reduction="sum")(z, torch.tensor(y)).backward()
    assert_allclose(z.grad.numpy(), exact_grad(z.detach().numpy(), y, S), rtol=0, atol=1e-6)


def test_issue_example_gradient():
    torch = pytest.importorskip("torch")
    S = np.array([[1.0, 0, 0], [0, 1.0, 0.5], [0, 0, 1.0]])
    z = torch.tensor([[1e4, 0.0, 0.0]], requires_grad=True)
    simmatrix.simloss(z, torch.tensor([1]), S).backward()
    assert_allclose(z.grad.numpy()[0], [1.0, -2 / 3, -1 / 3], rtol=0, atol=1e-7)


def test_paper_setting_value():
    z, y, S = paper_setting()
    torch = pytest.importorskip("torch")
    from simmatrix.torch import SimLoss

    got = SimLoss(S)(torch.tensor(z, dtype=torch.float32), torch.tensor(y)).item()
    assert_allclose(got, 300.0 - np.log(1.0 + np.exp(300.0) * 1e-89), rtol=1e-6)


HALF = ["float16", "bfloat16"]


@pytest.mark.parametrize("dtype", HALF)
@pytest.mark.parametrize("case", range(len(CASES)))
def test_half_precision_torch_as_accurate_as_cross_entropy(dtype, case):
    """Half logits: float32 inside, result rounded once to the logits' dtype.

    The bound is what ``F.cross_entropy`` reaches on the same half logits (S = I): its
    error against the exact value, and at least the rounding of the result.
    """
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    dt = getattr(torch, dtype)
    z64, y, S = CASES[case]
    z64 = np.clip(z64, -6e4, 6e4) if dtype == "float16" else z64
    z = torch.tensor(z64, dtype=torch.float32).to(dt).requires_grad_()
    zf = z.detach().float().numpy()
    yt = torch.tensor(y)
    half_eps = float(torch.finfo(dt).eps)
    ce = F.cross_entropy(z, yt, reduction="none")
    eye = np.eye(S.shape[0])
    ce_ref = np.array([exact_loss(r, t, eye) for r, t in zip(zf, y, strict=True)])
    ce_err = np.abs(ce.detach().float().numpy() - ce_ref) / np.maximum(ce_ref, 1e-30)
    tol = max(half_eps, float(ce_err.max()))
    got = simmatrix.simloss(z, yt, SimilarityMatrix(S), reduction="none")
    assert got.dtype == dt
    ref = np.array([exact_loss(r, t, S) for r, t in zip(zf, y, strict=True)])
    g = got.detach().float().numpy()
    assert np.isfinite(g).all()
    assert_allclose(g, ref, rtol=tol, atol=0)
    got.sum().backward()
    assert z.grad.dtype == dt and torch.isfinite(z.grad).all()
    assert_allclose(z.grad.float().numpy(), exact_grad(zf, y, S), rtol=0, atol=2 * half_eps)


def test_autocast_returns_float32_like_cross_entropy():
    torch = pytest.importorskip("torch")
    from simmatrix.torch import SimLoss

    F = torch.nn.functional
    g = torch.Generator().manual_seed(0)
    lin = torch.nn.Linear(8, 5)
    x, y = torch.randn(32, 8, generator=g), torch.randint(0, 5, (32,), generator=g)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits = lin(x)
        assert logits.dtype == torch.bfloat16
        ref = F.cross_entropy(logits, y)
        got = SimLoss(np.eye(5))(logits, y)
    assert got.dtype == ref.dtype == torch.float32
    assert_allclose(got.item(), ref.item(), rtol=1e-6)
    got.backward()
    assert lin.weight.grad is not None and torch.isfinite(lin.weight.grad).all()


def test_jax_half_precision_finite_and_accurate():
    jnp = pytest.importorskip("jax.numpy")
    z64, y, S = CASES[0]
    z = jnp.asarray(np.clip(z64, -6e4, 6e4), dtype=jnp.float16)
    got = simmatrix.simloss(z, jnp.asarray(y), SimilarityMatrix(S), reduction="none")
    assert got.dtype == jnp.float16
    zf = np.asarray(z, dtype=np.float32)
    ref = np.array([exact_loss(r, t, S) for r, t in zip(zf, y, strict=True)])
    assert_allclose(np.asarray(got, dtype=np.float64), ref, rtol=float(jnp.finfo(z.dtype).eps))


def test_expected_similarity_gradient_where_it_is_zero():
    torch = pytest.importorskip("torch")
    p = torch.tensor([[0.0, 1.0]], dtype=torch.float64, requires_grad=True)
    e = simmatrix.losses.expected_similarity(p, torch.tensor([0]), np.eye(2),
                                             from_logits=False)
    e.backward()
    assert e.item() == 0.0
    assert_allclose(p.grad.numpy(), [[1.0, 0.0]])


def test_compiled_small_losses_relatively_exact():
    """Under torch.compile the traced kernel keeps small losses' digits too (inductor
    writes expm1 as exp - 1, so the kernel does not use it there)."""
    torch = pytest.importorskip("torch")
    from simmatrix.torch import SimLoss

    z64, y, S = TINY[0]
    z = torch.tensor(z64, dtype=torch.float32)
    ref = np.array([exact_loss(r, t, S) for r, t in zip(z.numpy(), y, strict=True)])
    crit = torch.compile(SimLoss(S, reduction="none"), fullgraph=True, dynamic=False)
    zg = z.clone().requires_grad_()
    got = crit(zg, torch.tensor(y))
    assert_allclose(got.detach().numpy(), ref, rtol=1e-6, atol=0)
    got.sum().backward()
    assert_allclose(zg.grad.numpy(), exact_grad(z.numpy(), y, S), rtol=0, atol=1e-6)
