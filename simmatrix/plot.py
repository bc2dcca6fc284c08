"""Pictures of a matrix: a heatmap ordered so structure shows, and one class's neighbours.

matplotlib is imported only here, through its object-oriented API (no pyplot, no display),
so drawing works headless. Install it with ``pip install "simmatrix[plot]"``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._suggest import close_matches, did_you_mean
from .errors import BuildError, require
from .matrix import SimilarityMatrix

MAX_LABELLED = 100  # axes are labelled up to this many classes
MAX_CLUSTERED = 5_000  # average linkage needs C²/2 distances; above this, keep the order
MAX_HEATMAP = 10_000  # a heatmap of more classes is a blur of more pixels than a screen has
ORDERS = ("auto", "cluster", "tree", "given")


def leaf_order(S: SimilarityMatrix, order: str = "auto") -> np.ndarray:
    """Row/column order for a heatmap.

    ``"given"`` keeps the matrix's order; ``"tree"`` takes the hierarchy's depth-first leaf
    order, which the hierarchy builder stores as ``metadata["hierarchy"]["leaf_order"]``
    (so CIFAR-100's superclasses show as 20 blocks); ``"cluster"`` applies average-linkage
    hierarchical clustering (scipy) to the distance ``1 − (S + Sᵀ)/2`` and takes its leaf
    order; ``"auto"`` is ``tree`` when the matrix has a tree order, ``given`` for ordered
    classes (the order builder) or above 5,000 classes, and ``cluster`` otherwise.
    """
    if order not in ORDERS:
        raise BuildError(f"order must be one of {', '.join(ORDERS)}, got {order!r}")
    n = len(S)
    tree = _tree_order(S)
    if order == "auto":
        if tree is not None:
            order = "tree"
        else:
            given = S.metadata.get("builder") in ("order", "hierarchy") or n > MAX_CLUSTERED
            order = "given" if given else "cluster"
    if order == "tree":
        if tree is None:
            raise BuildError("the matrix has no tree order (only matrices built from a "
                             "hierarchy keep one); use order='cluster' or order='given'")
        return tree
    if order == "cluster" and n > MAX_CLUSTERED:
        raise BuildError(f"clustering {n} classes is too slow (limit {MAX_CLUSTERED}); "
                         "use order='given'")
    if order == "given" or n < 3:
        return np.arange(n)
    from scipy.cluster.hierarchy import leaves_list, linkage
    from scipy.spatial.distance import squareform

    vals = np.nan_to_num(S.to_dense().astype(np.float64), nan=0.0, posinf=1.0, neginf=0.0)
    dist = 1.0 - (vals + vals.T) / 2.0  # an invalid S (the report draws those) stays finite
    np.fill_diagonal(dist, 0.0)
    Z = linkage(squareform(np.clip(dist, 0, None), checks=False), method="average",
                optimal_ordering=n <= 300)
    return leaves_list(Z)


def _tree_order(S: SimilarityMatrix) -> np.ndarray | None:
    """The stored leaf order as row numbers: classes the tree names first, in its order,
    then any others (a matrix selected or extended after the build) in their own order."""
    hier = S.metadata.get("hierarchy")
    names = hier.get("leaf_order") if isinstance(hier, dict) else None
    if not isinstance(names, list) or not names:
        return None
    seen: set[int] = set()
    first = []
    for name in names:
        if isinstance(name, str) and name in S and S.index(name) not in seen:
            seen.add(S.index(name))
            first.append(S.index(name))
    rest = [i for i in range(len(S)) if i not in seen]
    return np.array(first + rest, dtype=np.intp)


SCALES = ("off-diagonal", "full")


def describe(S: SimilarityMatrix) -> str:
    """A title from the provenance: builder, measure, transforms and size."""
    meta = S.metadata
    parts = [meta.get("name") or meta.get("builder") or "matrix"]
    measure = (meta.get("params") or {}).get("measure")
    if measure:
        parts[0] += f" {measure}"
    for t in meta.get("transforms") or []:
        args = ", ".join(f"{k}={v}" for k, v in t.items() if k != "name")
        parts.append(f"{t.get('name')}({args})")
    return ", ".join(parts) + f": {len(S)} classes"


def heatmap(S: SimilarityMatrix, *, order: str = "auto", title: str | None = None,
            cmap: str = "viridis", scale: str = "off-diagonal") -> Any:
    """A matplotlib Figure with the heatmap of ``S`` and a colour bar.

    Classes are labelled on both axes when there are at most 100 of them. Rows are true
    classes, columns predicted classes. ``scale="off-diagonal"`` (the default) spans the
    colours over [0, largest off-diagonal value], so small similarities (a confusion-built
    S) stay visible beside the diagonal of ones; ``"full"`` spans [0, 1].
    """
    if scale not in SCALES:
        raise BuildError(f"scale must be one of {', '.join(SCALES)}, got {scale!r}")
    figure_mod = require("matplotlib.figure", "plot")
    if len(S) > MAX_HEATMAP:
        raise BuildError(f"{len(S)} classes are too many for a heatmap (limit {MAX_HEATMAP}); "
                         "draw one class's neighbours with neighbours(S, cls)")
    idx = leaf_order(S, order)
    vals = S.to_dense()[np.ix_(idx, idx)]
    n = len(S)
    size = min(14.0, max(5.0, 0.12 * n + 3.0)) if n <= MAX_LABELLED else 9.0
    fig = figure_mod.Figure(figsize=(size + 1.2, size), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    vmax = 1.0
    if scale == "off-diagonal" and n > 1:
        off = vals[~np.eye(n, dtype=bool)]
        off = off[np.isfinite(off)]
        vmax = float(off.max()) if off.size and off.max() > 0 else 1.0
    im = ax.imshow(vals, vmin=0.0, vmax=vmax, cmap=cmap, interpolation="nearest",
                   aspect="equal")
    label = "similarity S[true, predicted]"
    if vmax < 1.0:
        label = "S[true, predicted], off-diagonal scale (diagonal = 1)"
    fig.colorbar(im, ax=ax, shrink=0.8, label=label)
    names = [S.classes[i] for i in idx]
    if n <= MAX_LABELLED:
        fontsize = max(4.0, min(9.0, 600.0 / max(n, 1)))
        ax.set_xticks(range(n), names, rotation=90, fontsize=fontsize)
        ax.set_yticks(range(n), names, fontsize=fontsize)
    else:
        ax.set_xticks([])
        ax.set_yticks([])
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title or describe(S))
    return fig


def neighbours(S: SimilarityMatrix, cls: str, *, top: int = 20, title: str | None = None,
               names: dict[str, str] | None = None) -> Any:
    """A horizontal bar chart of the ``top`` classes most similar to true class ``cls``.

    ``names`` maps classes to human names shown beside them (``n01440764 (tench)``), as
    :func:`simmatrix.summary.human_names` gives for wnids.
    """
    names = names or {}
    figure_mod = require("matplotlib.figure", "plot")
    try:
        i = S.index(cls)
    except KeyError:
        hint = did_you_mean(close_matches(str(cls), S.classes))
        raise BuildError(f"class {str(cls)!r} is not in the matrix{hint}") from None
    row = S.row(cls).astype(np.float64)
    row[i] = -np.inf
    top = max(1, min(top, len(S) - 1))
    idx = np.argsort(-row, kind="stable")[:top]
    fig = figure_mod.Figure(figsize=(7, 1.0 + 0.3 * top), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    ax.barh(range(top), row[idx], color="tab:blue")
    shown = [f"{c} ({names[c]})" if c in names else c for c in S.classes]
    ax.set_yticks(range(top), [shown[j] for j in idx])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel(f"S[{cls}, predicted]")
    ax.set_title(title or f"classes most similar to {shown[i]!r}")
    return fig
