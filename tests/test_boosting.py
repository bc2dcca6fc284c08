"""SimLoss objectives inside the real XGBoost and LightGBM.

The gradient is checked against central finite differences of an independent float64
SimLoss (scipy's softmax, written out here) at the very scores and data the library handed
the objective during training.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.special import softmax

from simmatrix.boosting import lightgbm_objective, xgboost_objective
from simmatrix.builders import order_matrix

N_BINS = 6


@pytest.fixture(scope="module")
def data():
    from sklearn.datasets import load_diabetes

    X, target = load_diabetes(return_X_y=True)
    edges = np.quantile(target, np.linspace(0, 1, N_BINS + 1)[1:-1])
    y = np.searchsorted(edges, target, side="right")
    w = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    return X, y, w


S = order_matrix(N_BINS, reduction=0.5)


def simloss_sum(z, y, w):
    p = softmax(np.asarray(z, dtype=np.float64), axis=1)
    return float(np.sum(w * -np.log(np.sum(S.values[y] * p, axis=1))))


def check_gradient(obj_args, obj, y, w, rng, n_entries=40, eps=1e-6):
    z = np.array(obj_args[0] if hasattr(obj_args[1], "get_label") else obj_args[1],
                 dtype=np.float64)
    grad, hess = obj(*obj_args)
    assert grad.shape == hess.shape == z.shape == (len(y), N_BINS)
    assert (hess > 0).all()
    for i, c in zip(rng.integers(0, len(y), n_entries), rng.integers(0, N_BINS, n_entries)):
        zp, zm = z.copy(), z.copy()
        zp[i, c] += eps
        zm[i, c] -= eps
        fd = (simloss_sum(zp, y, w) - simloss_sum(zm, y, w)) / (2 * eps)
        assert grad[i, c] == pytest.approx(fd, abs=1e-6)
        wi = np.broadcast_to(w, y.shape)[i:i + 1]
        row = [z[i:i + 1].copy() for _ in range(3)]
        row[0][0, c] += 1e-4
        row[2][0, c] -= 1e-4
        f = [simloss_sum(r, y[i:i + 1], wi) for r in row]
        fd2 = (f[0] - 2 * f[1] + f[2]) / 1e-8
        assert hess[i, c] >= fd2 - 1e-5  # a bound on the true diagonal, for damped steps


def Recorder(obj):
    """The objective, recording its arguments (a function: lightgbm deep-copies params)."""

    def record(*args):
        record.calls.append(args)
        return obj(*args)

    record.calls, record.obj = [], obj
    return record


def test_xgboost_trains_and_hands_over_what_the_objective_expects(data):
    xgb = pytest.importorskip("xgboost")
    X, y, w = data
    rec = Recorder(xgboost_objective(S))
    dtrain = xgb.DMatrix(X, label=y, weight=w)
    booster = xgb.train({"num_class": N_BINS, "max_depth": 3, "eta": 0.3, "nthread": 1,
                         "disable_default_eval_metric": 1}, dtrain, 20, obj=rec)
    assert len(rec.calls) == 20
    check_gradient(rec.calls[5], rec.obj, y, w, np.random.default_rng(1))
    raw = booster.predict(xgb.DMatrix(X), output_margin=True)
    assert raw.shape == (len(y), N_BINS)
    assert simloss_sum(raw, y, w) < 0.8 * simloss_sum(np.zeros_like(raw), y, w)

    clf = xgb.XGBClassifier(objective=xgboost_objective(S), n_estimators=10, max_depth=3,
                            n_jobs=1)
    clf.fit(X, y)
    margin = clf.predict(X, output_margin=True)
    assert simloss_sum(margin, y, 1.0) < 0.9 * simloss_sum(np.zeros_like(margin), y, 1.0)


def test_lightgbm_trains_and_hands_over_what_the_objective_expects(data):
    lgb = pytest.importorskip("lightgbm")
    X, y, w = data
    rec = Recorder(lightgbm_objective(S))
    booster = lgb.train({"objective": rec, "num_class": N_BINS, "num_leaves": 7,
                         "learning_rate": 0.3, "num_threads": 1, "verbose": -1},
                        lgb.Dataset(X, label=y, weight=w), 20)
    assert len(rec.calls) == 20
    check_gradient(rec.calls[5], rec.obj, y, w, np.random.default_rng(2))
    raw = booster.predict(X, raw_score=True)
    assert raw.shape == (len(y), N_BINS)
    assert simloss_sum(raw, y, w) < 0.8 * simloss_sum(np.zeros_like(raw), y, w)

    obj = lightgbm_objective(S)
    calls = []

    def rec2(y_true, y_pred, weight):  # LGBMClassifier counts the arguments
        calls.append((y_true, y_pred, weight))
        return obj(y_true, y_pred, weight)

    clf = lgb.LGBMClassifier(objective=rec2, n_estimators=10, num_leaves=7, n_jobs=1,
                             verbose=-1)
    clf.fit(X, y, sample_weight=w)
    assert_allclose(calls[3][2], w)  # the weights reach the objective
    check_gradient(calls[3], obj, y, w, np.random.default_rng(3), n_entries=10)
    clf2 = lgb.LGBMClassifier(objective=obj, n_estimators=5, num_leaves=7, n_jobs=1,
                              verbose=-1).fit(X, y, sample_weight=w)
    assert clf2.predict(X).shape == (len(y), N_BINS)  # custom objective: raw scores


def test_bad_shapes_and_labels_are_refused():
    obj = xgboost_objective(S)
    with pytest.raises(ValueError, match="num_class"):
        obj(np.array([0, 1]), np.zeros(12))
    with pytest.raises(ValueError, match="class indices"):
        obj(np.array([0.5, 1]), np.zeros((2, N_BINS)))
