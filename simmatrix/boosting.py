"""SimLoss as a custom objective for gradient boosting: value, gradient, Hessian bound.

Gradient-boosting libraries (XGBoost, LightGBM, CatBoost) take a multi-class objective as a
function returning the gradient and the Hessian diagonal with respect to the raw scores.
Numpy only; the libraries hand numpy arrays over.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._array_api import _to_numpy, logsumexp
from .log_similarity import LogSimilarity, Tables
from .loss import _check_inputs, _columns, _log_rows


def simloss_grad_hess(logits: Any, targets: Any, S: Any, *, sample_weight: Any = None):
    r"""Per-sample SimLoss, its gradient and a positive Hessian-diagonal bound (numpy).

    For gradient-boosting libraries that take a custom multi-class objective. With
    ``p = softmax(z)`` and ``q = S[y] p / Σ S[y] p`` (the posterior over "which similar
    class was meant"):

    .. math:: \partial L / \partial z = p - q, \qquad
              \partial^2 L / \partial z_c^2 = p_c(1-p_c) - q_c(1-q_c) \le p_c(1-p_c)

    The true diagonal can be negative, which boosting cannot use; ``p(1-p)`` (floored at
    1e-16) is returned instead, an upper bound, so Newton steps stay damped.

    Parameters
    ----------
    logits : array of shape (n_samples, n_classes)
    targets : integer array of shape (n_samples,)
    S : SimilarityMatrix, array, scipy sparse or LogSimilarity
    sample_weight : array of shape (n_samples,), optional
        Multiplies the loss, gradient and Hessian of each sample.

    Returns
    -------
    loss : ndarray of shape (n_samples,)
    grad, hess : ndarray of shape (n_samples, n_classes)

    Examples
    --------
    >>> import numpy as np
    >>> loss, g, h = simloss_grad_hess(np.zeros((1, 2)), np.array([0]), np.eye(2))
    >>> g, h
    (array([[-0.5,  0.5]]), array([[0.25, 0.25]]))
    """
    z = np.asarray(_to_numpy(logits), dtype=np.float64)
    y = _to_numpy(targets)
    table = S if isinstance(S, LogSimilarity) else LogSimilarity(S)
    _check_inputs(np, z, y, table.n_classes)
    z = z - z.max(axis=1, keepdims=True)
    lse = logsumexp(np, z, axis=1)
    p = np.exp(z - lse[:, None])
    g, nbr = _log_rows(np, Tables(log_S=table.log_S, indices=table.indices,
                                  log_values=table.log_values), y)
    a = _columns(np, z, nbr) + g
    num = logsumexp(np, a, axis=1)
    q = np.exp(a - num[:, None])
    if nbr is not None:  # top-k: spread q over its columns
        q, q_k = np.zeros_like(z), q
        np.add.at(q, (np.arange(len(y))[:, None], nbr), q_k)
    loss = lse - num
    grad = p - q
    hess = np.maximum(p * (1.0 - p), 1e-16)
    if sample_weight is not None:
        w = np.asarray(_to_numpy(sample_weight), dtype=np.float64)
        loss, grad, hess = loss * w, grad * w[:, None], hess * w[:, None]
    return loss, grad, hess


def _labels_of(y: Any, n_classes: int) -> np.ndarray:
    y = np.asarray(y)
    yi = y.astype(np.intp)
    if y.ndim != 1 or not np.array_equal(yi, y) or (yi < 0).any() or (yi >= n_classes).any():
        raise ValueError(f"SimLoss objective: labels must be class indices 0..{n_classes - 1}, "
                         f"got {np.unique(y)[:5]}")
    return yi


def _as_2d(predt: Any, n: int, n_classes: int) -> np.ndarray:
    predt = np.asarray(predt, dtype=np.float64)
    if predt.shape != (n, n_classes):
        raise ValueError(f"SimLoss objective: raw scores of shape {predt.shape}, expected "
                         f"({n}, {n_classes}); set num_class={n_classes} (multi-class)")
    return predt


class _Objective:
    """A picklable SimLoss objective for one matrix S (shared by both libraries)."""

    def __init__(self, S: Any) -> None:
        self.table = S if isinstance(S, LogSimilarity) else LogSimilarity(S)

    def _grad_hess(self, predt, labels, weight):
        y = _labels_of(labels, self.table.n_classes)
        z = _as_2d(predt, len(y), self.table.n_classes)
        w = None if weight is None or np.size(weight) == 0 else weight
        _, grad, hess = simloss_grad_hess(z, y, self.table, sample_weight=w)
        return grad, hess


class XGBoostObjective(_Objective):
    """``obj(predt, dtrain)`` for ``xgboost.train``; ``obj(y_true, y_pred)`` for XGBClassifier."""

    def __call__(self, a: Any, b: Any):
        if hasattr(b, "get_label"):  # native interface: (predt, DMatrix)
            return self._grad_hess(a, b.get_label(), b.get_weight())
        return self._grad_hess(b, a, None)  # scikit-learn interface: (y_true, y_pred)


class LightGBMObjective(_Objective):
    """``objective(y_true, y_pred[, weight])`` for LGBMClassifier; ``(preds, Dataset)`` for
    ``lightgbm.train``."""

    def __call__(self, a: Any, b: Any, weight: Any = None):  # 3 arguments: LGBM passes weight
        if hasattr(b, "get_label"):  # lightgbm.train: (preds, Dataset)
            return self._grad_hess(a, b.get_label(), b.get_weight())
        return self._grad_hess(b, a, weight)


def xgboost_objective(S: Any) -> XGBoostObjective:
    """SimLoss as an XGBoost multi-class custom objective (XGBoost 2.0 and later).

    Parameters
    ----------
    S : SimilarityMatrix, array of shape (n_classes, n_classes), scipy sparse or LogSimilarity

    Returns
    -------
    callable
        ``obj(predt, dtrain) -> (grad, hess)`` with ``predt`` the raw scores of shape
        (n_samples, n_classes) and ``grad``, ``hess`` of the same shape: pass it as
        ``xgboost.train({"num_class": C, ...}, dtrain, obj=obj)``. Also accepted as
        ``XGBClassifier(objective=obj)``, which calls ``obj(y_true, y_pred)``. Sample
        weights of the DMatrix multiply each sample's gradient and Hessian. Predictions are
        raw scores: take ``argmax`` (or :func:`simmatrix.decision.bayes_decision`).

    Examples
    --------
    >>> import numpy as np
    >>> obj = xgboost_objective(np.array([[1.0, 0.5], [0.5, 1.0]]))
    >>> grad, hess = obj(np.array([0, 1]), np.zeros((2, 2)))
    >>> grad.shape, hess.shape
    ((2, 2), (2, 2))
    """
    return XGBoostObjective(S)


def lightgbm_objective(S: Any) -> LightGBMObjective:
    """SimLoss as a LightGBM multi-class custom objective (LightGBM 4.0 and later).

    Parameters
    ----------
    S : SimilarityMatrix, array of shape (n_classes, n_classes), scipy sparse or LogSimilarity

    Returns
    -------
    callable
        ``objective(y_true, y_pred[, weight]) -> (grad, hess)`` with ``y_pred`` the raw
        scores of shape (n_samples, n_classes): pass it as
        ``LGBMClassifier(objective=obj)``, or as ``params["objective"]`` of
        ``lightgbm.train`` (which calls ``objective(preds, train_data)``; set
        ``num_class``). Predictions are raw scores: take ``argmax``.
    """
    return LightGBMObjective(S)
