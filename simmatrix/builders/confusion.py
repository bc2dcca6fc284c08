"""Confusion-matrix builder: what a trained model confuses becomes what SimLoss forgives.

Orientation: **row i = true class, column j = predicted class** (as
``sklearn.metrics.confusion_matrix``), the same as a :class:`~simmatrix.SimilarityMatrix`.
From counts ``N`` the builder computes

1. smoothing and row normalisation: ``P_ij = (N_ij + α) / (Σ_k N_ik + C·α)``, an estimate of
   ``P(pred = j | true = i)``;
2. scaling so the diagonal is 1 (``scale``):

   - ``"diagonal"`` (default): ``S_ij = min(1, P_ij / P_ii)`` — "how often is ``i`` taken
     for ``j``, relative to how often it is recognised". A class recognised less often than it
     is confused with ``j`` (``P_ij > P_ii``) is clipped to 1 there; a class never recognised
     (``P_ii = 0``) gets 1 for every class it was confused with. Both are reported in
     ``metadata["clipped"]`` and a :class:`ConfusionScalingWarning`.
   - ``"row-max"``: ``S_ij = P_ij / max_k P_ik``, diagonal then set to 1. Equal to
     ``"diagonal"`` for every row whose diagonal is its largest entry; for a mostly-confused
     class only its most frequent confusion reaches 1, never clipped.

3. optional symmetrisation of ``S`` (:func:`simmatrix.transforms.symmetrize`, mean or max of
   ``S_ij`` and ``S_ji``), recorded in ``metadata["transforms"]``.

A class that never occurs as a true label has no row to estimate; it is an error naming every
such class, unless ``missing="identity"`` gives it the identity row (no credit for any
mistake), listed in ``metadata["missing_rows"]``.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from .._files import csv_rows, read_text
from .._memory import ensure_dense_fits
from ..errors import BuildError, MatrixFileError, quote_list
from ..matrix import SimilarityMatrix, check_classes, default_classes, fingerprint_file
from .table import read_labelled_csv

SCALES = ("diagonal", "row-max")
MISSING = ("error", "identity")


class ConfusionScalingWarning(UserWarning):
    """Diagonal scaling clipped some entries to 1 (classes confused more than recognised)."""


# -- counts ---------------------------------------------------------------------------------
def _codes(labels: Any, classes: tuple[str, ...], what: str) -> np.ndarray:
    """Class indices of ``labels``, given either as class names or as integer indices."""
    arr = np.asarray(labels)
    if arr.ndim != 1:
        raise BuildError(f"{what} must be 1-D, got shape {arr.shape}")
    index = {c: i for i, c in enumerate(classes)}
    try:
        raw, inverse = np.unique(arr, return_inverse=True)  # match each distinct label once
    except TypeError:  # an object array of mixed types
        raw, inverse = np.unique(arr.astype(str), return_inverse=True)
    uniq = [str(u) for u in raw.tolist()]
    if all(u in index for u in uniq):
        return np.array([index[u] for u in uniq], dtype=np.intp)[inverse.ravel()]
    ints = _as_int(arr)
    if ints is not None:
        bad = sorted(set(ints[(ints < 0) | (ints >= len(classes))].tolist()))
        if not bad:
            return ints
        raise BuildError(
            f"{what}: {len(bad)} class indices are outside 0..{len(classes) - 1}: "
            f"{', '.join(map(str, bad[:10]))}"
        )
    unknown = [u for u in uniq if u not in index]
    raise BuildError(f"{what}: {len(unknown)} labels are not in the class list: "
                     f"{quote_list(unknown)}")


def _as_int(arr: np.ndarray) -> np.ndarray | None:
    if np.issubdtype(arr.dtype, np.integer):
        return arr.astype(np.intp)
    try:
        f = arr.astype(np.float64)
    except ValueError:
        return None
    if np.all(np.isfinite(f)) and np.all(np.abs(f) < 2**62) and np.all(f == np.round(f)):
        return f.astype(np.intp)
    return None


def _infer_classes(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[str, ...]:
    """Without a class list: ``0..max`` for integer labels, else the sorted names."""
    both = np.concatenate([np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()])
    ints = _as_int(both)
    if ints is not None and len(ints) and ints.min() >= 0:
        n = int(ints.max()) + 1
        ensure_dense_fits(n, "int64", f"integer labels up to {n - 1}", copies=2, advice=(
            "labels are class indices 0..C-1: give the class list (classes=) or relabel"))
        return default_classes(n)
    return tuple(np.unique(both.astype(str)).tolist())


def counts_from_pairs(
    y_true: Any, y_pred: Any, classes: Any = None
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Count label/prediction pairs into a C×C matrix (row = true, column = predicted).

    Parameters
    ----------
    y_true, y_pred : array of shape (n_samples,)
        Class names, or integer indices into ``classes``.
    classes : sequence of str, optional
        The class list and its order. Without it: ``"0".."max"`` for integer labels, else the
        sorted union of the names seen.

    Returns
    -------
    counts : array of shape (n_classes, n_classes), int64
    classes : tuple of str

    Examples
    --------
    >>> counts_from_pairs(["a", "a", "b"], ["a", "b", "b"])[0].tolist()
    [[1, 1], [0, 1]]
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise BuildError(
            f"labels and predictions differ in length: {y_true.shape} vs {y_pred.shape}"
        )
    if y_true.size == 0:
        raise BuildError("no label/prediction pairs were given")
    names = _infer_classes(y_true, y_pred) if classes is None else check_classes(classes)
    t = _codes(y_true, names, "true labels")
    p = _codes(y_pred, names, "predictions")
    n = len(names)
    counts = np.bincount(t * n + p, minlength=n * n).reshape(n, n).astype(np.int64)
    return counts, names


# -- the builder ----------------------------------------------------------------------------
def from_confusion(
    counts: Any,
    classes: Any = None,
    *,
    smoothing: float = 0.0,
    scale: str = "diagonal",
    symmetrize: str | None = None,
    missing: str = "error",
    sources: list[dict[str, Any]] | None = None,
) -> SimilarityMatrix:
    """Build ``S`` from a confusion matrix of counts.

    .. math:: P_{ij} = \\frac{N_{ij} + α}{\\sum_k N_{ik} + Cα}, \\qquad
              S_{ij} = \\min(1, P_{ij} / P_{ii})

    Parameters
    ----------
    counts : array of shape (n_classes, n_classes)
        Non-negative counts (fractional allowed); row = true class, column = predicted.
    classes : sequence of str, optional
        Row names; ``"0".."C-1"`` when omitted.
    smoothing : float
        Additive (Laplace) smoothing ``α ≥ 0`` added to every count of a seen row.
    scale : {"diagonal", "row-max"}
        How the diagonal becomes 1; see the module docstring.
    symmetrize : {None, "mean", "max"}
        Symmetrise ``S`` after scaling (:func:`simmatrix.transforms.symmetrize`).
    missing : {"error", "identity"}
        What a class with no true-label occurrence (an all-zero row) gets.
    sources : list of dict, optional
        Provenance stored in ``metadata["sources"]``.

    Returns
    -------
    SimilarityMatrix

    Examples
    --------
    >>> S = from_confusion([[8, 2], [1, 9]], ["cat", "dog"])
    >>> S.values.round(4).tolist()
    [[1.0, 0.25], [0.1111, 1.0]]
    """
    if scale not in SCALES:
        raise BuildError(f"scale must be one of {quote_list(SCALES)}, got {scale!r}")
    if missing not in MISSING:
        raise BuildError(f"missing must be one of {quote_list(MISSING)}, got {missing!r}")
    if symmetrize not in (None, "mean", "max"):
        raise BuildError(f"symmetrize must be 'mean' or 'max', got {symmetrize!r}")
    if not (np.isfinite(smoothing) and smoothing >= 0):
        raise BuildError(f"smoothing must be a finite number >= 0, got {smoothing}")
    N = _check_counts(counts)
    names = default_classes(len(N)) if classes is None else check_classes(classes, len(N))
    seen = N.sum(axis=1) > 0
    unseen = [names[i] for i in np.nonzero(~seen)[0]]
    if unseen and missing == "error":
        raise BuildError(
            f"{len(unseen)} classes never occur as a true label, so their row cannot be "
            f"estimated: {quote_list(unseen)}; pass missing='identity' "
            "to give them the identity row"
        )
    C = len(N)
    P = np.zeros_like(N)
    P[seen] = (N[seen] + smoothing) / (N[seen].sum(axis=1, keepdims=True) + C * smoothing)
    vals, clipped = _scale(P, seen, scale, names)
    meta = {
        "builder": "confusion",
        "params": {"smoothing": float(smoothing), "scale": scale, "symmetrize": symmetrize,
                   "missing": missing},
        "sources": sources or [],
        "confusion_orientation": "rows are true classes, columns are predicted classes",
        "n_samples": float(N.sum()),
        "missing_rows": unseen,
        "clipped": clipped,
    }
    S = SimilarityMatrix(vals, names, meta)
    if symmetrize:
        from ..transforms import symmetrize as _symmetrize

        S = _symmetrize(S, symmetrize)
    return S


def _check_counts(counts: Any) -> np.ndarray:
    try:
        N = np.asarray(counts, dtype=np.float64)
    except (TypeError, ValueError):
        raise BuildError("confusion counts must be numbers") from None
    if N.ndim != 2 or N.shape[0] != N.shape[1] or N.shape[0] == 0:
        raise BuildError(f"a confusion matrix must be square and non-empty, got shape {N.shape}")
    bad = np.argwhere(~np.isfinite(N) | (N < 0))
    if len(bad):
        shown = ", ".join(f"[{i}, {j}] = {N[i, j]:g}" for i, j in bad[:5])
        raise BuildError(
            f"confusion counts must be finite and >= 0; {len(bad)} are not: {shown}"
        )
    with np.errstate(over="ignore"):
        sums = N.sum(axis=1)
    if not np.all(np.isfinite(sums)):
        i = int(np.nonzero(~np.isfinite(sums))[0][0])
        raise BuildError(
            f"confusion counts of row {i} add up to more than float64 can hold (max count "
            f"{N[i].max():g}); counts are numbers of samples: rescale them"
        )
    return N


def _scale(P: np.ndarray, seen: np.ndarray, scale: str, names) -> tuple[np.ndarray, list]:
    """Scale rows so the diagonal is 1; returns values and the clipped classes."""
    if scale == "diagonal":
        d = np.diagonal(P)[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(P > 0, P / d, 0.0)  # P_ij / 0 -> inf -> clipped to 1
        over = ratio > 1
        np.fill_diagonal(over, False)
        vals = np.minimum(ratio, 1.0)
    else:
        top = P.max(axis=1, keepdims=True)
        vals = np.divide(P, top, out=np.zeros_like(P), where=top > 0)
        over = np.zeros_like(P, dtype=bool)
    vals[~seen] = 0.0  # a class never seen as a true label gets the identity row
    np.fill_diagonal(vals, 1.0)
    rows = np.nonzero(over.any(axis=1))[0]
    clipped = [
        {"class": names[i], "recognised": float(P[i, i]), "max_confused": float(P[i].max()),
         "n_clipped": int(over[i].sum())}
        for i in rows
    ]
    if clipped:
        warnings.warn(
            f"{len(clipped)} classes are predicted as another class more often than as "
            f"themselves, so min(1, P_ij / P_ii) clips those entries to 1: "
            f"{quote_list(c['class'] for c in clipped)}; consider scale='row-max' or smoothing",
            ConfusionScalingWarning,
            stacklevel=3,
        )
    return vals, clipped


# -- files ----------------------------------------------------------------------------------
def read_counts(path: str | os.PathLike, classes: Any = None):
    """Read counts from ``.npy`` (C×C) or a labelled ``.csv``/``.tsv`` (see
    :func:`simmatrix.builders.table.read_labelled_csv`).

    With ``classes`` the file's labels must be exactly those classes, and the result follows
    their order; a ``.npy`` file must then have ``len(classes)`` rows.

    Returns
    -------
    counts : array of shape (n_classes, n_classes)
    classes : tuple of str
    """
    p = Path(path)
    if p.suffix.lower() == ".npy":
        N = _load_npy(p, "confusion matrix")
        names = default_classes(len(N)) if classes is None else check_classes(classes)
        if N.ndim != 2 or N.shape != (len(names), len(names)):
            raise BuildError(
                f"confusion matrix {str(p)!r} has shape {N.shape}; expected a square matrix "
                f"with one row per class ({len(names)})"
            )
        return N, names
    table = read_labelled_csv(p, "confusion matrix")
    N = np.nan_to_num(table.values, nan=0.0)
    if classes is None:
        return N, table.classes
    names = check_classes(classes)
    row, wanted = {c: i for i, c in enumerate(table.classes)}, set(names)
    extra = [c for c in table.classes if c not in wanted]
    absent = [c for c in names if c not in row]
    if extra or absent:
        parts = [f"{len(extra)} not in the class list: {quote_list(extra)}"] if extra else []
        parts += [f"{len(absent)} classes missing from the file: {quote_list(absent)}"] \
            if absent else []
        raise BuildError(f"confusion matrix {str(p)!r} labels differ from the class list; "
                         + "; ".join(parts))
    idx = np.array([row[c] for c in names], dtype=np.intp)
    return N[np.ix_(idx, idx)], names


def read_pairs(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read a two-column CSV/TSV of ``true,predicted`` (a header row is skipped if present)."""
    p = Path(path)
    rows = csv_rows(read_text(p, "pairs file"), p)
    bad = [i + 1 for i, r in enumerate(rows) if len(r) != 2]
    if bad:
        raise MatrixFileError(
            f"pairs file {str(p)!r} must have two columns (true, predicted); line(s) "
            f"{', '.join(map(str, bad[:10]))} do not"
        )
    if rows and rows[0][0].lower() in _HEADER_WORDS and rows[0][1].lower() in _HEADER_WORDS:
        rows = rows[1:]
    if not rows:
        raise MatrixFileError(f"pairs file {str(p)!r} has no label/prediction pairs")
    arr = np.array(rows, dtype=str)
    return arr[:, 0], arr[:, 1]


_HEADER_WORDS = {"true", "label", "labels", "y", "y_true", "target", "truth", "actual",
                 "pred", "prediction", "predictions", "predicted", "y_pred", "output"}


def _load_npy(p: Path, what: str, text: bool = False) -> np.ndarray:
    from ..io import load_array

    return load_array(p, what, text=text)


def load_label_arrays(labels: str | os.PathLike, predictions: str | os.PathLike):
    """Load two ``.npy`` arrays of true labels and predictions (names or indices)."""
    return (_load_npy(Path(labels), "labels file", text=True),
            _load_npy(Path(predictions), "predictions file", text=True))


def build_confusion(
    *,
    matrix: str | os.PathLike | None = None,
    pairs: str | os.PathLike | None = None,
    labels: str | os.PathLike | None = None,
    predictions: str | os.PathLike | None = None,
    classes: Any = None,
    **kwargs: Any,
) -> SimilarityMatrix:
    """Read one input form (count matrix, pairs file, or two label arrays) and build ``S``."""
    given = [k for k, v in (("matrix", matrix), ("pairs", pairs), ("labels", labels))
             if v is not None]
    if len(given) != 1 or (labels is None) != (predictions is None):
        raise BuildError("give exactly one input: a count matrix, a pairs file, or "
                         "labels together with predictions")
    if matrix is not None:
        N, names = read_counts(matrix, classes)
        files = [matrix]
    else:
        if pairs is not None:
            y_true, y_pred = read_pairs(pairs)
            files = [pairs]
        else:
            y_true, y_pred = load_label_arrays(labels, predictions)
            files = [labels, predictions]
        N, names = counts_from_pairs(y_true, y_pred, classes)
    return from_confusion(N, names, sources=[fingerprint_file(f) for f in files], **kwargs)
