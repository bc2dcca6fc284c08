"""SimLoss in a pure-numpy training loop: softmax regression on scikit-learn's digits.

``simmatrix.simloss_grad_hess(logits, targets, S)`` returns the per-sample loss and its
gradient with respect to the logits, ``p - q`` (``p = softmax(z)``, ``q`` the posterior over
the classes similar to the label); the chain rule through ``z = X W + b`` is two matrix
products. S is the same prototype similarity as in ``jax_optax.py``: the cosine between
centred class-mean images, negatives clipped to 0. The identity matrix gives cross-entropy,
so one loop trains both models from the same (zero) initial weights.

    python examples/numpy_train.py            # 10 seeds, about 5 s
    python examples/numpy_train.py --fast     # 1 seed, about a second
"""

from __future__ import annotations

import argparse

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import simmatrix
from simmatrix import SimilarityMatrix, metrics, transforms


def centroid_similarity(X, y) -> SimilarityMatrix:
    """Cosine between centred class-mean images, clipped to [0, 1]."""
    means = np.stack([X[y == c].mean(axis=0) for c in range(10)])
    means -= means.mean(axis=0)
    unit = means / np.linalg.norm(means, axis=1, keepdims=True)
    cos = unit @ unit.T
    np.fill_diagonal(cos, 1.0)
    return transforms.map_range(SimilarityMatrix(cos, [str(c) for c in range(10)]), "clip")


def train(X, y, S, *, epochs: int, seed: int, lr: float = 0.5, l2: float = 1e-4):
    """Minibatch gradient descent on softmax regression; returns W, b and the loss curve."""
    table = simmatrix.LogSimilarity(S)  # log S computed once for every step
    W, b = np.zeros((X.shape[1], 10)), np.zeros(10)
    rng = np.random.default_rng(seed)  # same batch order for both losses
    curve = []
    for _ in range(epochs):
        total = 0.0
        for idx in np.array_split(rng.permutation(len(X)), len(X) // 64):
            xb = X[idx]
            loss, grad, _ = simmatrix.simloss_grad_hess(xb @ W + b, y[idx], table)
            W -= lr * (xb.T @ grad / len(idx) + l2 * W)  # dL/dW = X^T (p - q) / n
            b -= lr * grad.mean(axis=0)
            total += loss.sum()
        curve.append(total / len(X))
    return W, b, curve


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fast", action="store_true", help="1 seed, 5 epochs (for CI)")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--epochs", type=int, default=50)
    args = ap.parse_args(argv)
    seeds, epochs = (1, 5) if args.fast else (args.seeds, args.epochs)

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    results = {"cross-entropy": [], "SimLoss": []}
    for seed in range(seeds):
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.4, stratify=y,
                                                  random_state=seed)
        S = centroid_similarity(X_tr, y_tr)
        for name, train_S in (("cross-entropy", np.eye(10)), ("SimLoss", S)):
            W, b, curve = train(X_tr, y_tr, train_S, epochs=epochs, seed=seed)
            pred = (X_te @ W + b).argmax(axis=1)
            results[name].append((curve[0], curve[-1], metrics.accuracy(y_te, pred, classes=S),
                                  metrics.mistake_severity(y_te, pred, classes=S,
                                                           similarity=S),
                                  int((pred != y_te).sum())))

    print(f"digits test split, numpy softmax regression ({seeds} seeds x {epochs} epochs; "
          "mean ± std)")
    print(f"{'loss':<14} {'train loss: epoch 1':>19} {'last':>7} {'accuracy':>16} "
          f"{'mistake severity':>18} {'mistakes':>9}")
    for name, rows in results.items():
        first, last, acc, sev, n = np.array(rows).T
        print(f"{name:<14} {first.mean():>19.4f} {last.mean():>7.4f} "
              f"{acc.mean():>7.4f} ± {acc.std():.4f} {np.nanmean(sev):>9.4f} ± "
              f"{np.nanstd(sev):.4f} {n.mean():>9.1f}")


if __name__ == "__main__":
    main()
