"""SimLoss in a jax + optax training loop (jit-compiled step) on scikit-learn's digits.

S comes from the digits themselves: the cosine between the classes' mean images (centred
on the overall mean image) of the training split, negatives clipped to 0 (simmatrix's
``map_range(S, "clip")``, the paper's choice for cosine similarities). So 3 and 9 (0.49)
or 4 and 6 (0.31) share credit, 0 and 1 none. A one-hidden-layer MLP is trained from the
same initial weights with optax's cross-entropy, with SimLoss
(``simmatrix.jax.make_simloss``) and with SimLoss on the lower-bounded matrix
``transforms.lower_bound(S, l)`` (the paper's eq. 3), and compared on the test split.
Mistake severity is ``1 - S[y, ŷ]`` with the unbounded S for every row.

    python examples/jax_optax.py            # 5 seeds, about 10 s
    python examples/jax_optax.py --fast     # 1 seed, a few seconds
"""

from __future__ import annotations

import argparse

import jax
import jax.numpy as jnp
import numpy as np
import optax
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from simmatrix import SimilarityMatrix, metrics, transforms
from simmatrix.jax import make_simloss


def centroid_similarity(X, y) -> SimilarityMatrix:
    """Cosine between centred class-mean images, clipped to [0, 1]."""
    means = np.stack([X[y == c].mean(axis=0) for c in range(10)])
    means -= means.mean(axis=0)
    unit = means / np.linalg.norm(means, axis=1, keepdims=True)
    cos = unit @ unit.T
    np.fill_diagonal(cos, 1.0)
    return transforms.map_range(SimilarityMatrix(cos, [str(c) for c in range(10)]), "clip")


def init_mlp(key, sizes=(64, 32, 10)):
    keys = jax.random.split(key, len(sizes) - 1)
    return [{"w": jax.random.normal(k, (m, n)) * jnp.sqrt(2.0 / m), "b": jnp.zeros(n)}
            for k, m, n in zip(keys, sizes[:-1], sizes[1:])]


def apply_mlp(params, x):
    for layer in params[:-1]:
        x = jax.nn.relu(x @ layer["w"] + layer["b"])
    return x @ params[-1]["w"] + params[-1]["b"]


def train(per_example_loss, params, X, y, *, epochs: int, seed: int):
    """Minibatch Adam; ``per_example_loss(logits, labels) -> (batch,)``."""
    opt = optax.adam(1e-3)

    @jax.jit
    def step(params, opt_state, xb, yb):
        grads = jax.grad(lambda p: per_example_loss(apply_mlp(p, xb), yb).mean())(params)
        updates, opt_state = opt.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state

    opt_state = opt.init(params)
    rng = np.random.default_rng(seed)  # same batch order for both losses
    n_full = len(X) // 32 * 32  # equal batch shapes: one compilation
    for _ in range(epochs):
        order = rng.permutation(len(X))[:n_full].reshape(-1, 32)
        for idx in order:
            params, opt_state = step(params, opt_state, X[idx], y[idx])
    return params


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fast", action="store_true", help="1 seed, 5 epochs (for CI)")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--lower-bound", type=float, default=0.2, help="l for the third row")
    args = ap.parse_args(argv)
    seeds, epochs = (1, 5) if args.fast else (args.seeds, args.epochs)

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    losses = {"cross-entropy": optax.softmax_cross_entropy_with_integer_labels}
    bounded = f"SimLoss, l={args.lower_bound:g}"
    results = {name: [] for name in (*losses, "SimLoss", bounded)}
    for seed in range(seeds):
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.4, stratify=y,
                                                  random_state=seed)
        S = centroid_similarity(X_tr, y_tr)
        if seed == 0:
            print(f"S (seed 0 split): 3-9 {S['3', '9']:.2f}, 4-6 {S['4', '6']:.2f}, "
                  f"0-1 {S['0', '1']:.2f}\n")
        losses["SimLoss"] = make_simloss(S)  # log S computed once, captured by the jit
        losses[bounded] = make_simloss(transforms.lower_bound(S, args.lower_bound))
        init = init_mlp(jax.random.PRNGKey(seed))
        for name, loss_fn in losses.items():
            params = train(loss_fn, init, X_tr, y_tr, epochs=epochs, seed=seed)
            pred = np.asarray(apply_mlp(params, X_te).argmax(axis=1))
            results[name].append((metrics.accuracy(y_te, pred, classes=S),
                                  metrics.mistake_severity(y_te, pred, classes=S,
                                                           similarity=S),
                                  int((pred != y_te).sum())))

    print(f"digits test split, jax + optax ({seeds} seeds x {epochs} epochs; mean ± std)")
    print(f"{'loss':<18} {'accuracy':>16} {'mistake severity':>18} {'mistakes':>9}")
    for name, rows in results.items():
        acc, sev, n = np.array(rows).T
        print(f"{name:<18} {acc.mean():>7.4f} ± {acc.std():.4f} "
              f"{np.nanmean(sev):>9.4f} ± {np.nanstd(sev):.4f} {n.mean():>9.1f}")


if __name__ == "__main__":
    main()
