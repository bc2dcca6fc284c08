"""simmatrix.keras.SimLoss on Keras's torch and jax backends, each in its own process.

Keras fixes its backend at import, so every backend runs ``tests/_keras_worker.py`` in a
subprocess with ``KERAS_BACKEND`` set; the expected values are Keras's own
``SparseCategoricalCrossentropy`` (computed there, on the same inputs) and float64 formulas
(computed here).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.special import logsumexp

pytest.importorskip("keras")
pytestmark = pytest.mark.slow  # two processes per backend, ~45 s each
WORKER = Path(__file__).with_name("_keras_worker.py")
BACKENDS = ["torch", "jax"]


def ordinal(C, r):
    i = np.arange(C)
    return r ** np.abs(i[:, None] - i[None, :]).astype(float)


def inputs(tmp):
    from sklearn.datasets import load_digits

    rng = np.random.default_rng(5)
    C, N = 6, 40
    S = ordinal(C, 0.4)
    S[0, 3:] = 0.0
    x, t = load_digits(return_X_y=True)
    d = {"z": rng.normal(scale=4.0, size=(N, C)).astype("float32"),
         "y": rng.integers(0, C, size=N), "S": S, "w": rng.uniform(0.2, 2.0, size=N),
         "x": (x / 16.0).astype("float32"), "t": t, "S10": ordinal(10, 0.3),
         "path": np.array(str(tmp / "model.keras"))}
    np.savez(tmp / "in.npz", **d)
    return d


def run(backend, tmp, mode):
    env = dict(os.environ, KERAS_BACKEND=backend, OMP_NUM_THREADS="1")
    out = tmp / f"{mode}.json"
    proc = subprocess.run([sys.executable, str(WORKER), str(tmp / "in.npz"), str(out), mode],
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(out.read_text())


@pytest.fixture(scope="module", params=BACKENDS)
def keras_run(request, tmp_path_factory):
    pytest.importorskip(request.param)
    tmp = tmp_path_factory.mktemp(f"keras-{request.param}")
    d = inputs(tmp)
    fit = run(request.param, tmp, "fit")
    loaded = run(request.param, tmp, "load")  # a fresh process: only the saved file
    return request.param, d, fit, loaded


def test_runs_on_the_requested_backend(keras_run):
    backend, _, fit, loaded = keras_run
    assert fit["backend"] == loaded["backend"] == backend


def test_identity_equals_sparse_categorical_crossentropy(keras_run):
    _, _, fit, _ = keras_run
    for what, (ours, theirs) in fit["identity"].items():
        # probabilities: both clip at keras.config.epsilon(), they renormalise differently
        rtol = 1e-5 if what == "probs" else 1e-6
        assert_allclose(ours, theirs, rtol=rtol, err_msg=what)


def test_values_match_float64(keras_run):
    backend, d, fit, _ = keras_run
    z, y, S = d["z"].astype(np.float64), d["y"], d["S"]
    with np.errstate(divide="ignore"):
        ref = logsumexp(z, axis=1) - logsumexp(z + np.log(S[y]), axis=1)
    try:
        assert_allclose(fit["per_example"], ref, rtol=1e-6)
    except AssertionError:
        if backend != "torch":
            raise
        # the torch backend calls simmatrix.simloss, whose float32 torch path is being made
        # exact in the torch half of issue 11; the jax path already is
        pytest.xfail("simmatrix.simloss's float32 torch path loses digits of small losses")
    p = np.exp(z - logsumexp(z, axis=1, keepdims=True))
    ref_p = -np.log((S[y] * np.maximum(p, 1e-7)).sum(1) / np.maximum(p, 1e-7).sum(1))
    assert_allclose(fit["probs_per_example"], ref_p, rtol=1e-5)


def test_config_round_trips(keras_run):
    _, d, fit, _ = keras_run
    dense, named, sparse = fit["config_trips"]
    for a, b, name, _ in (dense, named, sparse):
        assert_allclose(b, a, rtol=1e-7)
        assert name == "mine"
    assert named[3] == [f"c{i}" for i in range(d["S"].shape[0])]


def test_fit_lowers_the_loss_and_learns_digits(keras_run):
    _, _, fit, _ = keras_run
    losses = fit["fit_loss"]
    assert losses[-1] < 0.5 * losses[0] and all(np.diff(losses) < 0.05)
    assert fit["fit_accuracy"][-1] > 0.9


def test_saved_model_loads_with_its_loss(keras_run):
    _, d, fit, loaded = keras_run
    assert loaded["loss_class"] == "simmatrix.keras.SimLoss"
    assert_allclose(loaded["loss_config"]["S"]["values"], d["S10"], rtol=0, atol=0)
    assert loaded["loss_config"]["from_logits"] is True
    assert_allclose(loaded["evaluate"], fit["evaluate"], rtol=1e-6)


def test_out_of_range_label_is_named(keras_run):
    backend, d, fit, _ = keras_run
    C = d["S"].shape[0]
    # jax says "labels[0] = 9 is outside ...", the torch core "target value 9 is outside ..."
    assert f"{C + 3} is outside [0, {C})" in (fit["bad_label"] or ""), fit["bad_label"]
