"""From a confusion matrix to SimLoss, on scikit-learn's bundled digits (no download).

1. Train a small MLP with cross-entropy.
2. Count its predictions on the *validation* split into a confusion matrix and turn it into
   a similarity matrix S with the confusion builder: S[i, j] = P(pred j | true i) / P(pred i |
   true i), symmetrised (max), then softened with S ** gamma (a well-trained model rarely errs,
   so the raw entries are only a few per cent).
3. Retrain from the *same* initial weights with SimLoss(S).
4. Compare both on the test split: accuracy, and mistake severity = mean (1 - S[y, ŷ]) over
   the mistakes (lower = the mistakes are between classes S calls similar).

    python examples/digits_confusion.py            # 10 seeds, about 15 s
    python examples/digits_confusion.py --fast     # 1 seed, a few seconds
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from simmatrix import metrics, transforms
from simmatrix.builders import counts_from_pairs, from_confusion
from simmatrix.builders.confusion import ConfusionScalingWarning
from simmatrix.torch import SimLoss

CLASSES = [str(d) for d in range(10)]


def splits(seed: int):
    """Train 40 % / validation 20 % / test 40 %, stratified."""
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.4, stratify=y, random_state=seed)
    X_tr, X_va, y_tr, y_va = train_test_split(X_tr, y_tr, test_size=1 / 3, stratify=y_tr,
                                              random_state=seed)
    return (X_tr, y_tr), (X_va, y_va), (X_te, y_te)


def mlp(hidden: int = 32) -> torch.nn.Module:
    return torch.nn.Sequential(torch.nn.Linear(64, hidden), torch.nn.ReLU(),
                               torch.nn.Linear(hidden, 10))


def train(model, criterion, X, y, *, epochs: int, seed: int):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(seed)  # same batch order for both losses
    x, t = torch.from_numpy(X), torch.from_numpy(y)
    for _ in range(epochs):
        for idx in torch.randperm(len(x), generator=gen).split(32):
            opt.zero_grad()
            criterion(model(x[idx]), t[idx]).backward()
            opt.step()
    return model


def predict(model, X) -> np.ndarray:
    with torch.no_grad():
        return model(torch.from_numpy(X)).argmax(dim=1).numpy()


def run_seed(seed: int, epochs: int, gamma: float):
    (X_tr, y_tr), (X_va, y_va), (X_te, y_te) = splits(seed)
    torch.manual_seed(seed)
    init = mlp().state_dict()

    ce = mlp()
    ce.load_state_dict(init)
    train(ce, torch.nn.CrossEntropyLoss(), X_tr, y_tr, epochs=epochs, seed=seed)

    counts, names = counts_from_pairs(y_va, predict(ce, X_va), classes=CLASSES)
    with warnings.catch_warnings():  # a class confused more than recognised is clipped to 1
        warnings.simplefilter("ignore", ConfusionScalingWarning)
        S = from_confusion(counts, names, symmetrize="max")
    S = transforms.power(S, gamma)

    sim = mlp()
    sim.load_state_dict(init)  # same start, same batches: only the loss differs
    train(sim, SimLoss(S), X_tr, y_tr, epochs=epochs, seed=seed)

    rows = {}
    for name, model in (("cross-entropy", ce), ("SimLoss", sim)):
        pred = predict(model, X_te)
        rows[name] = (metrics.accuracy(y_te, pred, classes=S),
                      metrics.mistake_severity(y_te, pred, classes=S, similarity=S),
                      int((pred != y_te).sum()))
    return rows, S


def strongest_pairs(S, k: int = 5) -> str:
    V = np.triu(S.values, 1)
    top = np.argsort(V, axis=None)[::-1][:k]
    return ", ".join(f"{S.classes[i]}-{S.classes[j]} {V[i, j]:.2f}"
                     for i, j in zip(*np.unravel_index(top, V.shape)) if V[i, j] > 0)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fast", action="store_true", help="1 seed, 10 epochs (for CI)")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--gamma", type=float, default=0.5, help="S ** gamma softens S (< 1)")
    args = ap.parse_args(argv)
    seeds, epochs = (1, 10) if args.fast else (args.seeds, args.epochs)
    torch.set_num_threads(1)

    results = {"cross-entropy": [], "SimLoss": []}
    for seed in range(seeds):
        rows, S = run_seed(seed, epochs, args.gamma)
        if seed == 0:
            print(f"S from the validation confusion of seed 0 (** {args.gamma}), strongest "
                  f"pairs: {strongest_pairs(S)}\n")
        for name, row in rows.items():
            results[name].append(row)

    print(f"digits test split ({seeds} seeds x {epochs} epochs; mean ± std over seeds)")
    print(f"{'loss':<14} {'accuracy':>15} {'mistake severity':>18} {'mistakes':>9}")
    for name, rs in results.items():
        acc, sev, n = np.array(rs, dtype=float).T
        print(f"{name:<14} {acc.mean():>7.4f} ± {acc.std():.4f} "
              f"{np.nanmean(sev):>9.4f} ± {np.nanstd(sev):.4f} {n.mean():>9.1f}")
    d_acc = [s[0] - c[0] for s, c in zip(results["SimLoss"], results["cross-entropy"])]
    d_sev = [s[1] - c[1] for s, c in zip(results["SimLoss"], results["cross-entropy"])]
    print(f"{'SimLoss - CE':<14} {np.mean(d_acc):>+7.4f} ± {np.std(d_acc):.4f} "
          f"{np.nanmean(d_sev):>+9.4f} ± {np.nanstd(d_sev):.4f}  (paired by seed)")


if __name__ == "__main__":
    main()
