"""What ``simmatrix inspect`` shows: a JSON-able summary of a matrix."""

from __future__ import annotations

from typing import Any

import numpy as np

from .matrix import SimilarityMatrix
from .validate import validate

HIST_BINS = 10


def summarize(S: SimilarityMatrix, top_k: int = 3) -> dict[str, Any]:
    """Shape, value statistics, symmetry, nearest classes, and distance from cross-entropy.

    ``off_diagonal_mass`` is ``mean_i Σ_{j≠i} S_ij``: 0 for the identity (plain
    cross-entropy); the larger it is, the more credit SimLoss gives to near misses.

    >>> import numpy as np
    >>> s = summarize(SimilarityMatrix(np.eye(3)))
    >>> s["off_diagonal_mass"]["mean"], s["validation"]["valid"]
    (0.0, True)
    """
    n = len(S)
    report = validate(S)
    vals = S.to_dense().astype(np.float64)
    off_mask = ~np.eye(n, dtype=bool)
    off = vals[off_mask]
    finite = off[np.isfinite(off)]
    counts, edges = np.histogram(np.clip(finite, 0, 1), bins=HIST_BINS, range=(0.0, 1.0))
    mass = np.where(off_mask, np.nan_to_num(vals), 0.0).sum(axis=1)
    asym = float(np.max(np.abs(np.nan_to_num(vals - vals.T)))) if n else 0.0
    return {
        "shape": list(S.shape),
        "dtype": str(S.dtype),
        "sparse": S.is_sparse,
        "n_classes": n,
        "classes": list(S.classes),
        "builder": S.metadata.get("builder"),
        "metadata": S.metadata,
        "values": {
            "min": float(np.nanmin(vals)) if n else None,
            "max": float(np.nanmax(vals)) if n else None,
            "mean_off_diagonal": float(finite.mean()) if finite.size else 0.0,
            "zero_fraction_off_diagonal": float((finite == 0).mean()) if finite.size else 0.0,
            "histogram_off_diagonal": {"edges": edges.round(6).tolist(),
                                       "counts": counts.tolist()},
        },
        "symmetric": asym <= 1e-6,
        "max_asymmetry": asym,
        "off_diagonal_mass": {
            "mean": float(mass.mean()) if n else 0.0,
            "max": float(mass.max()) if n else 0.0,
            "identity_rows": int((mass == 0).sum()),
        },
        "top_k": _top_k(vals, S.classes, top_k),
        "validation": report.to_dict(),
    }


def _top_k(vals: np.ndarray, classes: tuple[str, ...], k: int) -> dict[str, list]:
    n = len(classes)
    k = max(0, min(k, n - 1))
    if k == 0:
        return {c: [] for c in classes}
    masked = np.where(np.eye(n, dtype=bool), -np.inf, np.nan_to_num(vals, nan=-np.inf))
    idx = np.argpartition(-masked, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(masked, idx, axis=1), axis=1, kind="stable")
    idx = np.take_along_axis(idx, order, axis=1)
    return {
        c: [[classes[j], round(float(vals[i, j]), 6)] for j in idx[i]]
        for i, c in enumerate(classes)
    }
