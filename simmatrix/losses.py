"""Companion losses built from the same S or from ordered classes (numpy, torch, jax).

All take ``logits`` (or probabilities with ``from_logits=False``) of shape (N, C) or
(N, C, d1, ...) and integer ``targets`` of shape (N,) or (N, d1, ...), return per-sample
values with ``reduction="none"`` and their mean or sum otherwise, and are written once
against the array API like :func:`simmatrix.simloss`, with its target and dtype rules: a
target outside ``[0, C)`` is an error naming it, half-precision inputs are computed in
float32 and the result returned in their dtype.

- :func:`soft_label_cross_entropy`: cross-entropy to ``q = S[y] / Σ S[y]`` (soft labels,
  Bertinetto et al. 2020; SORD, Díaz & Marathe 2019).
- :func:`ranked_probability_score` and :func:`squared_emd`: distances between the predicted
  and the one-hot cumulative distribution over ordered classes.
- :func:`expected_value_l1`: ``|Σ p_c v_c - v_y|`` for ordered classes with values ``v``.
- :func:`expected_similarity`: ``Σ_c S[y, c] p_c``, a score in [0, 1] (higher is better);
  SimLoss is its negative log.
"""

from __future__ import annotations

from typing import Any

from ._array_api import _device, _is_torch, _like, log_softmax
from .log_similarity import _tables
from .loss import (
    _all_in_range,
    _check_inputs,
    _check_targets,
    _columns,
    _flatten,
    _log_rows,
    _output_dtype,
    check_options,
    compute_dtype,
)
from .loss import _reduce as _reduce_shaped


def _setup(logits, targets, n_classes=None):
    """Namespace, (M, C) inputs in the compute dtype, (M,) targets, output shape and dtype."""
    from array_api_compat import array_namespace

    xp = array_namespace(logits)
    z, y, shape = _flatten(xp, logits, _like(xp, targets, logits), 1)
    n = z.shape[1] if z.ndim == 2 and n_classes is None else n_classes
    _check_inputs(xp, z, y, n)
    if not _all_in_range(xp, y, n):  # one min/max pass when all are in range
        _check_targets(xp, y, None, n, None)
    out = _output_dtype(xp, logits)
    return xp, xp.astype(z, compute_dtype(xp, z.dtype), copy=False), y, shape, out


def _log_probs(xp, x, from_logits):
    return log_softmax(xp, x) if from_logits else xp.log(x)


def _probs(xp, x, from_logits):
    return xp.exp(log_softmax(xp, x)) if from_logits else x


def _reduce(xp, per, reduction, shape, out):
    check_options(reduction)
    return xp.astype(_reduce_shaped(xp, per, None, reduction, shape), out, copy=False)


def soft_label_cross_entropy(logits: Any, targets: Any, S: Any, *, reduction: str = "mean",
                             from_logits: bool = True) -> Any:
    r"""Cross-entropy to the soft label ``q = S[y] / Σ_c S[y, c]``.

    .. math:: L_i = -\sum_c q_{ic} \log p_{ic}

    Unlike SimLoss (``-log Σ S[y] p``), this asks the model to *spread* probability over
    similar classes in proportion to ``S``; SimLoss is satisfied by any mass on them.

    Examples
    --------
    >>> import numpy as np
    >>> S = np.array([[1.0, 1.0], [0.0, 1.0]])
    >>> float(soft_label_cross_entropy(np.zeros((1, 2)), np.array([0]), S))  # log 2
    0.6931471805599453
    """
    xp, z, y, shape, out = _setup(logits, targets)
    tables = _tables(xp, z, S)
    if from_logits and _is_torch(xp) and not any(t.requires_grad for t in tables.floats()):
        from ._torch_loss import soft_label_ce  # fused: two softmax passes, gradient p - q

        return _reduce(xp, soft_label_ce(z, y, tables), reduction, shape, out)
    g, nbr = _log_rows(xp, tables, y)
    logp = _columns(xp, _log_probs(xp, z, from_logits), nbr)
    q = xp.exp(log_softmax(xp, g))  # S[y] / Σ S[y], from its logs
    terms = xp.where(q > 0, q * logp, xp.zeros_like(q))
    return _reduce(xp, -xp.sum(terms, axis=1), reduction, shape, out)


def _cdf_gap(xp, z, targets, from_logits):
    """``F - O``: predicted minus one-hot cumulative distribution, shape (n, K)."""
    p = _probs(xp, z, from_logits)
    F = xp.cumulative_sum(p, axis=1)
    k = xp.arange(p.shape[1], device=_device(p))
    O = xp.astype(k[None, :] >= targets[:, None], p.dtype)  # noqa: E741
    return F - O


def ranked_probability_score(logits: Any, targets: Any, *, normalize: bool = True,
                             reduction: str = "mean", from_logits: bool = True) -> Any:
    r"""Ranked probability score for ordered classes (0 is perfect).

    .. math:: \mathrm{RPS}_i = \frac{1}{K-1} \sum_{k=1}^{K-1} (F_{ik} - O_{ik})^2

    with ``F`` the predicted cumulative distribution and ``O_k = [k ≥ y]``.

    Parameters
    ----------
    normalize : bool
        ``True`` (default) divides by ``K - 1``, the number of thresholds, so the score
        is in [0, 1] whatever the number of classes (Epstein 1969; Murphy 1971).
        ``False`` returns the plain sum ``Σ_k (F_k - O_k)²``, the convention of
        ``dlordinal.metrics.ranked_probability_score`` (Janitza et al. 2016) and of the
        formula most often quoted; it equals :func:`squared_emd` at unit spacing.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([[0.0, 0.0, 1.0]])  # all mass two classes away
    >>> float(ranked_probability_score(p, np.array([0]), from_logits=False))
    1.0
    >>> float(ranked_probability_score(p, np.array([0]), normalize=False, from_logits=False))
    2.0
    """
    xp, z, y, shape, out = _setup(logits, targets)
    total = xp.sum(_cdf_gap(xp, z, y, from_logits)[:, :-1] ** 2, axis=1)
    k = z.shape[1]
    return _reduce(xp, total / max(k - 1, 1) if normalize else total, reduction, shape, out)


def squared_emd(logits: Any, targets: Any, *, values: Any = None, reduction: str = "mean",
                from_logits: bool = True) -> Any:
    r"""Squared earth mover's distance between prediction and label on ordered classes.

    .. math:: \mathrm{EMD}^2_i = \sum_{k=1}^{K-1} (F_{ik} - O_{ik})^2 \, (v_{k+1} - v_k)

    (Hou et al. 2016 with unit spacing when ``values`` is omitted; then it is
    ``(K - 1)`` times the RPS.) ``values`` must increase.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([[0.5, 0.0, 0.5]])
    >>> float(squared_emd(p, np.array([1]), from_logits=False))
    0.5
    """
    xp, z, y, shape, out = _setup(logits, targets)
    gap = _cdf_gap(xp, z, y, from_logits)[:, :-1] ** 2
    if values is not None:
        v = xp.asarray(values, dtype=gap.dtype, device=_device(gap))
        gap = gap * (v[1:] - v[:-1])[None, :]
    return _reduce(xp, xp.sum(gap, axis=1), reduction, shape, out)


def expected_value_l1(logits: Any, targets: Any, values: Any, *, reduction: str = "mean",
                      from_logits: bool = True) -> Any:
    r"""Distance of the predicted expected value to the label's value, ordered classes.

    .. math:: L_i = \left| \sum_c p_{ic} v_c - v_{y_i} \right|

    The model still predicts a full distribution (decode it with
    :func:`simmatrix.decision.expected_value` or argmax). Add it to a classification loss:
    on its own it is minimised by any distribution with the right mean.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([[0.5, 0.0, 0.5]])
    >>> float(expected_value_l1(p, np.array([2]), [0.0, 1.0, 2.0], from_logits=False))
    1.0
    """
    xp, z, y, shape, out = _setup(logits, targets)
    p = _probs(xp, z, from_logits)
    v = xp.asarray(values, dtype=p.dtype, device=_device(p))
    per = xp.abs(xp.sum(p * v[None, :], axis=1) - xp.take(v, y, axis=0))
    return _reduce(xp, per, reduction, shape, out)


def expected_similarity(logits: Any, targets: Any, S: Any, *, reduction: str = "mean",
                        from_logits: bool = True) -> Any:
    r"""Expected similarity of a prediction drawn from ``p`` to the label (higher is better).

    .. math:: E_i = \sum_c S[y_i, c]\, p_{ic} = \exp(-\mathrm{SimLoss}_i)

    As a *metric* it is the similarity-weighted accuracy. As a *loss* (``1 - E``) it
    trains slowly: it is linear in ``p``, so a confident wrong prediction, where ``p`` of
    the similar classes is near 0, gets a gradient near 0 (see ``docs/loss.md``).

    Examples
    --------
    >>> import numpy as np
    >>> S = np.array([[1.0, 0.5], [0.5, 1.0]])
    >>> float(expected_similarity(np.array([[0.0, 1.0]]), np.array([0]), S, from_logits=False))
    0.5
    """
    xp, z, y, shape, out = _setup(logits, targets)
    tables = _tables(xp, z, S)
    g, nbr = _log_rows(xp, tables, y)
    if from_logits:  # exp(-SimLoss): exact, and finite gradients (p_c (S[y, c] - E))
        from .loss import _per_sample

        per = xp.exp(-_per_sample(xp, z, y, tables, True, 0.0))
    else:  # linear in p: no log, so no 0 · inf = NaN in the gradient where E = 0
        per = xp.sum(xp.exp(g) * _columns(xp, z, nbr), axis=1)
    return _reduce(xp, per, reduction, shape, out)
