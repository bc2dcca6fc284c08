"""Ordered classes with gradient boosting: XGBoost and LightGBM, SimLoss vs their softmax.

Data: scikit-learn's bundled diabetes data (442 patients, 10 features, no download), the
target cut into 10 equally populated, ordered bins, as in ordinal_sweep.py. For each seed
(a new stratified 70/30 split) every model is trained on the same split:

- the library's built-in multi-class softmax (XGBoost ``multi:softprob``, LightGBM
  ``multiclass``);
- the SimLoss objective (``simmatrix.boosting``) with ``S = I``, i.e. cross-entropy through
  the custom-objective path (its Hessian is the bound ``p(1-p)``, not the library's), so
  the effect of S is separated from the effect of the Hessian;
- the SimLoss objective with ``S = r^|i-j|`` for r = 0.5 and 0.9;
- and, for comparison, the linear ``simmatrix.sklearn.SimLossClassifier`` with the same S.

Predictions are the argmax. Accuracy, MAE (in bins) and the expected similarity
``Σ_c S[y, c] p_c`` under the r = 0.9 matrix are over the test split.

    python examples/boosting.py            # 10 seeds, 300 trees, about a minute of CPU
    python examples/boosting.py --fast     # 2 seeds, 30 trees, a few seconds
"""

from __future__ import annotations

import argparse

import lightgbm as lgb
import numpy as np
import xgboost as xgb
from scipy.special import softmax
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from simmatrix import metrics
from simmatrix.boosting import lightgbm_objective, xgboost_objective
from simmatrix.builders import order_matrix
from simmatrix.sklearn import SimLossClassifier

N_BINS = 10
S_EVAL = order_matrix(N_BINS, reduction=0.9)


def ordinal_diabetes():
    """Features and the target cut into ``N_BINS`` quantile bins (labels 0..N_BINS-1)."""
    X, target = load_diabetes(return_X_y=True)
    edges = np.quantile(target, np.linspace(0, 1, N_BINS + 1)[1:-1])
    return X, np.searchsorted(edges, target, side="right")


def xgboost_proba(X_tr, y_tr, X_te, S, trees, seed):
    params = {"num_class": N_BINS, "max_depth": 2, "eta": 0.05, "subsample": 0.8,
              "min_child_weight": 1.0, "nthread": 1, "seed": seed}
    dtrain = xgb.DMatrix(X_tr, label=y_tr)
    if S is None:
        booster = xgb.train({**params, "objective": "multi:softprob"}, dtrain, trees)
        return booster.predict(xgb.DMatrix(X_te))
    booster = xgb.train({**params, "disable_default_eval_metric": 1}, dtrain, trees,
                        obj=xgboost_objective(S))
    return softmax(booster.predict(xgb.DMatrix(X_te), output_margin=True), axis=1)


def lightgbm_proba(X_tr, y_tr, X_te, S, trees, seed):
    params = {"num_class": N_BINS, "num_leaves": 4, "learning_rate": 0.05,
              "min_data_in_leaf": 10, "bagging_fraction": 0.8, "bagging_freq": 1,
              "num_threads": 1, "seed": seed, "verbose": -1}
    dtrain = lgb.Dataset(X_tr, label=y_tr)
    if S is None:
        booster = lgb.train({**params, "objective": "multiclass"}, dtrain, trees)
        return booster.predict(X_te)
    booster = lgb.train({**params, "objective": lightgbm_objective(S)}, dtrain, trees)
    return softmax(booster.predict(X_te, raw_score=True), axis=1)


def linear_proba(X_tr, y_tr, X_te, S, trees, seed):
    return SimLossClassifier(S, C=1.0).fit(X_tr, y_tr).predict_proba(X_te)


MODELS = {"XGBoost": xgboost_proba, "LightGBM": lightgbm_proba,
          "linear (SimLossClassifier)": linear_proba}


def scores(y, proba):
    pred = proba.argmax(axis=1)
    expected = np.mean(np.sum(S_EVAL.values[y] * proba, axis=1))
    return (metrics.accuracy(y, pred, classes=S_EVAL),
            metrics.mean_absolute_error(y, pred, classes=S_EVAL), expected)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fast", action="store_true", help="2 seeds, 30 trees (for CI)")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--trees", type=int, default=300)
    args = ap.parse_args(argv)
    seeds, trees = (2, 30) if args.fast else (args.seeds, args.trees)
    losses = {"softmax (built-in)": None, "SimLoss, S = I": np.eye(N_BINS),
              "SimLoss, r = 0.5": order_matrix(N_BINS, reduction=0.5),
              "SimLoss, r = 0.9": order_matrix(N_BINS, reduction=0.9)}

    X, y = ordinal_diabetes()
    table = {}  # (model, loss) -> [(accuracy, MAE, expected similarity) per seed]
    for seed in range(seeds):
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, stratify=y,
                                                  random_state=seed)
        scaler = StandardScaler().fit(X_tr)
        X_tr, X_te = scaler.transform(X_tr), scaler.transform(X_te)
        for model, fit in MODELS.items():
            for loss, S in losses.items():
                if S is None and fit is linear_proba:
                    continue  # S = I is the linear model's cross-entropy already
                proba = fit(X_tr, y_tr, X_te, S, trees, seed)
                table.setdefault((model, loss), []).append(scores(y_te, proba))

    print(f"diabetes, {N_BINS} ordered bins, test split ({seeds} seeds, {trees} trees; "
          "mean ± std over seeds;")
    print("Δ = paired difference to the model's first row, mean ± standard error;")
    print("expected similarity: mean Σ_c S[y, c] p_c under S = 0.9^|i-j|)")
    print(f"{'model':<27} {'loss':<19} {'accuracy':>16} {'MAE':>16} "
          f"{'expected sim.':>16} {'Δ accuracy':>17} {'Δ MAE':>17}")
    first = {}
    for (model, loss), rows in table.items():
        a = np.array(rows)
        base = first.setdefault(model, a)
        d = (a - base)[:, :2]
        cells = "".join(f" {m:7.4f} ± {s:6.4f}" for m, s in zip(a.mean(0), a.std(0)))
        deltas = "".join(f" {m:+8.4f} ± {s:6.4f}"
                         for m, s in zip(d.mean(0), d.std(0, ddof=1) / np.sqrt(len(d))))
        print(f"{model:<27} {loss:<19}{cells}{deltas}")

if __name__ == "__main__":
    main()
