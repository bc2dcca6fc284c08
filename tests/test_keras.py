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
    for i, (z, y, S) in enumerate(adversarial(rng)):
        d.update({f"adv_z{i}": z, f"adv_y{i}": y, f"adv_S{i}": S})
    np.savez(tmp / "in.npz", **d)
    return d


def adversarial(rng, C=12, N=16):
    """(logits float32, labels, S): tiny losses, near one-hot ties, huge gaps, S = 1e-300."""
    y, rows = rng.integers(0, C, size=N), np.arange(N)
    band = ordinal(C, 0.3)
    z = rng.normal(size=(N, C)).astype("float32")
    z[rows, y] += rng.uniform(15, 40, size=N).astype("float32")  # L from 1e-7 to 1e-17
    cases = [(z, y, band)]
    S = np.eye(C)
    S[np.arange(C), (np.arange(C) + 1) % C] = 1 - 1e-4  # a near-duplicate class, tied
    z = rng.normal(size=(N, C)).astype("float32")
    z[rows, y] += 30.0
    z[rows, (y + 1) % C] = z[rows, y]
    cases.append((z, y, S))
    S = np.where(rng.random((C, C)) < 0.5, 1e-300, 1 - 1e-6)  # logits of scale 1e4
    np.fill_diagonal(S, 1.0)
    cases.append(((rng.normal(size=(N, C)) * 1e4).astype("float32"), y, S))
    z = rng.normal(size=(N, C)).astype("float32")  # the label 100-800 below the maximum
    z[rows, (y + 2) % C] += rng.uniform(100, 800, size=N).astype("float32")
    cases.append((z, y, ordinal(C, 1e-100)))
    return cases


def mp_loss(z, y, S):
    """-log Σ_c S[y, c] softmax(z)_c in 40-digit mpmath, row by row."""
    import mpmath

    out = []
    with mpmath.workdps(40):
        for row, s in zip(np.asarray(z, dtype=np.float64), np.asarray(S, dtype=np.float64)[y]):
            e = [mpmath.exp(mpmath.mpf(float(v)) - mpmath.mpf(float(row.max()))) for v in row]
            num = mpmath.fsum(mpmath.mpf(float(c)) * x for c, x in zip(s, e) if c > 0)
            out.append(float(mpmath.log(mpmath.fsum(e)) - mpmath.log(num)))
    return np.array(out)


def f64_grad(z, y, S):
    """softmax(z) - softmax(z + log S[y]) in float64, S as a float32 log S table holds it."""
    from scipy.special import softmax

    z = np.asarray(z, dtype=np.float64)
    with np.errstate(divide="ignore"):
        g = np.log(np.asarray(S, dtype=np.float64)[y]).astype("float32").astype(np.float64)
    return softmax(z, axis=1) - softmax(z + g, axis=1)


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
    assert_allclose(fit["per_example"], ref, rtol=1e-6)
    p = np.exp(z - logsumexp(z, axis=1, keepdims=True))
    ref_p = -np.log((S[y] * np.maximum(p, 1e-7)).sum(1) / np.maximum(p, 1e-7).sum(1))
    assert_allclose(fit["probs_per_example"], ref_p, rtol=1e-5)


def test_adversarial_values_and_gradients_match_mpmath(keras_run):
    """float32: relative 1e-6 with no absolute slack (losses down to 1e-17), and p - q."""
    _, d, fit, _ = keras_run
    for i, (per, grad) in enumerate(fit["adversarial"]):
        z, y, S = d[f"adv_z{i}"], d[f"adv_y{i}"], d[f"adv_S{i}"]
        assert_allclose(per, mp_loss(z, y, S), rtol=1e-6, atol=0, err_msg=f"case {i}")
        assert_allclose(grad, f64_grad(z, y, S), atol=2e-7, err_msg=f"case {i}")


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
    assert f"labels[0] = {C + 3} is outside [0, {C})" in (fit["bad_label"] or ""), fit["bad_label"]
