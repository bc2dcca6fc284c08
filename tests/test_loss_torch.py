"""simmatrix.torch.SimLoss as a drop-in for torch.nn.CrossEntropyLoss.

References: ``F.cross_entropy`` itself where S = I, a float64 formula written here otherwise.
"""

from __future__ import annotations

import copy
import io
import itertools
import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose

torch = pytest.importorskip("torch")
F = torch.nn.functional

import simmatrix  # noqa: E402
from simmatrix import SimilarityMatrix, SimMatrixError  # noqa: E402
from simmatrix.torch import SimLoss  # noqa: E402

C = 5
RNG = np.random.default_rng(11)


def _similarity(c=C, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.uniform(size=(c, c))
    a = (a + a.T) / 2
    a[a < 0.4] = 0.0
    np.fill_diagonal(a, 1.0)
    return a


def reference(z, y, S, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """CrossEntropyLoss's conventions around -log Σ S[y] p, in float64 numpy.

    ``z`` is (N, C, d...) and ``y`` (N, d...) as torch takes them.
    """
    z = np.moveaxis(np.asarray(z, dtype=np.float64), 1, -1)
    shape = z.shape[:-1]
    z = z.reshape(-1, z.shape[-1])
    y = np.asarray(y).reshape(-1)
    c = z.shape[1]
    w = np.ones(c) if weight is None else np.asarray(weight, dtype=np.float64)
    lp = z - z.max(1, keepdims=True)
    lp = lp - np.log(np.exp(lp).sum(1, keepdims=True))
    valid = y != ignore_index
    ys = np.where(valid, y, 0)
    sim = -np.log((np.asarray(S, dtype=np.float64)[ys] * np.exp(lp)).sum(1))
    smooth = -(lp * w).sum(1)
    per = ((1 - label_smoothing) * w[ys] * sim + label_smoothing / c * smooth) * valid
    if reduction == "none":
        return per.reshape(shape)
    if reduction == "sum":
        return per.sum()
    return per.sum() / (w[ys] * valid).sum()


def _inputs(shape, ignore=True, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=3.0, size=shape).astype(np.float32)
    tshape = (shape[0], *shape[2:])
    y = rng.integers(0, shape[1], size=tshape)
    if ignore:
        y.reshape(-1)[::4] = -100
    return torch.from_numpy(z), torch.from_numpy(y)


SHAPES = [(8, C), (3, C, 4, 2)]
COMBOS = list(itertools.product(SHAPES, (None, "w"), (-100, 2), (0.0, 0.3),
                                ("mean", "sum", "none")))


@pytest.mark.parametrize(("shape", "weight", "ignore_index", "smoothing", "reduction"), COMBOS)
def test_identity_equals_cross_entropy_in_every_convention(shape, weight, ignore_index,
                                                           smoothing, reduction):
    z, y = _inputs(shape)
    if ignore_index == 2:
        y = torch.where(y == -100, torch.tensor(2), y)
    w = torch.linspace(0.5, 2.0, C) if weight else None
    kw = dict(weight=w, ignore_index=ignore_index, reduction=reduction,
              label_smoothing=smoothing)
    z1 = z.clone().requires_grad_()
    z2 = z.clone().requires_grad_()
    ref = F.cross_entropy(z1, y, **kw)
    got = SimLoss(np.eye(C), **kw)(z2, y)
    assert got.shape == ref.shape and got.dtype == ref.dtype
    assert_allclose(got.detach().numpy(), ref.detach().numpy(), rtol=2e-6, atol=1e-6)
    ref.sum().backward()
    got.sum().backward()
    assert_allclose(z2.grad.numpy(), z1.grad.numpy(), rtol=1e-5, atol=1e-7)
    fn = simmatrix.simloss(z, y, np.eye(C), **kw)  # the functional form, same conventions
    assert_allclose(fn.detach().numpy(), ref.detach().numpy(), rtol=2e-6, atol=1e-6)


@pytest.mark.parametrize(("shape", "weight", "smoothing", "reduction"),
                         list(itertools.product(SHAPES, (None, "w"), (0.0, 0.2),
                                                ("mean", "sum", "none"))))
def test_similarity_against_float64_formula(shape, weight, smoothing, reduction):
    S = _similarity()
    z, y = _inputs(shape, seed=3)
    w = np.linspace(0.5, 2.0, C) if weight else None
    kw = dict(weight=w, reduction=reduction, label_smoothing=smoothing)
    got = SimLoss(S, **{**kw, "weight": None if w is None else torch.tensor(w)})(z, y)
    assert_allclose(got.numpy(), reference(z.numpy(), y.numpy(), S, **kw), rtol=2e-6,
                    atol=1e-6)
    sparse = SimLoss(simmatrix.transforms.top_k(SimilarityMatrix(S), C, sparse=True),
                     weight=None if w is None else torch.tensor(w),
                     reduction=reduction, label_smoothing=smoothing)(z, y)
    assert_allclose(sparse.numpy(), got.numpy(), rtol=2e-6, atol=1e-6)


def test_gradcheck_float64_with_conventions():
    S = _similarity()
    crit = SimLoss(S, weight=torch.linspace(0.5, 2.0, C, dtype=torch.float64),
                   label_smoothing=0.1, dtype=torch.float64)
    z, y = _inputs((3, C, 2), seed=5)
    z = z.double().requires_grad_()
    assert torch.autograd.gradcheck(lambda t: crit(t, y), (z,))


@pytest.mark.parametrize("bad", [C, -1, 99])
def test_out_of_range_target_names_the_value(bad):
    z, y = _inputs((6, C), ignore=False)
    y[3] = bad
    with pytest.raises(SimMatrixError, match=rf"target value {bad} .*\[0, {C}\)"):
        SimLoss(np.eye(C))(z, y)
    with pytest.raises(SimMatrixError, match=rf"target value {bad}"):
        simmatrix.simloss(z, y, np.eye(C))


def test_bad_shapes_and_options():
    z, y = _inputs((6, C), ignore=False)
    with pytest.raises(SimMatrixError, match="label_smoothing"):
        SimLoss(np.eye(C), label_smoothing=1.5)
    with pytest.raises(SimMatrixError, match="reduction"):
        SimLoss(np.eye(C), reduction="avg")
    with pytest.raises(SimMatrixError, match="weight"):
        SimLoss(np.eye(C), weight=torch.ones(C + 1))
    with pytest.raises(SimMatrixError, match="classes"):
        SimLoss(np.eye(C + 1))(z, y)
    with pytest.raises(SimMatrixError, match="target"):
        SimLoss(np.eye(C))(z, y[:3])


class _Net(torch.nn.Module):
    def __init__(self, S):
        super().__init__()
        self.linear = torch.nn.Linear(4, C)
        self.criterion = SimLoss(S, weight=torch.linspace(0.5, 1.5, C))

    def forward(self, x, y):
        return self.criterion(self.linear(x), y)


def _batch():
    g = torch.Generator().manual_seed(0)
    return torch.randn(16, 4, generator=g), torch.randint(0, C, (16,), generator=g)


def test_state_dict_holds_log_S_and_weight():
    S = _similarity()
    crit = SimLoss(S, weight=torch.ones(C))
    sd = crit.state_dict()
    assert sorted(sd) == ["log_S", "weight"]
    with np.errstate(divide="ignore"):
        assert_allclose(sd["log_S"].numpy(), np.log(S).astype(np.float32))
    assert sd["log_S"].dtype == torch.float32
    top = SimLoss(simmatrix.transforms.top_k(SimilarityMatrix(S), 2, sparse=True))
    assert sorted(top.state_dict()) == ["indices", "log_values"]
    fresh = SimLoss(np.eye(C))
    fresh.load_state_dict(crit.state_dict(), strict=False)
    z, y = _inputs((6, C), ignore=False)
    assert_allclose(fresh(z, y).item(), SimLoss(S)(z, y).item(), rtol=1e-6)


def test_pickle_deepcopy_save_load_and_averaged_model(tmp_path):
    net = _Net(_similarity())
    x, y = _batch()
    ref = net(x, y).item()
    assert pickle.loads(pickle.dumps(net))(x, y).item() == ref
    assert copy.deepcopy(net)(x, y).item() == ref
    buf = io.BytesIO()
    torch.save(net, buf)
    buf.seek(0)
    loaded = torch.load(buf, weights_only=False)
    assert loaded(x, y).item() == ref
    avg = torch.optim.swa_utils.AveragedModel(net)
    avg.update_parameters(net)
    assert_allclose(avg(x, y).item(), ref, rtol=1e-6)


def test_torch_func_grad_and_vmap_equal_autograd():
    S = _similarity()
    crit = SimLoss(S)
    z, y = _inputs((6, C), ignore=False, seed=7)
    zg = z.clone().requires_grad_()
    crit(zg, y).backward()
    g = torch.func.grad(lambda t: crit(t, y))(z)
    assert_allclose(g.numpy(), zg.grad.numpy(), rtol=1e-6, atol=1e-8)
    per = torch.func.vmap(lambda zi, yi: crit(zi[None], yi[None]))(z, y)
    assert_allclose(per.numpy(), SimLoss(S, reduction="none")(z, y).numpy(), rtol=1e-6)
    jac = torch.func.vmap(torch.func.grad(lambda zi, yi: crit(zi[None], yi[None])))(z, y)
    assert_allclose(jac.numpy(), zg.grad.numpy() * len(y), rtol=1e-5, atol=1e-7)


@pytest.mark.slow
@pytest.mark.parametrize("sparse", [False, True])
def test_compile_fullgraph_equals_eager(sparse):
    S = SimilarityMatrix(_similarity())
    if sparse:
        S = simmatrix.transforms.top_k(S, 3, sparse=True)
    crit = SimLoss(S, weight=torch.linspace(0.5, 1.5, C), label_smoothing=0.1)
    z, y = _inputs((3, C, 4), seed=2)
    compiled = torch.compile(crit, fullgraph=True)
    z1, z2 = z.clone().requires_grad_(), z.clone().requires_grad_()
    a, b = crit(z1, y), compiled(z2, y)
    a.backward()
    b.backward()
    assert_allclose(b.item(), a.item(), rtol=1e-6)
    assert_allclose(z2.grad.numpy(), z1.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_classes_reorder_S_by_name():
    S = SimilarityMatrix(_similarity(), classes=["a", "b", "c", "d", "e"])
    order = ["c", "a", "e", "b", "d"]
    z, y = _inputs((6, C), ignore=False)
    got = SimLoss(S, classes=order, reduction="none")(z, y)
    idx = [S.index(c) for c in order]
    ref = reference(z.numpy(), y.numpy(), S.values[np.ix_(idx, idx)], reduction="none")
    assert_allclose(got.numpy(), ref, rtol=2e-6)
    with pytest.raises(SimMatrixError, match=r"2 classes .*'zebra', 'yak'"):
        SimLoss(S, classes=["a", "zebra", "yak"])


def test_catalogue_name_and_file_path(tmp_path):
    crit = SimLoss("cifar10-wordnet-wup")
    S = simmatrix.io.load("cifar10-wordnet-wup")
    with np.errstate(divide="ignore"):
        expect = np.log(S.to_dense().astype(np.float64)).astype(np.float32)
    assert_allclose(crit.log_S.numpy(), expect)
    path = tmp_path / "s.npy"
    simmatrix.io.save(S, path)
    assert torch.equal(SimLoss(str(path)).log_S, crit.log_S)
    cls = list(reversed(S.classes))
    assert torch.equal(SimLoss(path, classes=cls).log_S, crit.log_S.flip(0).flip(1))
    with pytest.raises(SimMatrixError, match="catalogue"):
        SimLoss("no-such-matrix")
