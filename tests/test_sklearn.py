"""simmatrix.sklearn: SimLossClassifier against LogisticRegression and float64 formulas.

References are independent of the code under test: scikit-learn's own LogisticRegression
(with S = I the objective is the same), SimLoss written out in numpy, central finite
differences, and scikit-learn's check_estimator.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

pytest.importorskip("sklearn")

from numpy.testing import assert_allclose  # noqa: E402
from scipy.special import logsumexp  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_diabetes, load_iris, load_wine  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from simmatrix import SimilarityMatrix, SimMatrixError, metrics  # noqa: E402
from simmatrix.builders import order_matrix  # noqa: E402
from simmatrix.sklearn import SimLossClassifier, _Objective, scorer  # noqa: E402

TIGHT = {"tol": 1e-10, "max_iter": 20000}


def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def wine():
    X, y = load_wine(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def diabetes_bins(n_bins=5):
    X, target = load_diabetes(return_X_y=True)
    edges = np.quantile(target, np.linspace(0, 1, n_bins + 1)[1:-1])
    return StandardScaler().fit_transform(X), np.searchsorted(edges, target, side="right")


def simloss_formula(X, y_idx, coef, intercept, S, w=None):
    """Mean SimLoss −log Σ_c S[y, c] softmax(z)_c, in float64, straight from the definition."""
    z = X @ coef.T + intercept
    p = np.exp(z - logsumexp(z, axis=1, keepdims=True))
    per = -np.log(np.sum(S[y_idx] * p, axis=1))
    return np.average(per, weights=w)


def objective_formula(theta, X, y, S, C, w):
    """LogisticRegression's objective with SimLoss: Σ w_i L_i / Σ w + ||W||² / (2 C Σ w)."""
    k, d = S.shape[0], X.shape[1]
    W = theta.reshape(k, d + 1)
    return simloss_formula(X, y, W[:, :d], W[:, d], S, w) + \
        np.sum(W[:, :d] ** 2) / (2 * C * w.sum())


# -- S = I is LogisticRegression ------------------------------------------------------------
@pytest.mark.parametrize("C", [0.05, 1.0, 20.0])
def test_identity_equals_logistic_regression(C):
    X, y = wine()
    ref = LogisticRegression(C=C, solver="lbfgs", **TIGHT).fit(X, y)
    clf = SimLossClassifier(C=C, **TIGHT).fit(X, y)
    assert_allclose(clf.coef_, ref.coef_, atol=2e-5 * max(1.0, np.abs(ref.coef_).max()))
    assert_allclose(clf.intercept_, ref.intercept_ - ref.intercept_.mean(), atol=2e-5 * C)
    assert_allclose(clf.predict_proba(X), ref.predict_proba(X), atol=1e-6)
    assert_allclose(clf.decision_function(X) - clf.decision_function(X).mean(1, keepdims=True),
                    ref.decision_function(X) - ref.decision_function(X).mean(1, keepdims=True),
                    atol=1e-4)
    assert (clf.predict(X) == ref.predict(X)).all()


def test_identity_with_sample_weight_equals_logistic_regression():
    X, y = wine()
    w = np.random.default_rng(0).uniform(0.1, 3.0, len(y))
    ref = LogisticRegression(C=0.5, **TIGHT).fit(X, y, sample_weight=w)
    clf = SimLossClassifier(C=0.5, **TIGHT).fit(X, y, sample_weight=w)
    assert_allclose(clf.predict_proba(X), ref.predict_proba(X), atol=1e-6)
    assert_allclose(clf.coef_, ref.coef_, atol=1e-5)


def test_binary_is_logistic_regression_with_twice_c():
    # two softmax rows with the penalty on both: the optimum splits w as (-w/2, w/2), whose
    # penalty is ||w||²/(4C), i.e. the single-row logistic regression with C' = 2C
    X, y = load_iris(return_X_y=True)
    X, y = StandardScaler().fit_transform(X[y > 0]), y[y > 0]  # versicolor vs virginica
    ref = LogisticRegression(C=2.0, **TIGHT).fit(X, y)
    clf = SimLossClassifier(C=1.0, **TIGHT).fit(X, y)
    assert clf.decision_function(X).shape == (len(y),)
    assert_allclose(clf.decision_function(X), ref.decision_function(X), atol=1e-5)
    assert_allclose(clf.predict_proba(X), ref.predict_proba(X), atol=1e-7)


# -- the SimLoss objective: value, gradient, optimum ----------------------------------------
def _problem(seed=0):
    X, y = diabetes_bins(5)
    S = order_matrix(5, reduction=0.6).to_dense()
    w = np.random.default_rng(seed).uniform(0.2, 2.0, len(y))
    return X, y, S, w


@pytest.mark.parametrize("sparse", [False, True])
def test_gradient_matches_finite_differences(sparse):
    import scipy.sparse as sp

    from simmatrix import LogSimilarity

    X, y, S, w = _problem()
    Xs = sp.csr_array(X) if sparse else X
    fun = _Objective(Xs, y, w, LogSimilarity(S), C=0.3, fit_intercept=True)
    theta = np.random.default_rng(1).normal(0, 0.5, 5 * (X.shape[1] + 1))
    value, grad = fun(theta)
    assert_allclose(value, objective_formula(theta, X, y, S, 0.3, w), rtol=1e-12)
    h = 1e-6
    fd = np.array([(objective_formula(theta + h * e, X, y, S, 0.3, w)
                    - objective_formula(theta - h * e, X, y, S, 0.3, w)) / (2 * h)
                   for e in np.eye(theta.size)])
    assert_allclose(grad, fd, rtol=1e-6, atol=1e-8)


def test_fit_reaches_the_minimum_of_the_formula_objective():
    X, y, S, w = _problem()
    clf = SimLossClassifier(S, C=0.3, **TIGHT).fit(X, y, sample_weight=w)
    theta = np.hstack([clf.coef_, clf.intercept_[:, None]]).ravel()
    h = 1e-5
    fd = np.array([(objective_formula(theta + h * e, X, y, S, 0.3, w)
                    - objective_formula(theta - h * e, X, y, S, 0.3, w)) / (2 * h)
                   for e in np.eye(theta.size)])
    assert np.abs(fd).max() < 1e-7
    # the classifier's own SimLoss value is the formula's
    assert_allclose(clf.simloss(X, y, sample_weight=w),
                    simloss_formula(X, y, clf.coef_, clf.intercept_, S, w), rtol=1e-12)
    # and SimLoss moved the model: it is not the cross-entropy model
    ce = SimLossClassifier(C=0.3, **TIGHT).fit(X, y, sample_weight=w)
    assert np.abs(ce.coef_ - clf.coef_).max() > 1e-2


def test_sample_weight_two_is_the_sample_twice():
    X, y, S, _ = _problem()
    w = np.ones(len(y))
    w[::3] = 2
    a = SimLossClassifier(S, **TIGHT).fit(X, y, sample_weight=w)
    rep = np.repeat(np.arange(len(y)), w.astype(int))
    b = SimLossClassifier(S, **TIGHT).fit(X[rep], y[rep])
    assert_allclose(a.predict_proba(X), b.predict_proba(X), atol=1e-7)


# -- S given in every form, aligned by name ------------------------------------------------
def test_named_matrix_aligns_by_name_whatever_its_order():
    X, y = iris()
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    M = np.array([[1.0, 0.2, 0.1], [0.2, 1.0, 0.7], [0.1, 0.7, 1.0]])
    S = SimilarityMatrix(M, ["setosa", "versicolor", "virginica"])
    shuffled = S.select(["virginica", "setosa", "versicolor"])
    a = SimLossClassifier(S, **TIGHT).fit(X, names)
    b = SimLossClassifier(shuffled, **TIGHT).fit(X, names)
    assert list(b.classes_) == ["setosa", "versicolor", "virginica"]
    assert_allclose(b.similarity_.to_dense(), M)
    assert_allclose(a.predict_proba(X), b.predict_proba(X), atol=1e-8)
    # a larger named S is restricted to the classes y has
    big = SimilarityMatrix(np.eye(4), ["daisy", "setosa", "versicolor", "virginica"])
    assert SimLossClassifier(big).fit(X, names).similarity_.classes == tuple(S.classes)


def test_unnamed_array_aligns_by_label_or_sorted_order():
    X, y = iris()
    M = np.array([[1.0, 0.5, 0.0], [0.5, 1.0, 0.5], [0.0, 0.5, 1.0]])
    a = SimLossClassifier(M, **TIGHT).fit(X, y)            # labels 0..2 are the rows
    b = SimLossClassifier(M, **TIGHT).fit(X, y + 1)        # 1..3: sorted order
    c = SimLossClassifier(M, **TIGHT).fit(X, np.array(list("abc"))[y])
    assert_allclose(a.predict_proba(X), b.predict_proba(X), atol=1e-8)
    assert_allclose(a.predict_proba(X), c.predict_proba(X), atol=1e-8)
    # a fold without class 1 still aligns labels 0 and 2 with rows 0 and 2
    keep = y != 1
    d = SimLossClassifier(M).fit(X[keep], y[keep])
    assert_allclose(d.similarity_.to_dense(), [[1.0, 0.0], [0.0, 1.0]])


def test_callable_and_catalogue_name():
    X, y = diabetes_bins(5)
    f = SimLossClassifier(lambda c: order_matrix(values=c, reduction=0.5)).fit(X, y)
    assert_allclose(f.similarity_.to_dense(), order_matrix(5, reduction=0.5).to_dense())
    clf = SimLossClassifier("cifar10-wordnet-wup", C=0.1, max_iter=50)
    Xc = np.random.default_rng(0).normal(size=(40, 3))
    yc = np.array(["cat", "dog", "truck", "automobile"] * 10)
    clf.fit(Xc, yc)
    assert clf.similarity_.classes == ("automobile", "cat", "dog", "truck")
    from simmatrix import load

    assert clf.similarity_["cat", "dog"] == load("cifar10-wordnet-wup")["cat", "dog"]


def test_bad_input_names_what_was_wrong():
    X, y = iris()
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    S = SimilarityMatrix(np.eye(2), ["setosa", "versicolor"])
    with pytest.raises(SimMatrixError, match="no class for 1 labels of y: 'virginica'"):
        SimLossClassifier(S).fit(X, names)
    with pytest.raises(SimMatrixError, match="needs labels 0..1 or exactly 2"):
        SimLossClassifier(np.eye(2)).fit(X, y + 5)
    with pytest.raises(SimMatrixError, match="outside"):
        SimLossClassifier(np.array([[1.0, 2.0], [0.0, 1.0]])).fit(X[y < 2], y[y < 2])
    for kwargs, match in [({"C": 0}, "C must be"), ({"decision": "mode"}, "decision must"),
                          ({"lower_bound": 1.0}, "lower_bound must")]:
        with pytest.raises(ValueError, match=match):
            SimLossClassifier(**kwargs).fit(X, y)


def test_bayes_decision_is_argmax_of_expected_similarity():
    X, y = diabetes_bins(5)
    S = order_matrix(5, reduction=0.9).to_dense()
    clf = SimLossClassifier(S, decision="bayes", lower_bound=0.2).fit(X, y)
    Sl = np.maximum(0.0, S - 0.2) / 0.8
    assert_allclose(clf.similarity_.to_dense(), Sl)
    p = clf.predict_proba(X)
    assert (clf.predict(X) == clf.classes_[np.argmax(p @ Sl, axis=1)]).all()
    assert (clf.predict(X) != clf.classes_[p.argmax(1)]).any()  # the rule matters here


def test_pickle_and_clone():
    X, y = diabetes_bins(5)
    clf = SimLossClassifier(order_matrix(5, reduction=0.5)).fit(X, y)
    again = pickle.loads(pickle.dumps(clf))
    assert_allclose(again.predict_proba(X), clf.predict_proba(X))
    assert clone(clf).get_params()["S"] is not None


# -- GridSearchCV and scorers --------------------------------------------------------------
def test_grid_search_over_the_reduction_factor():
    X, y = diabetes_bins(5)
    grid = {"S": [order_matrix(5, reduction=r) for r in (0.0, 0.5, 0.9)], "C": [0.1, 1.0]}
    cv = StratifiedKFold(2, shuffle=True, random_state=0)
    search = GridSearchCV(SimLossClassifier(), grid, cv=cv,
                          scoring={"mae": scorer("mean_absolute_error", grid["S"][0]),
                                   "es": scorer("expected_similarity", grid["S"][2]),
                                   "acc": "accuracy"}, refit="mae").fit(X, y)
    res = search.cv_results_
    assert np.isfinite(res["mean_test_mae"]).all() and (res["mean_test_mae"] < 0).all()
    assert 0 < res["mean_test_es"].min() and res["mean_test_es"].max() < 1
    assert search.best_params_["C"] in (0.1, 1.0)
    # the refitted model's score is −MAE, computed here by hand
    pred = search.best_estimator_.predict(X)
    assert_allclose(search.score(X, y), -np.mean(np.abs(pred - y)))


def test_scorers_equal_their_formulas():
    X, y = diabetes_bins(5)
    S = order_matrix(5, reduction=0.7)
    M = S.to_dense()
    clf = SimLossClassifier(S).fit(X[y != 3], y[y != 3])  # a model that lacks class 3
    p = clf.predict_proba(X)
    full = np.zeros((len(y), 5))
    full[:, [0, 1, 2, 4]] = p
    assert_allclose(scorer("expected_similarity", S)(clf, X, y),
                    np.mean(np.sum(M[y] * full, axis=1)))
    pred = clf.predict(X)
    wrong = pred != y
    assert_allclose(scorer("mistake_severity", S)(clf, X, y),
                    -np.mean(1 - M[y[wrong], pred[wrong]]))
    assert_allclose(scorer("off_by_one_accuracy", S)(clf, X, y), np.mean(np.abs(pred - y) <= 1))
    top2 = np.argsort(-full, axis=1, kind="stable")[:, :2]
    assert_allclose(scorer("top_k_average_similarity", S, k=2)(clf, X, y),
                    np.mean(M[y[:, None], top2]))
    D = np.abs(np.arange(5)[:, None] - np.arange(5)[None, :]).astype(float)
    top3 = np.argsort(-full, axis=1, kind="stable")[:, :3]
    miss = top3[:, 0] != y
    assert_allclose(scorer("mistakes_at_k", classes=5, distance=D, k=3)(clf, X, y),
                    -np.mean(D[y[miss, None], top3[miss]]))
    assert_allclose(scorer("top_k_average_similarity", classes=5, distance=D, k=3)(clf, X, y),
                    -np.mean(D[y[:, None], top3]))
    assert_allclose(scorer("accuracy", S)(clf, X, y), metrics.accuracy(y, pred, classes=5))
    with pytest.raises(ValueError, match="unknown metric 'mae'"):
        scorer("mae", S)
    with pytest.raises(ValueError, match="needs S"):
        scorer("expected_similarity", classes=5)


# -- scikit-learn's own estimator checks ----------------------------------------------------
@parametrize_with_checks([SimLossClassifier(), SimLossClassifier(decision="bayes",
                                                                  lower_bound=0.1)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_docstring_examples():
    import doctest

    import simmatrix.sklearn as module

    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_import_simmatrix_does_not_import_sklearn():
    import subprocess
    import sys

    code = "import sys, simmatrix; print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr
