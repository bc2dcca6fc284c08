"""scikit-learn: a linear classifier trained with SimLoss, and scorers for simmatrix.metrics.

Importing this module imports scikit-learn and scipy (``pip install "simmatrix[sklearn]"``).

:class:`SimLossClassifier` is multinomial logistic regression with the cross-entropy
replaced by SimLoss: with ``S = I`` it is ``LogisticRegression`` (same ``C``, same
objective, L-BFGS), so a grid search over the similarity is a grid over ``S`` (or
``lower_bound``) with everything else equal. :func:`scorer` turns any metric of
:mod:`simmatrix.metrics` (and the expected similarity) into a ``scoring=`` object.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import scipy.optimize
import scipy.sparse as sp
from scipy.special import log_softmax, softmax

from .errors import MissingDependencyError

try:
    from sklearn.base import BaseEstimator, ClassifierMixin
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import make_scorer
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data
except ImportError as exc:  # pragma: no cover - only without the extra
    raise MissingDependencyError('scikit-learn is needed for simmatrix.sklearn; install it '
                                 'with: pip install "simmatrix[sklearn]"') from exc

from . import metrics as _metrics
from .boosting import simloss_grad_hess
from .errors import SimMatrixError, quote_list
from .log_similarity import LogSimilarity
from .matrix import SimilarityMatrix, default_classes
from .validate import check

_DECISIONS = ("argmax", "bayes")


class SimLossClassifier(ClassifierMixin, BaseEstimator):
    r"""Multinomial linear classifier fitted by minimising SimLoss (L-BFGS, exact gradient).

    .. math:: \min_{W, b}\; \frac{1}{\sum_i w_i} \Big( \sum_i w_i L_i
              + \frac{\lVert W \rVert_F^2}{2C} \Big), \qquad
              L_i = -\log \sum_c S[y_i, c]\, \mathrm{softmax}(W x_i + b)_c

    ``LogisticRegression``'s objective with cross-entropy replaced by SimLoss: with
    ``S = I`` (the default) the two give the same model. The gradient with respect to the
    logits is ``softmax(z) - softmax(z + log S[y])``.

    Parameters
    ----------
    S : SimilarityMatrix, array of shape (C, C), str, path, callable or None
        Row = true class, column = predicted class. ``None``: the identity (cross-entropy),
        for however many classes ``fit`` finds. A str or path is a matrix file or catalogue
        name. A callable is called at ``fit`` as ``S(classes_)`` (the sorted labels) and
        returns one of the above, for an S that depends on the classes the data has, e.g.
        ``lambda c: order_matrix(values=c, reduction=0.8)``. Alignment with the labels:
        a label ``y`` is the class of S named ``str(y)`` (a matrix without names has the
        names ``"0" .. "C-1"``, so integer labels are its rows); when not every label is a
        name of an unnamed S with as many classes as ``y`` has labels, the sorted labels
        are its rows in order. Otherwise ``fit`` names the labels S lacks.
    C : float
        Inverse L2 regularisation strength, exactly as in ``LogisticRegression``
        (``np.inf``: none). The intercept is not penalised.
    lower_bound : float in [0, 1)
        The paper's lower bound applied to S at ``fit``:
        ``max(0, S - l) / (1 - l)``; 0 leaves S as it is.
    decision : {"argmax", "bayes"}
        ``predict``: the most probable class, or the class of highest expected similarity
        under S (:func:`simmatrix.decision.bayes_decision`).
    fit_intercept : bool
    tol : float
        L-BFGS stops when the largest gradient component is below ``tol`` (scipy's ``gtol``).
    max_iter : int
        L-BFGS iterations; a ``ConvergenceWarning`` when they run out.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The sorted labels seen in ``fit``.
    coef_ : ndarray of shape (n_classes, n_features)
        One row per class, also for two classes (a multinomial model, unlike
        ``LogisticRegression``'s single row in the binary case).
    intercept_ : ndarray of shape (n_classes,)
        Centred to mean 0 (the loss does not change when a constant is added to all).
    similarity_ : SimilarityMatrix
        S as used: aligned to ``classes_``, lower bound applied.
    n_iter_ : int

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from simmatrix.builders import order_matrix
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SimLossClassifier(order_matrix(3, reduction=0.3), C=10.0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape, round(clf.score(X, y), 2)
    ((2, 3), 0.99)
    """

    def __init__(self, S: Any = None, *, C: float = 1.0, lower_bound: float = 0.0,
                 decision: str = "argmax", fit_intercept: bool = True, tol: float = 1e-6,
                 max_iter: int = 1000) -> None:
        self.S = S
        self.C = C
        self.lower_bound = lower_bound
        self.decision = decision
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> SimLossClassifier:
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), optional
            Sample ``i`` counts ``w_i`` times (weight 2 is the same as the sample twice).
        """
        self._check_params()
        X, y = validate_data(self, X, y, accept_sparse=("csr", "csc"), dtype=np.float64)
        check_classification_targets(y)
        self.classes_, yi = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"SimLossClassifier needs at least 2 classes in y; got 1 class: "
                             f"{self.classes_[0]!r}")
        w = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
        if not w.sum() > 0:
            raise ValueError("sample_weight sums to 0: at least one sample needs weight > 0")
        self.similarity_ = aligned_similarity(self.S, self.classes_, self.lower_bound)
        table = LogSimilarity(self.similarity_)
        k, d = len(self.classes_), X.shape[1]
        fun = _Objective(X, yi, w, table, self.C, self.fit_intercept)
        res = scipy.optimize.minimize(
            fun, np.zeros(k * (d + 1)), jac=True, method="L-BFGS-B",
            options={"maxiter": self.max_iter, "gtol": self.tol, "maxls": 50,
                     "ftol": 64 * np.finfo(float).eps})
        self.n_iter_ = int(res.nit)
        if not res.success and self.n_iter_ >= self.max_iter:
            import warnings

            warnings.warn(f"SimLossClassifier: L-BFGS did not converge in max_iter="
                          f"{self.max_iter} iterations ({res.message}); increase max_iter "
                          "or scale the data", ConvergenceWarning, stacklevel=2)
        W = res.x.reshape(k, d + 1)
        self.coef_, b = W[:, :d].copy(), W[:, d].copy()
        self.intercept_ = b - b.mean() if self.fit_intercept else np.zeros(k)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _check_params(self) -> None:
        if not (isinstance(self.C, (int, float, np.number)) and self.C > 0):
            raise ValueError(f"C must be a positive number (np.inf: no penalty), got {self.C!r}")
        if self.decision not in _DECISIONS:
            raise ValueError(f"decision must be one of {_DECISIONS}, got {self.decision!r}")
        if not 0 <= self.lower_bound < 1:
            raise ValueError(f"lower_bound must be in [0, 1), got {self.lower_bound!r}")
        if not (isinstance(self.max_iter, (int, np.integer)) and self.max_iter > 0):
            raise ValueError(f"max_iter must be a positive integer, got {self.max_iter!r}")
        if not self.tol > 0:
            raise ValueError(f"tol must be positive, got {self.tol!r}")

    def decision_function(self, X: Any) -> np.ndarray:
        """The logits ``X @ coef_.T + intercept_``, shape (n_samples, n_classes).

        With two classes, as scikit-learn expects, the difference ``z_1 - z_0`` of shape
        (n_samples,) (positive: ``classes_[1]`` is the more probable).
        """
        z = self._logits(X)
        return z[:, 1] - z[:, 0] if z.shape[1] == 2 else z

    def _logits(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=("csr", "csc"), dtype=np.float64, reset=False)
        return np.asarray(X @ self.coef_.T) + self.intercept_

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities ``softmax(z)``, columns in the order of ``classes_``."""
        return softmax(self._logits(X), axis=1)

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """``log softmax(z)``, computed without forming small probabilities."""
        return log_softmax(self._logits(X), axis=1)

    def predict(self, X: Any) -> np.ndarray:
        """The argmax of ``predict_proba`` or, with ``decision="bayes"``, the class of
        highest expected similarity ``argmax_j Σ_c p_c S[c, j]``."""
        z = self._logits(X)
        if self.decision == "bayes":
            from .decision import bayes_decision

            return self.classes_[bayes_decision(z, self.similarity_, from_logits=True)]
        return self.classes_[np.argmax(z, axis=1)]

    def simloss(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """The (weighted) mean SimLoss of the model on ``(X, y)`` under ``similarity_``."""
        z = self._logits(X)
        yi = _indices(y, self.classes_)
        loss = simloss_grad_hess(z, yi, LogSimilarity(self.similarity_))[0]
        return float(np.average(loss, weights=sample_weight))


class _Objective:
    """Value and gradient of the penalised mean SimLoss over the flat ``[W | b]``."""

    def __init__(self, X, y, w, table, C, fit_intercept):
        self.X, self.y, self.table, self.fit_intercept = X, y, table, fit_intercept
        self.w = w / w.sum()
        self.reg = 0.0 if np.isinf(C) else 1.0 / (C * w.sum())
        self.shape = (table.n_classes, X.shape[1] + 1)

    def __call__(self, theta):
        W = theta.reshape(self.shape)
        coef, b = W[:, :-1], W[:, -1] if self.fit_intercept else 0.0
        z = np.asarray(self.X @ coef.T) + b
        loss, g, _ = simloss_grad_hess(z, self.y, self.table, sample_weight=self.w)
        grad = np.empty(self.shape)
        grad[:, :-1] = np.asarray(self.X.T @ g).T + self.reg * coef
        grad[:, -1] = g.sum(axis=0) if self.fit_intercept else 0.0
        return float(loss.sum() + 0.5 * self.reg * np.sum(coef * coef)), grad.ravel()


def aligned_similarity(S: Any, classes: Any, lower_bound: float = 0.0) -> SimilarityMatrix:
    """``S`` as a validated SimilarityMatrix over ``classes`` (the sorted labels), in order.

    See :class:`SimLossClassifier`'s ``S`` for the rules; the result's class names are
    ``str(c)`` for ``c`` in ``classes``.
    """
    keys = [str(c) for c in classes]
    if S is None:
        S = np.eye(len(keys))
    elif callable(S) and not isinstance(S, (SimilarityMatrix, np.ndarray)):
        S = S(np.asarray(classes))
    if isinstance(S, (str, os.PathLike)):
        from .io import load

        S = load(S)
    if not isinstance(S, SimilarityMatrix):
        S = SimilarityMatrix(S if sp.issparse(S) else np.asarray(S, dtype=np.float64))
    unnamed = S.classes == default_classes(len(S))
    if all(k in S for k in keys):
        S = S.select(keys)
    elif unnamed and len(S) == len(keys):
        S = S.replace(classes=keys)
    else:
        missing = [k for k in keys if k not in S]
        how = ("" if not unnamed else f"; an unnamed S ({len(S)} classes) needs labels "
               f"0..{len(S) - 1} or exactly {len(S)} distinct labels")
        raise SimMatrixError(f"S has no class for {len(missing)} labels of y: "
                             f"{quote_list(missing)}{how}")
    if lower_bound:
        from .transforms import lower_bound as _lower_bound

        S = _lower_bound(S, lower_bound)
    if S.is_sparse:
        S = S.replace(values=S.to_dense())
    return check(S.astype(np.float64))


def _indices(y: Any, classes: np.ndarray) -> np.ndarray:
    y = np.asarray(y)
    pos = np.searchsorted(classes, y)
    pos = np.clip(pos, 0, len(classes) - 1)
    bad = classes[pos] != y
    if bad.any():
        raise ValueError(f"y has labels the model was not fitted on: {np.unique(y[bad])[:10]}")
    return pos


# -- scorers --------------------------------------------------------------------------------
# name -> (function, greater_is_better, what it needs: "labels", "similarity", "scores")
_SCORERS = {
    "accuracy": (_metrics.accuracy, True, "labels"),
    "mean_absolute_error": (_metrics.mean_absolute_error, False, "labels"),
    "mean_squared_error": (_metrics.mean_squared_error, False, "labels"),
    "average_mae": (_metrics.average_mae, False, "labels"),
    "maximum_mae": (_metrics.maximum_mae, False, "labels"),
    "minimum_sensitivity": (_metrics.minimum_sensitivity, True, "labels"),
    "off_by_one_accuracy": (_metrics.off_by_one_accuracy, True, "labels"),
    "quadratic_weighted_kappa": (_metrics.quadratic_weighted_kappa, True, "labels"),
    "superclass_accuracy": (_metrics.superclass_accuracy, True, "labels"),
    "failed_superclass_accuracy": (_metrics.failed_superclass_accuracy, True, "labels"),
    "mistake_severity": (_metrics.mistake_severity, False, "labels+S"),
    "expected_similarity": (None, True, "proba+S"),
    "top_k_average_similarity": (_metrics.top_k_average_similarity, True, "proba+S"),
    "mistakes_at_k": (_metrics.mistakes_at_k, False, "proba+S"),
}


def scorer(metric: str, S: Any = None, *, classes: Any = None, **kwargs: Any):
    """A ``scoring=`` object for ``GridSearchCV``/``cross_val_score`` from a simmatrix metric.

    Parameters
    ----------
    metric : str
        A function of :mod:`simmatrix.metrics` (``"mean_absolute_error"``,
        ``"mistake_severity"``, ``"average_mae"``, ...) or ``"expected_similarity"``, the
        mean ``Σ_c S[y, c] p_c`` of the predicted probabilities
        (:func:`simmatrix.losses.expected_similarity`). Metrics where lower is better
        (errors, severity, mistakes@k, a mean distance) are negated, as scikit-learn's
        ``neg_mean_absolute_error``.
    S : SimilarityMatrix, array, str or None
        The similarity the metric measures with (needed by ``mistake_severity``,
        ``expected_similarity``, ``top_k_average_similarity``); also the class list when
        ``classes`` is not given.
    classes : class names or int, optional
        The full class list the metric is computed over (see :mod:`simmatrix.metrics`).
    **kwargs
        Passed to the metric: ``values=`` (MAE), ``superclass=``, ``k=``, ``distance=``.

    Returns
    -------
    A label metric: ``sklearn.metrics.make_scorer(fn, greater_is_better=...)``. A metric
    of the probabilities: a callable ``scorer(estimator, X, y)`` that reads
    ``estimator.classes_`` to put the columns of ``predict_proba`` in the class list's
    order (a fold that lacks a class has fewer columns).

    Examples
    --------
    >>> from simmatrix.builders import order_matrix
    >>> S = order_matrix(3, reduction=0.5)
    >>> mae = scorer("mean_absolute_error", S)
    >>> clf = SimLossClassifier(S).fit([[0.0], [1.0], [2.0]], [0, 1, 2])
    >>> mae(clf, [[0.0], [2.0]], [0, 2])
    -0.0
    """
    if metric not in _SCORERS:
        raise ValueError(f"unknown metric {metric!r}; one of {', '.join(sorted(_SCORERS))}")
    fn, greater, needs = _SCORERS[metric]
    if isinstance(S, (str, os.PathLike)):
        from .io import load

        S = load(S)
    names = _metrics._class_names(S if classes is None else classes) \
        if (S is not None or classes is not None) else None
    if names is None:
        raise ValueError(f"scorer({metric!r}) needs the class list: pass S or classes=")
    if "S" in needs:
        if S is None and "distance" not in kwargs:
            raise ValueError(f"scorer({metric!r}) needs S (or distance=)")
        if "distance" not in kwargs:
            kwargs["similarity"] = S
        elif metric == "top_k_average_similarity":
            greater = False  # a mean distance
    if needs.startswith("labels"):
        def score(y_true, y_pred):
            return fn(y_true, y_pred, classes=names, **kwargs)
        score.__name__ = metric
        return make_scorer(score, greater_is_better=greater)
    return _ProbaScorer(metric, fn, names, kwargs, 1.0 if greater else -1.0)


class _ProbaScorer:
    """``scorer(estimator, X, y)`` on ``predict_proba``, columns placed by class name."""

    def __init__(self, metric, fn, names, kwargs, sign):
        self.metric, self.fn, self.names, self.kwargs = metric, fn, names, kwargs
        self.sign = sign

    def __call__(self, estimator, X, y_true, sample_weight=None):
        proba = estimator.predict_proba(X)
        index = {c: i for i, c in enumerate(self.names)}
        cols = [str(c) for c in estimator.classes_]
        unknown = [c for c in cols if c not in index]
        if unknown:
            raise SimMatrixError(f"the estimator has classes the class list lacks: "
                                 f"{quote_list(unknown)}")
        full = np.zeros((proba.shape[0], len(self.names)))
        full[:, [index[c] for c in cols]] = proba
        if self.fn is None:  # expected similarity Σ_c S[y, c] p_c
            S = self.kwargs["similarity"]
            M = S.to_dense() if isinstance(S, SimilarityMatrix) else np.asarray(S, float)
            t = _metrics._labels(y_true, self.names, "y_true")
            per = np.sum(M[t] * full, axis=1)
            return float(np.average(per, weights=sample_weight))
        return self.sign * self.fn(y_true, full, classes=self.names, **self.kwargs)

    def __repr__(self) -> str:
        return f"scorer({self.metric!r})"


__all__ = ["SimLossClassifier", "aligned_similarity", "scorer"]
