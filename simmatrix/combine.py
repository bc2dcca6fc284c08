"""Combining several similarity matrices over the same classes into one.

Classes are aligned **by name**, never by position: the result follows the first input's
class order, and each other input is re-ordered to it. Inputs whose class sets differ are an
error listing every class that is not in every input, unless ``intersect=True`` keeps only
the common classes (the dropped ones are listed in ``metadata["dropped_classes"]``).

Rules (``w`` = weights normalised to sum to 1, default equal):

- ``"mean"``: ``S = Σ_k w_k S_k`` (weighted arithmetic mean);
- ``"product"``: without weights, the plain product ``S = Π_k S_k`` (credit only where every
  source gives credit, and less than any single source); with weights, the weighted geometric
  mean ``S = Π_k S_k^{w_k}``. Note that ``weights=[1, 1]`` is therefore the geometric mean
  ``sqrt(S_1 S_2)``, not ``S_1 S_2``;
- ``"max"`` / ``"min"``: elementwise; weights are not accepted.

Every rule keeps the diagonal at 1 and values in [0, 1] when the inputs are valid.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._memory import ensure_dense_fits
from .errors import BuildError, InvalidMatrixError, quote_list
from .matrix import SimilarityMatrix

HOWS = ("mean", "product", "max", "min")


def _labels(n: int, labels: Sequence[str] | None) -> list[str]:
    if labels is None:
        return [f"input {k + 1}" for k in range(n)]
    return [f"input {k + 1} ({lab!r})" for k, lab in enumerate(labels)]


def _common_classes(matrices, labels, intersect: bool) -> tuple[tuple[str, ...], list[str]]:
    sets = [set(S.classes) for S in matrices]
    common = set.intersection(*sets)
    first_seen: dict[str, None] = {}
    for S in matrices:
        first_seen.update(dict.fromkeys(S.classes))
    uneven = [c for c in first_seen if c not in common]
    if uneven and not intersect:
        lacks = [f"{lab} lacks {quote_list([c for c in uneven if c not in s], limit=5)}"
                 for lab, s in zip(labels, sets, strict=True) if not set(uneven) <= s]
        raise BuildError(
            f"the inputs have different classes; {len(uneven)} classes are not in every "
            f"input: {quote_list(uneven)} ({'; '.join(lacks)}); use intersect=True "
            f"to keep the {len(common)} common classes"
        )
    order = tuple(c for c in matrices[0].classes if c in common)
    if not order:
        raise BuildError("the inputs have no class in common")
    return order, uneven


def _weights(weights, n: int, how: str) -> np.ndarray | None:
    if weights is None:
        return None
    if how in ("max", "min"):
        raise BuildError(f"weights apply to 'mean' and 'product' only, not to {how!r}")
    w = np.asarray(weights, dtype=np.float64).ravel()
    if len(w) != n:
        raise BuildError(f"{len(w)} weights for {n} matrices; give one weight per matrix")
    if not (np.all(np.isfinite(w)) and np.all(w >= 0) and w.sum() > 0):
        raise BuildError(f"weights must be finite, >= 0 and not all 0, got {w.tolist()}")
    return w / w.sum()


def combine(
    matrices: Sequence[SimilarityMatrix],
    how: str = "mean",
    weights: Sequence[float] | None = None,
    intersect: bool = False,
    *,
    labels: Sequence[str] | None = None,
    sources: Sequence[dict[str, Any]] | None = None,
) -> SimilarityMatrix:
    """Combine similarity matrices elementwise, aligned by class name.

    Parameters
    ----------
    matrices : sequence of SimilarityMatrix
        Each of shape (n_k, n_k); sparse ones are made dense.
    how : {"mean", "product", "max", "min"}
    weights : sequence of float, optional
        One per matrix, ``>= 0``; normalised to sum to 1. Only for ``"mean"`` and
        ``"product"`` (where they make it the weighted geometric mean).
    intersect : bool
        Keep only the classes every input has, instead of raising.
    labels : sequence of str, optional
        Names of the inputs (file names) used in error messages and metadata.
    sources : sequence of dict, optional
        File fingerprints of the inputs, stored in ``metadata["sources"]``.

    Returns
    -------
    SimilarityMatrix
        Classes in the first input's order; ``metadata["inputs"]`` holds every input's own
        metadata and fingerprint.

    Examples
    --------
    >>> import numpy as np
    >>> A = SimilarityMatrix(np.array([[1, 0.2], [0.2, 1]]), ["a", "b"])
    >>> B = SimilarityMatrix(np.array([[1, 0.6], [0.6, 1]]), ["b", "a"])
    >>> combine([A, B], "mean").values.tolist()
    [[1.0, 0.4], [0.4, 1.0]]
    >>> round(combine([A, B], "mean", weights=[3, 1])["a", "b"], 6)
    0.3
    """
    matrices = list(matrices)
    if not matrices:
        raise BuildError("combine needs at least one matrix")
    if how not in HOWS:
        raise BuildError(f"how must be one of {quote_list(HOWS)}, got {how!r}")
    if not all(isinstance(S, SimilarityMatrix) for S in matrices):
        raise BuildError("combine takes SimilarityMatrix objects (load files with simmatrix.io)")
    if labels is not None and len(labels) != len(matrices):
        raise BuildError(f"{len(labels)} labels for {len(matrices)} matrices")
    names = _labels(len(matrices), labels)
    _check_inputs(matrices, names)
    w = _weights(weights, len(matrices), how)
    classes, dropped = _common_classes(matrices, names, intersect)
    ensure_dense_fits(len(classes), "float64", f"combining {len(matrices)} matrices",
                      copies=len(matrices) + 2, advice="combine fewer classes (intersect=True "
                      "with a smaller class set), or fewer inputs at a time")
    stack = np.stack([S.select(classes).to_dense().astype(np.float64) for S in matrices])
    if how == "mean":
        vals = np.tensordot(w, stack, axes=1) if w is not None else stack.mean(axis=0)
    elif how == "product":
        vals = stack.prod(axis=0) if w is None else np.prod(stack ** w[:, None, None], axis=0)
    elif how == "max":
        vals = stack.max(axis=0)
    else:
        vals = stack.min(axis=0)
    np.fill_diagonal(vals, 1.0)
    meta = {
        "builder": "combine",
        "params": {"how": how, "weights": None if w is None else w.tolist(),
                   "intersect": bool(intersect)},
        "sources": list(sources or []),
        "inputs": [
            {"label": lab, "fingerprint": S.fingerprint(), "n_classes": len(S),
             "metadata": S.metadata}
            for lab, S in zip(labels or names, matrices, strict=True)
        ],
        "dropped_classes": dropped,
    }
    return SimilarityMatrix(vals, classes, meta)


def _check_inputs(matrices, names) -> None:
    from .validate import validate

    for lab, S in zip(names, matrices, strict=True):
        report = validate(S)
        if report.errors:
            more = f" (and {len(report.errors) - 1} more)" if len(report.errors) > 1 else ""
            raise InvalidMatrixError(f"{lab} is not a valid similarity matrix: "
                                 f"{report.errors[0]}{more}")
