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
