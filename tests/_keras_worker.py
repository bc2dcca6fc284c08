"""Run by tests/test_keras.py in a subprocess with KERAS_BACKEND set: ``in.npz out.json mode``.

Computes everything that needs keras (our loss and keras's own cross-entropy on the same
inputs, a fit, a save or a load) and writes the numbers; the test compares them.
"""

import json
import sys

import numpy as np


def main(inp, out, mode):
    import keras
    import scipy.sparse as sp

    from simmatrix import SimilarityMatrix, SimMatrixError
    from simmatrix.keras import SimLoss

    d = dict(np.load(inp))
    res = {"backend": keras.backend.backend()}
    if mode == "load":
        model = keras.saving.load_model(d["path"].item())
        res["loss_class"] = type(model.loss).__module__ + "." + type(model.loss).__name__
        res["loss_config"] = model.loss.get_config()
        res["evaluate"] = float(model.evaluate(d["x"], d["t"], verbose=0)[0])
        json.dump(res, open(out, "w"))
        return
    z, y, S, w = d["z"], d["y"], d["S"], d["w"]
    p = np.exp(z - z.max(1, keepdims=True))
    p = (p / p.sum(1, keepdims=True)).astype("float32")
    eye = np.eye(S.shape[0])
    f = float
    scce = keras.losses.SparseCategoricalCrossentropy
    res["identity"] = {
        "logits": [f(SimLoss(eye, from_logits=True)(y, z)), f(scce(from_logits=True)(y, z))],
        "probs": [f(SimLoss(eye)(y, p)), f(scce()(y, p))],
        "weighted": [f(SimLoss(eye, from_logits=True)(y, z, sample_weight=w)),
                     f(scce(from_logits=True)(y, z, sample_weight=w))],
        "sum": [f(SimLoss(eye, from_logits=True, reduction="sum")(y, z)),
                f(scce(from_logits=True, reduction="sum")(y, z))],
        "ignore": [f(SimLoss(eye, from_logits=True, ignore_class=2)(y, z)),
                   f(scce(from_logits=True, ignore_class=2)(y, z))],
        "column": [f(SimLoss(eye, from_logits=True)(y[:, None].astype("float32"), z)),
                   f(scce(from_logits=True)(y[:, None].astype("float32"), z))],
        # keras's own axis=0 fails on the jax backend: compare with the untransposed call
        "axis0": [f(SimLoss(eye, from_logits=True, axis=0)(y, z.T)),
                  f(scce(from_logits=True)(y, z))],
    }
    loss = SimLoss(S, from_logits=True, reduction=None)
    res["per_example"] = np.asarray(keras.ops.convert_to_numpy(loss(y, z))).tolist()
    res["probs_per_example"] = np.asarray(keras.ops.convert_to_numpy(
        SimLoss(S, reduction=None)(y, p))).tolist()
    res["adversarial"] = []
    i = 0
    while f"adv_z{i}" in d:
        za, ya, Sa = d[f"adv_z{i}"], d[f"adv_y{i}"], d[f"adv_S{i}"]
        per = SimLoss(Sa, from_logits=True, reduction=None)(ya, za)
        grad = gradient(SimLoss(Sa, from_logits=True, reduction="sum"), ya, za)
        res["adversarial"].append([np.asarray(keras.ops.convert_to_numpy(per)).tolist(),
                                   np.asarray(grad).tolist()])
        i += 1
    # config round trips: dense, a SimilarityMatrix with names, a sparse S
    named = SimilarityMatrix(S, [f"c{i}" for i in range(S.shape[0])])
    trips = []
    for s in (S, named, sp.csr_array(np.where(S > 0.3, S, 0.0))):
        a = SimLoss(s, from_logits=True, name="mine")
        b = SimLoss.from_config(json.loads(json.dumps(a.get_config())))
        trips.append([f(a(y, z)), f(b(y, z)), b.name, getattr(b.S, "classes", None)])
    res["config_trips"] = trips
    try:
        SimLoss(eye, from_logits=True)(np.array([S.shape[0] + 3]), z[:1])
        res["bad_label"] = None
    except SimMatrixError as exc:
        res["bad_label"] = str(exc)
    except Exception as exc:  # noqa: BLE001 - report what the backend raised
        res["bad_label"] = f"{type(exc).__name__}: {exc}"
    # a small model on sklearn's digits
    x, t = d["x"], d["t"]
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((x.shape[1],)), keras.layers.Dense(32, "relu"),
                              keras.layers.Dense(10)])
    model.compile(optimizer=keras.optimizers.Adam(1e-2),
                  loss=SimLoss(d["S10"], from_logits=True), metrics=["accuracy"])
    hist = model.fit(x, t, epochs=6, batch_size=64, verbose=0)
    res["fit_loss"] = hist.history["loss"]
    res["fit_accuracy"] = hist.history["accuracy"]
    res["evaluate"] = float(model.evaluate(x, t, verbose=0)[0])
    model.save(d["path"].item())
    json.dump(res, open(out, "w"))


def gradient(loss, y, z):
    """d loss(y, z) / dz with the backend's own autodiff."""
    import keras

    if keras.backend.backend() == "jax":
        import jax

        return jax.grad(lambda a: loss(y, a))(jax.numpy.asarray(z))
    import torch

    t = torch.tensor(z, requires_grad=True)
    loss(torch.tensor(y), t).backward()
    return t.grad.numpy()


if __name__ == "__main__":
    main(*sys.argv[1:4])
