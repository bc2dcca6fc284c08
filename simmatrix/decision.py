"""Turning a predicted distribution into one prediction: argmax, Bayes rule under S, mean.

Orientation (as everywhere in simmatrix): ``S[c, j]`` is the credit for predicting ``j`` when
the true class is ``c`` (row = true class, column = predicted class). If the model's
posterior is ``p``, the expected credit of predicting ``j`` is ``Σ_c p_c S[c, j]``, i.e. the
row vector ``p @ S``; the Bayes decision (conditional risk minimisation with cost
``1 - S``, Karthik et al. 2021) is its argmax. For a symmetric ``S`` the orientation does
not matter; for an asymmetric one (e.g. built from a confusion matrix) it does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._array_api import _device, _to_numpy, log_softmax
from .log_similarity import LogSimilarity
from .matrix import SimilarityMatrix


def _probs(probs: Any, from_logits: bool):
    from array_api_compat import array_namespace

    xp = array_namespace(probs)
    return xp, xp.exp(log_softmax(xp, probs)) if from_logits else probs


def expected_gain(probs: Any, S: Any, *, from_logits: bool = False) -> Any:
    r"""Expected similarity of each possible prediction: ``G = p @ S``.

    .. math:: G_{ij} = \sum_c p_{ic} S[c, j]

    Parameters
    ----------
    probs : array of shape (n_samples, n_classes)
        Class probabilities (or logits with ``from_logits=True``); numpy, torch or jax.
    S : SimilarityMatrix, array of shape (n_classes, n_classes) or scipy sparse
        Row = true class, column = predicted class.

    Returns
    -------
    array of shape (n_samples, n_classes), in the framework of ``probs``.

    Examples
    --------
    >>> import numpy as np
    >>> S = np.array([[1.0, 0.9, 0.0], [0.9, 1.0, 0.0], [0.0, 0.0, 1.0]])
    >>> expected_gain(np.array([[0.35, 0.25, 0.4]]), S).round(3)
    array([[0.575, 0.565, 0.4  ]])
    """
    import scipy.sparse as sp

    xp, p = _probs(probs, from_logits)
    values = _values(S)
    if sp.issparse(values) and isinstance(p, np.ndarray):
        return np.asarray((values.T @ p.T).T)
    if sp.issparse(values):
        values = values.toarray()
    dense = xp.asarray(np.asarray(values), dtype=p.dtype, device=_device(p))
    return xp.matmul(p, dense)


def bayes_decision(probs: Any, S: Any, *, from_logits: bool = False) -> Any:
    r"""Predict the class with the highest expected similarity to the truth.

    .. math:: \hat y_i = \arg\max_j \sum_c p_{ic} S[c, j]

    With ``S = I`` this is the argmax of ``p``. A class can win without being the most
    probable one, when the probability is spread over a group of similar classes.

    Examples
    --------
    >>> import numpy as np
    >>> S = np.array([[1.0, 0.9, 0.0], [0.9, 1.0, 0.0], [0.0, 0.0, 1.0]])
    >>> p = np.array([[0.35, 0.25, 0.4]])
    >>> int(p.argmax(axis=1)[0]), int(bayes_decision(p, S)[0])
    (2, 0)
    """
    from array_api_compat import array_namespace

    gain = expected_gain(probs, S, from_logits=from_logits)
    return array_namespace(gain).argmax(gain, axis=1)


def expected_value(probs: Any, values: Any = None, *, from_logits: bool = False) -> Any:
    r"""Decode ordered classes by the expected class value ``Σ_c p_c v_c``.

    Parameters
    ----------
    values : array of shape (n_classes,), optional
        The value of each class (e.g. ages, star ratings); ``0 .. K-1`` when omitted.

    Returns
    -------
    array of shape (n_samples,) of real values; see :func:`nearest_class` to turn them
    back into class indices.

    Examples
    --------
    >>> import numpy as np
    >>> expected_value(np.array([[0.5, 0.0, 0.5]]), [1.0, 2.0, 3.0])
    array([2.])
    """
    xp, p = _probs(probs, from_logits)
    if values is None:
        v = xp.astype(xp.arange(p.shape[1], device=_device(p)), p.dtype)
    else:
        v = xp.asarray(values, dtype=p.dtype, device=_device(p))
    return xp.sum(p * v[None, :], axis=1)


def nearest_class(x: Any, values: Any) -> np.ndarray:
    """Index of the class whose value is closest to each ``x`` (ties: the lower class).

    Examples
    --------
    >>> nearest_class([0.4, 2.6, 9.0], [0.0, 1.0, 3.0])
    array([0, 2, 2])
    """
    x = np.asarray(_to_numpy(x), dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    return np.abs(x[:, None] - v[None, :]).argmin(axis=1)


def _values(S: Any) -> Any:
    if isinstance(S, SimilarityMatrix):
        return S.values
    if isinstance(S, LogSimilarity):
        raise TypeError("pass S itself, not LogSimilarity, to the decision rule")
    return _to_numpy(S) if hasattr(S, "detach") else S
