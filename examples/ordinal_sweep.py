"""Ordered classes, in the spirit of the SimLoss paper's Table 1: sweep the reduction factor r.

Data: scikit-learn's bundled diabetes data (442 patients, 10 features, no download); the
target (disease progression after one year) is cut into 10 equally populated, ordered bins.
S[i, j] = r ** |i - j| (the paper's eq. 2, simmatrix.builders.order_matrix); r = 0 is plain
cross-entropy. For each seed (a new stratified split and initialisation) a softmax
regression is trained once per r from the same initial weights; predictions are the argmax.
Accuracy, MAE and MSE are over bin indices 0..9 on the test split.

    python examples/ordinal_sweep.py            # 10 r values x 20 seeds, about 50 s
    python examples/ordinal_sweep.py --fast     # 3 r values x 2 seeds, a few seconds
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from simmatrix import metrics
from simmatrix.builders import order_matrix
from simmatrix.torch import SimLoss

N_BINS = 10


def ordinal_diabetes():
    """Features and the target cut into ``N_BINS`` quantile bins (labels 0..N_BINS-1)."""
    X, target = load_diabetes(return_X_y=True)
    edges = np.quantile(target, np.linspace(0, 1, N_BINS + 1)[1:-1])
    return X, np.searchsorted(edges, target, side="right")


def fit_predict(X_tr, y_tr, X_te, S, init, *, steps: int) -> np.ndarray:
    model = torch.nn.Linear(X_tr.shape[1], N_BINS)
    model.load_state_dict(init)
    opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=1e-3)
    criterion = SimLoss(S)
    x, t = torch.from_numpy(X_tr), torch.from_numpy(y_tr)
    for _ in range(steps):  # full batch: the data set is tiny
        opt.zero_grad()
        criterion(model(x), t).backward()
        opt.step()
    with torch.no_grad():
        return model(torch.from_numpy(X_te)).argmax(dim=1).numpy()


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fast", action="store_true", help="3 r values, 2 seeds (for CI)")
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--steps", type=int, default=500)
    args = ap.parse_args(argv)
    rs = [0.0, 0.5, 0.9] if args.fast else [round(0.1 * k, 1) for k in range(10)]
    seeds, steps = (2, 100) if args.fast else (args.seeds, args.steps)
    torch.set_num_threads(1)

    X, y = ordinal_diabetes()
    scores = {r: [] for r in rs}  # r -> [(accuracy, MAE, MSE) per seed]
    for seed in range(seeds):
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, stratify=y,
                                                  random_state=seed)
        scaler = StandardScaler().fit(X_tr)
        X_tr, X_te = (scaler.transform(a).astype(np.float32) for a in (X_tr, X_te))
        torch.manual_seed(seed)
        init = torch.nn.Linear(X.shape[1], N_BINS).state_dict()
        for r in rs:
            S = order_matrix(N_BINS, reduction=r)
            pred = fit_predict(X_tr, y_tr, X_te, S, init, steps=steps)
            scores[r].append((metrics.accuracy(y_te, pred, classes=S),
                              metrics.mean_absolute_error(y_te, pred, classes=S),
                              metrics.mean_squared_error(y_te, pred, classes=S)))

    print(f"diabetes, {N_BINS} ordered bins, test split ({seeds} seeds; mean ± std over seeds;")
    print("Δ = paired difference to r = 0 (cross-entropy), mean ± standard error)")
    print(f"{'r':>4} {'accuracy':>16} {'MAE':>16} {'MSE':>16} {'Δ accuracy':>17} {'Δ MAE':>17}")
    base = np.array(scores[0.0])
    for r in rs:
        s = np.array(scores[r])
        d = (s - base)[:, :2]
        print(f"{r:>4.1f} " + " ".join(f"{c.mean():>7.4f} ± {c.std():.4f}" for c in s.T) + " "
              + " ".join(f"{c.mean():>+8.4f} ± {c.std() / np.sqrt(len(c)):.4f}" for c in d.T))

if __name__ == "__main__":
    main()
