"""Metrics that show whether a model's mistakes became milder (numpy in, floats out).

Every metric takes the class list explicitly (``classes=``: the class names, a
:class:`~simmatrix.SimilarityMatrix`, or the number of classes), so its value never depends
on which classes happen to occur in a batch. Labels are class names; integer labels are
positions in the class list only where no class name is an integer (``classes=["cat",
"dog"]``, or ``classes=3`` whose names ``"0" .. "2"`` are their positions). With integer
class names (``classes=[1, 2, 3]``) an integer label is the class of that name, never a
position, and when the names mix integers and text integer labels are refused as
ambiguous. torch and jax arrays are accepted and moved to numpy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._array_api import _to_numpy
from .errors import SimMatrixError, quote_list
from .matrix import SimilarityMatrix, default_classes


def _class_names(classes: Any) -> tuple[str, ...]:
    if isinstance(classes, SimilarityMatrix):
        return classes.classes
    if isinstance(classes, (int, np.integer)):
        return default_classes(int(classes))
    return tuple(str(c) for c in classes)


def _labels(y: Any, names: tuple[str, ...], what: str) -> np.ndarray:
    """Class indices of ``y`` (indices or names); every unknown label is reported."""
    y = np.asarray(_to_numpy(y))
    if y.ndim != 1:
        raise SimMatrixError(f"{what} must be 1-D, got shape {y.shape}")
    as_names = np.issubdtype(y.dtype, np.integer) and _integer_names(names, what)
    if as_names:
        y = y.astype(str)  # the class names are integers: a label is a name, not a position
    if np.issubdtype(y.dtype, np.integer):
        bad = np.unique(y[(y < 0) | (y >= len(names))])
        if bad.size:
            raise SimMatrixError(f"{bad.size} {what} out of range for {len(names)} classes: "
                                 f"{', '.join(map(str, bad[:10]))}")
        return y.astype(np.intp)
    index = {c: i for i, c in enumerate(names)}
    unknown = sorted({str(v) for v in y} - index.keys())
    if unknown:
        why = (" (the class names are integers, so integer labels are names, not positions)"
               if as_names else "")
        raise SimMatrixError(f"{len(unknown)} unknown classes in {what}: "
                             f"{quote_list(unknown)}{why}")
    return np.array([index[str(v)] for v in y], dtype=np.intp)


def _integer_names(names: tuple[str, ...], what: str) -> bool:
    """Whether integer labels must be read as class names (see the module docstring).

    False when no name is an integer (labels are positions) or the names are exactly
    ``"0" .. "C-1"`` (name and position agree); True when every name is an integer; a
    mix of integer and text names is refused, since ``1`` could mean either.
    """
    ints = [n.lstrip("-").isdigit() and str(int(n)) == n for n in names]
    if not any(ints) or names == default_classes(len(names)):
        return False
    if all(ints):
        return True
    shown = quote_list([n for n, i in zip(names, ints) if i], limit=3)
    raise SimMatrixError(
        f"integer {what} are ambiguous: some class names are integers ({shown}) and some "
        f"are not, so 1 could be a name or a position; pass the labels as class names "
        f"(strings), e.g. np.asarray(classes)[positions]"
    )


def _pair(y_true, y_pred, classes):
    names = _class_names(classes)
    t, p = _labels(y_true, names, "y_true"), _labels(y_pred, names, "y_pred")
    if t.shape != p.shape:
        raise SimMatrixError(f"y_true has {t.size} labels but y_pred has {p.size}")
    return names, t, p


def _class_values(values: Any, names: tuple[str, ...]) -> np.ndarray:
    if values is None:
        return np.arange(len(names), dtype=np.float64)
    if isinstance(values, Mapping):
        by_name = {str(k): v for k, v in values.items()}
        missing = [c for c in names if c not in by_name]
        if missing:
            raise SimMatrixError(f"{len(missing)} classes have no value: {quote_list(missing)}")
        return np.array([by_name[c] for c in names], dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    if v.shape != (len(names),):
        raise SimMatrixError(f"values must have one entry per class ({len(names)}), "
                             f"got shape {v.shape}")
    return v


def accuracy(y_true: Any, y_pred: Any, *, classes: Any) -> float:
    """Share of exact predictions.

    Examples
    --------
    >>> accuracy(["cat", "dog"], ["cat", "cat"], classes=["cat", "dog"])
    0.5
    """
    _, t, p = _pair(y_true, y_pred, classes)
    return float(np.mean(t == p))


def mean_absolute_error(y_true: Any, y_pred: Any, *, classes: Any, values: Any = None) -> float:
    """Mean ``|v[y_pred] - v[y_true]|`` over class values (``0 .. K-1`` by default).

    ``values`` is a sequence aligned with ``classes`` or a mapping class → value.

    Examples
    --------
    >>> mean_absolute_error([0, 2], [1, 2], classes=3, values=[1.0, 2.0, 5.0])
    0.5
    """
    names, t, p = _pair(y_true, y_pred, classes)
    v = _class_values(values, names)
    return float(np.mean(np.abs(v[p] - v[t])))


def mean_squared_error(y_true: Any, y_pred: Any, *, classes: Any, values: Any = None) -> float:
    """Mean ``(v[y_pred] - v[y_true])²`` over class values (``0 .. K-1`` by default).

    Examples
    --------
    >>> mean_squared_error([0, 2], [1, 2], classes=3, values=[1.0, 2.0, 5.0])
    0.5
    """
    names, t, p = _pair(y_true, y_pred, classes)
    v = _class_values(values, names)
    return float(np.mean((v[p] - v[t]) ** 2))


def _superclasses(superclass: Mapping[Any, Any], names: tuple[str, ...]) -> np.ndarray:
    by_name = {str(k): str(v) for k, v in superclass.items()}
    missing = [c for c in names if c not in by_name]
    if missing:
        raise SimMatrixError(f"{len(missing)} classes have no superclass: {quote_list(missing)}")
    return np.array([by_name[c] for c in names], dtype=object)


def superclass_accuracy(y_true: Any, y_pred: Any, *, classes: Any,
                        superclass: Mapping[Any, Any]) -> float:
    """Share of predictions in the true class's superclass (Kobs et al. 2020, CIFAR-100).

    Examples
    --------
    >>> sup = {"oak": "tree", "pine": "tree", "rose": "flower"}
    >>> superclass_accuracy(["oak", "oak"], ["pine", "rose"], classes=sup, superclass=sup)
    0.5
    """
    names, t, p = _pair(y_true, y_pred, classes)
    sup = _superclasses(superclass, names)
    return float(np.mean(sup[t] == sup[p]))


def failed_superclass_accuracy(y_true: Any, y_pred: Any, *, classes: Any,
                               superclass: Mapping[Any, Any]) -> float:
    """Among the *wrong* predictions, the share still in the right superclass.

    NaN when there is no wrong prediction (the quantity is undefined).

    Examples
    --------
    >>> sup = {"oak": "tree", "pine": "tree", "rose": "flower"}
    >>> failed_superclass_accuracy(["oak", "oak", "rose"], ["pine", "rose", "rose"],
    ...                            classes=sup, superclass=sup)
    0.5
    """
    names, t, p = _pair(y_true, y_pred, classes)
    sup = _superclasses(superclass, names)
    wrong = t != p
    if not wrong.any():
        return float("nan")
    return float(np.mean(sup[t][wrong] == sup[p][wrong]))


def _cost(similarity: Any, distance: Any, names: tuple[str, ...]) -> tuple[np.ndarray, float]:
    """A dense C×C matrix and the sign that turns it into 'higher is more similar'."""
    if (similarity is None) == (distance is None):
        raise SimMatrixError("pass exactly one of similarity= or distance=")
    M = similarity if distance is None else distance
    M = M.to_dense() if isinstance(M, SimilarityMatrix) else np.asarray(_to_numpy(M))
    if M.shape != (len(names), len(names)):
        raise SimMatrixError(f"the matrix has shape {M.shape}, expected "
                             f"({len(names)}, {len(names)}) for the class list")
    return np.asarray(M, dtype=np.float64), 1.0 if distance is None else -1.0


def _top_k(y_true, scores, k, classes, similarity, distance):
    """Labels, the ``k`` highest-scoring classes per sample (ties: lower index first), and
    the cost matrix with its sign, for the top-k metrics."""
    names = _class_names(classes)
    t = _labels(y_true, names, "y_true")
    s = np.asarray(_to_numpy(scores), dtype=np.float64)
    if s.shape != (t.size, len(names)):
        raise SimMatrixError(f"scores must have shape ({t.size}, {len(names)}), got {s.shape}")
    if not 1 <= k <= len(names):
        raise SimMatrixError(f"k must be in 1..{len(names)}, got {k}")
    M, sign = _cost(similarity, distance, names)
    return t, np.argsort(-s, axis=1, kind="stable")[:, :k], M, sign


def mistake_severity(y_true: Any, y_pred: Any, *, classes: Any, similarity: Any = None,
                     distance: Any = None) -> float:
    """Mean distance between truth and prediction over the mistakes (Bertinetto et al. 2020).

    Give ``distance`` (Bertinetto et al.'s ``H − depth(LCA)`` in a hierarchy, see
    :func:`mistakes_at_k`, or the height of the lowest common ancestor) or
    ``similarity`` (a SimilarityMatrix; the distance is then ``1 - S[y, ŷ]``). NaN when there
    is no mistake.

    Examples
    --------
    >>> import numpy as np
    >>> S = np.array([[1.0, 0.8, 0.0], [0.8, 1.0, 0.0], [0.0, 0.0, 1.0]])
    >>> round(mistake_severity([0, 0, 1], [1, 2, 1], classes=3, similarity=S), 6)
    0.6
    """
    names, t, p = _pair(y_true, y_pred, classes)
    M, sign = _cost(similarity, distance, names)
    wrong = t != p
    if not wrong.any():
        return float("nan")
    d = M[t[wrong], p[wrong]]
    return float(np.mean(d if sign < 0 else 1.0 - d))


def top_k_average_similarity(y_true: Any, scores: Any, k: int, *, classes: Any,
                             similarity: Any = None, distance: Any = None) -> float:
    """Mean similarity (or distance) between the truth and each of the top-k predictions.

    Bertinetto et al. 2020's "average hierarchical distance@k" with ``distance=``; with
    ``similarity=`` the mean of ``S[y, j]`` over the ``k`` highest-scoring classes ``j``.

    Examples
    --------
    >>> import numpy as np
    >>> S = np.array([[1.0, 0.8, 0.0], [0.8, 1.0, 0.0], [0.0, 0.0, 1.0]])
    >>> float(top_k_average_similarity([0], np.array([[0.5, 0.1, 0.4]]), 2, classes=3,
    ...                                similarity=S))
    0.5
    """
    t, top, M, _ = _top_k(y_true, scores, k, classes, similarity, distance)
    return float(np.mean(M[t[:, None], top]))


def mistakes_at_k(y_true: Any, scores: Any, k: int, *, classes: Any, similarity: Any = None,
                  distance: Any = None) -> float:
    r"""Bertinetto et al. 2020's mistake severity@k: the top-k distance, over the mistakes.

    .. math:: \frac{1}{k\,|M|} \sum_{i \in M} \sum_{j=1}^{k} d(y_i, \hat y_{ij}),
              \qquad M = \{i : \hat y_{i1} \ne y_i\}

    ``ŷ_i1 .. ŷ_ik`` are the ``k`` highest-scoring classes of sample ``i`` (ties: the
    lower class index first). Only the samples whose top-1 prediction is wrong count, but
    each counts all its ``k`` predictions, including a correct one further down (distance
    0). With ``k = 1`` it is :func:`mistake_severity`; over all samples instead of the
    mistakes it is :func:`top_k_average_similarity` ("average hierarchical distance@k").
    In "Making Better Mistakes" ``d`` is their hierarchy distance ``H − depth(LCA)``
    (``simmatrix build hierarchy --measure mbm`` gives ``S = 1 − d/H``, so pass
    ``distance=H * (1 - S)``, or ``similarity=S`` for ``d/H``). Their code selects the
    mistakes by ``d(y, ŷ_1) ≠ 0``, the same set whenever distinct classes have a positive
    distance (classes that are leaves of a tree). NaN when there is no mistake.

    Parameters
    ----------
    scores : array of shape (n_samples, n_classes)
        Probabilities or logits, columns in the order of ``classes``.
    k : int in 1..n_classes
    distance, similarity : array of shape (n_classes, n_classes) or SimilarityMatrix
        Exactly one: the distance ``d``, or a similarity with ``d = 1 − S``.

    Examples
    --------
    >>> import numpy as np
    >>> D = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 2.0], [2.0, 2.0, 0.0]])
    >>> scores = np.array([[0.2, 0.5, 0.3], [0.6, 0.3, 0.1]])
    >>> mistakes_at_k([0, 0], scores, 2, classes=3, distance=D)  # (1 + 2) / 2
    1.5
    """
    t, top, M, sign = _top_k(y_true, scores, k, classes, similarity, distance)
    wrong = top[:, 0] != t
    if not wrong.any():
        return float("nan")
    d = M[t[wrong, None], top[wrong]]
    return float(np.mean(d if sign < 0 else 1.0 - d))


def quadratic_weighted_kappa(y_true: Any, y_pred: Any, *, classes: Any) -> float:
    r"""Cohen's kappa with quadratic weights over the ordered class list.

    .. math:: \kappa = 1 - \frac{\sum_{ij} w_{ij} O_{ij}}{\sum_{ij} w_{ij} E_{ij}},
              \quad w_{ij} = (i - j)^2

    Examples
    --------
    >>> quadratic_weighted_kappa([0, 1, 2, 2], [0, 1, 2, 1], classes=3)
    0.8
    """
    names, t, p = _pair(y_true, y_pred, classes)
    n = len(names)
    O = np.zeros((n, n))  # noqa: E741
    np.add.at(O, (t, p), 1.0)
    E = np.outer(O.sum(axis=1), O.sum(axis=0)) / O.sum()
    i = np.arange(n)
    W = (i[:, None] - i[None, :]) ** 2
    denom = (W * E).sum()
    return float(1.0 - (W * O).sum() / denom) if denom > 0 else float("nan")


def unimodal_share(probs: Any, *, atol: float = 0.0) -> float:
    """Share of predicted distributions that rise to their mode and fall after it.

    For ordered classes: row ``p`` is unimodal when ``p[k] ≤ p[k+1] + atol`` before the
    argmax and ``p[k] ≥ p[k+1] - atol`` after it.

    Examples
    --------
    >>> import numpy as np
    >>> unimodal_share(np.array([[0.1, 0.6, 0.3], [0.4, 0.1, 0.5]]))
    0.5
    """
    p = np.asarray(_to_numpy(probs), dtype=np.float64)
    if p.ndim != 2:
        raise SimMatrixError(f"probs must have shape (n_samples, n_classes), got {p.shape}")
    d = np.diff(p, axis=1)  # d[k] = p[k+1] - p[k]
    mode = p.argmax(axis=1)
    before = np.arange(d.shape[1])[None, :] < mode[:, None]
    ok = np.where(before, d >= -atol, d <= atol)
    return float(np.mean(ok.all(axis=1)))


# -- ordinal metrics over the full class list (dlordinal has them over the classes seen) -----
def _per_class_mae(y_true, y_pred, classes, values) -> np.ndarray:
    """MAE of each class that occurs in ``y_true``, in class-list order."""
    names, t, p = _pair(y_true, y_pred, classes)
    if t.size == 0:
        raise SimMatrixError("y_true is empty: per-class metrics need at least one label")
    v = _class_values(values, names)
    err = np.abs(v[p] - v[t])
    count = np.bincount(t, minlength=len(names))
    total = np.bincount(t, weights=err, minlength=len(names))
    seen = count > 0
    return total[seen] / count[seen]


def average_mae(y_true: Any, y_pred: Any, *, classes: Any, values: Any = None) -> float:
    r"""AMAE: the mean over classes of each class's MAE (robust to class imbalance).

    .. math:: \mathrm{AMAE} = \frac{1}{|K|} \sum_{k \in K} \frac{1}{n_k}
              \sum_{i: y_i = k} |v_{\hat y_i} - v_{y_i}|

    ``K`` is the set of classes occurring in ``y_true`` (an absent class has no MAE); the
    distances are between the class values (positions ``0 .. C-1`` in the full class list
    by default), whatever classes the batch holds. dlordinal's ``amae`` instead numbers
    only the classes seen in ``y_true`` or ``y_pred``: with ``y_true = [0, 0]``,
    ``y_pred = [0, 5]`` it measures the mistake as 1 step (AMAE 0.5), not 5 (AMAE 2.5).

    Examples
    --------
    >>> average_mae([0, 0, 2], [0, 1, 0], classes=3)
    1.25
    """
    return float(np.mean(_per_class_mae(y_true, y_pred, classes, values)))


def maximum_mae(y_true: Any, y_pred: Any, *, classes: Any, values: Any = None) -> float:
    """MMAE: the largest per-class MAE, over the classes occurring in ``y_true``.

    Same per-class MAE as :func:`average_mae` (and the same difference with dlordinal).

    Examples
    --------
    >>> maximum_mae([0, 0, 2], [0, 1, 0], classes=3)
    2.0
    """
    return float(np.max(_per_class_mae(y_true, y_pred, classes, values)))


def minimum_sensitivity(y_true: Any, y_pred: Any, *, classes: Any) -> float:
    """The lowest recall of any class occurring in ``y_true`` (MS).

    A class that never occurs in ``y_true`` has no recall and is left out; dlordinal (through
    scikit-learn's ``recall_score``) counts a class seen only in ``y_pred`` as recall 0.

    Examples
    --------
    >>> minimum_sensitivity([0, 0, 1, 1], [0, 1, 1, 1], classes=3)
    0.5
    """
    names, t, p = _pair(y_true, y_pred, classes)
    if t.size == 0:
        raise SimMatrixError("y_true is empty: per-class metrics need at least one label")
    count = np.bincount(t, minlength=len(names))
    hit = np.bincount(t, weights=(t == p).astype(np.float64), minlength=len(names))
    seen = count > 0
    return float(np.min(hit[seen] / count[seen]))


def off_by_one_accuracy(y_true: Any, y_pred: Any, *, classes: Any) -> float:
    """Share of predictions at most one class away in the class order (1-off accuracy).

    Over every prediction and the full class list. dlordinal's ``accuracy_off1`` builds its
    confusion matrix over the classes in ``y_true`` only, so a prediction of any other class
    drops out: ``y_true = [0, 0]``, ``y_pred = [0, 5]`` gives it 1.0; the share is 0.5.

    Examples
    --------
    >>> off_by_one_accuracy([0, 0], [0, 5], classes=6)
    0.5
    """
    _, t, p = _pair(y_true, y_pred, classes)
    return float(np.mean(np.abs(t - p) <= 1))


__all__: Sequence[str] = (
    "average_mae", "maximum_mae", "minimum_sensitivity", "off_by_one_accuracy",
    "accuracy", "mean_absolute_error", "mean_squared_error", "superclass_accuracy",
    "failed_superclass_accuracy", "mistake_severity", "mistakes_at_k", "top_k_average_similarity",
    "quadratic_weighted_kappa", "unimodal_share",
)
