r"""Class similarity from a hierarchy: a taxonomy tree or a DAG such as WordNet's.

Notation: the graph has edges parent → child and one root (several roots are joined under a
virtual root ``"<root>"``, reported in the metadata). For a node :math:`v`,
:math:`\operatorname{depth}(v)` is its number of edges from the root and
:math:`\operatorname{height}(v)` the number of edges of the longest downward path to a leaf
(leaves have height 0); :math:`H = \operatorname{height}(\text{root})`. The common
ancestors :math:`CA(a, b)` are the nodes with a directed path to both :math:`a` and
:math:`b` (a node is its own ancestor). In a tree the lowest common ancestor (LCA) is the
deepest of them; in a DAG each measure takes the best common ancestor for that measure,
which is always a *lowest* one (no other common ancestor below it), so all four measures
reduce to the tree formulas on trees.

Measures (:math:`S_{aa} = 1` always; :math:`\operatorname{dist}(c, a)` is the shortest
directed path length from :math:`c` down to :math:`a`):

``lca-height`` (Barz & Denzler 2019)
    :math:`S_{ab} = 1 - \min_{c \in CA(a,b)} \operatorname{height}(c) / H`.
``wup`` (Wu & Palmer 1994, on the graph, with nltk's convention that the root has depth 1)
    :math:`S_{ab} = \max_{c \in CA(a,b)} \frac{2\,(\operatorname{depth}(c) + 1)}
    {2\,(\operatorname{depth}(c) + 1) + \operatorname{dist}(c,a) + \operatorname{dist}(c,b)}`,
    which in a tree is :math:`2\,(\operatorname{depth}(\mathrm{lca}) + 1) /
    (\operatorname{depth}(a) + \operatorname{depth}(b) + 2)`: nltk's ``wup_similarity``
    and cvjena/semantic-embeddings' value on the same tree.
``path``
    :math:`S_{ab} = 1 / (1 + d_{ab})` with
    :math:`d_{ab} = \min_{c \in CA(a,b)} \operatorname{dist}(c,a) + \operatorname{dist}(c,b)`,
    the number of edges of the shortest path up to a common ancestor and down again (in a
    tree, the tree distance).
``soft``
    :math:`S_{ab} = \exp(-\beta\, d_{ab} / H)` on the LCA height
    :math:`d_{ab} = \min_{c \in CA(a,b)} \operatorname{height}(c)`.
``mbm`` (the LCA distance of Bertinetto et al. 2020, "making better mistakes")
    :math:`S_{ab} = 1 - d_{ab} / H` with their distance
    :math:`d_{ab} = H - \max_{c \in CA(a,b)} \operatorname{depth}(c)`.
``mbm-soft`` (their soft labels, before normalisation)
    :math:`S_{ab} = \exp(-\beta\, d_{ab} / H)` on the same :math:`d_{ab}`.

``dag_policy`` sets :math:`\operatorname{depth}(v)` for a node with several paths from the
root: ``"longest"`` (the default; depth then grows along every edge, as WordNet's
``max_depth``) or ``"shortest"`` (``min_depth``). Only ``wup`` and ``mbm`` use depth;
heights and path lengths have no choice to make.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import BuildError, InvalidMatrixError, require
from ..matrix import SimilarityMatrix, check_classes, fingerprint_file
from ._hierarchy_index import (
    DAG_POLICIES,
    HierarchyIndex,
    class_distances,
    class_members,
    class_nodes,
    default_classes,
    index_hierarchy,
    subtree_ranges,
)

MEASURES = ("lca-height", "wup", "path", "soft", "mbm", "mbm-soft")
#: Largest number of classes built as a dense C×C array (about 3 GB of float64).
DENSE_LIMIT = 20_000
#: Largest class count whose tree (leaf) order is kept in the metadata, for pictures.
LEAF_ORDER_LIMIT = 10_000
_LCA_ONLY = ("lca-height", "soft")  # a function of the LCA's height
_DEPTH_ONLY = ("mbm", "mbm-soft")  # a function of the deepest common ancestor's depth


def hierarchy_matrix(
    graph: Any,
    classes: Sequence[str] | None = None,
    *,
    measure: str = "lca-height",
    beta: float = 4.0,
    dag_policy: str = "longest",
    top_k: int | None = None,
    format: str | None = None,
    child_parent: bool | None = None,
) -> SimilarityMatrix:
    r"""Build S from a class hierarchy (see the module docstring for the formulas).

    Parameters
    ----------
    graph : path-like, networkx.DiGraph, mapping or iterable of (parent, child) pairs
        The hierarchy, edges parent → child; files are read by
        :func:`simmatrix.sources.graphs.read_hierarchy` (edge list, nested JSON, GraphML, indented
        text, CIFAR-100's label file).
    classes : sequence of str, optional
        The classes, in the order of the rows; internal nodes are allowed. Default: the
        classes the file names (CIFAR-100's fine labels), else the leaves in depth-first
        preorder from the root, children in input order, so siblings sit side by side.
    measure : {"lca-height", "wup", "path", "soft", "mbm", "mbm-soft"}
    beta : float
        Sharpness of ``soft`` and ``mbm-soft``, > 0.
    dag_policy : {"longest", "shortest"}
        Depth of a node with several paths from the root (used by ``wup``).
    top_k : int, optional
        Keep the diagonal and the ``k`` largest off-diagonal entries of each row (as
        :func:`simmatrix.transforms.top_k`) in a scipy sparse CSR matrix; ties go to the
        class earlier in depth-first order, so a class keeps its nearest relatives. For
        ``lca-height`` and ``soft`` on a tree this never forms a dense C×C array, so
        100,000 classes take seconds.
    format, child_parent
        Passed to :func:`~simmatrix.sources.graphs.read_hierarchy` for a file.

    Returns
    -------
    SimilarityMatrix of shape (n_classes, n_classes)
        Symmetric (dense builds), values in [0, 1], diagonal 1.

    Examples
    --------
    >>> S = hierarchy_matrix({"animal": {"cat": None, "dog": None}, "plant": ["rose"]})
    >>> S.classes
    ('cat', 'dog', 'rose')
    >>> S["cat", "dog"], S["cat", "rose"]
    (0.5, 0.0)
    """
    require("networkx", "graphs")
    from ..sources.graphs import read_hierarchy

    _check_params(measure, beta, dag_policy, top_k)
    g, info = read_hierarchy(graph, format=format, child_parent=child_parent)
    if classes is not None:
        order_note = "given"
    elif info.get("classes"):
        classes, order_note = info["classes"], "as listed in the file"
    else:
        order_note = "leaves in depth-first preorder"
    index = index_hierarchy(g, dag_policy, classes=classes)
    if classes is None:
        classes = default_classes(index, g)
    try:
        names = check_classes(classes)
    except InvalidMatrixError as exc:
        raise BuildError(str(exc)) from None
    if not names:
        raise BuildError("no classes: the class list is empty")
    nodes = class_nodes(index, names)
    values = _values(index, nodes, measure, beta, top_k)
    params = {"measure": measure, "dag_policy": dag_policy, "format": info["format"]}
    if measure in ("soft", "mbm-soft"):
        params["beta"] = float(beta)
    if top_k is not None:
        params["top_k"] = int(top_k)
    if child_parent is not None:
        params["child_parent"] = bool(child_parent)
    extra = index.summary()
    extra.update(class_order=order_note,
                 internal_classes=int(np.count_nonzero(index.height[nodes] > 0)))
    tree = np.argsort(nodes, kind="stable")  # the classes in depth-first (leaf) order
    if len(names) <= LEAF_ORDER_LIMIT and np.any(tree != np.arange(len(names))):
        extra["leaf_order"] = [names[i] for i in tree]  # by name: survives select()
    return SimilarityMatrix(values, names, {
        "builder": "hierarchy", "params": params, "sources": [_source(graph, g)],
        "hierarchy": extra,
    })


def _values(index: HierarchyIndex, nodes: np.ndarray, measure: str, beta: float, top_k):
    """S for the classes at node numbers ``nodes``, in their order: dense or sparse CSR.

    The work happens in the *work order* (classes sorted by preorder number), where every
    subtree of a tree is a contiguous range; the result is permuted back at the end.
    """
    work = np.argsort(nodes, kind="stable")  # work position -> output position
    pre = nodes[work]  # preorder numbers of the classes, ascending
    n = len(nodes)
    if top_k is not None and index.is_tree and measure in _LCA_ONLY:
        parts = _top_k_tree(index, pre, top_k, _lca_value(index, measure, beta))
        return _to_output_sparse(parts, work, n)
    if n > DENSE_LIMIT:
        raise BuildError(
            f"{n} classes is too many for a dense matrix (limit {DENSE_LIMIT}); use "
            "top_k with measure 'lca-height' or 'soft' on a tree"
        )
    dense = _dense(index, pre, measure, beta)
    if top_k is not None:
        return _to_output_sparse(_sparsify(dense, top_k), work, n)
    if np.all(work[1:] > work[:-1]):  # the output order is the work order
        return dense
    back = np.argsort(work)
    return dense[np.ix_(back, back)]


def _check_params(measure, beta, dag_policy, top_k) -> None:
    if measure not in MEASURES:
        raise BuildError(f"unknown measure {measure!r}; choose one of {', '.join(MEASURES)}")
    if not (np.isfinite(beta) and beta > 0):
        raise BuildError(f"beta must be a positive number, got {beta!r}")
    if dag_policy not in DAG_POLICIES:
        raise BuildError(f"unknown dag_policy {dag_policy!r}; choose longest or shortest")
    if top_k is not None and (int(top_k) != top_k or top_k < 0):
        raise BuildError(f"top_k must be an integer >= 0, got {top_k!r}")


def _source(graph: Any, g) -> dict:
    if isinstance(graph, (str, os.PathLike)):
        return fingerprint_file(graph)
    return {"name": type(graph).__name__, "nodes": g.number_of_nodes(),
            "edges": g.number_of_edges()}


def _lca_value(index: HierarchyIndex, measure: str, beta: float):
    """The value as a function of the LCA's height, for lca-height and soft."""
    return lambda h: _lca_inplace(np.array(h, dtype=np.float64), index, measure, beta)


def _lca_inplace(K: np.ndarray, index: HierarchyIndex, measure: str, beta: float):
    """Turn LCA heights (lca-height, soft) or depths (mbm, mbm-soft) ``K`` into S, in place."""
    H = float(index.height[0]) or 1.0
    if measure in _DEPTH_ONLY:  # d = H - depth(lca)
        K -= H
        K *= -1.0
        measure = "soft" if measure == "mbm-soft" else "lca-height"
    if measure == "soft":
        K *= -beta / H
        return np.exp(K, out=K)
    K *= -1.0 / H
    K += 1.0
    return K


# -- dense, in work order (classes sorted by preorder) -------------------------------------
def _dense(index: HierarchyIndex, pre: np.ndarray, measure: str, beta: float) -> np.ndarray:
    if index.is_tree:
        S = _dense_tree(index, pre, measure, beta)
    else:
        S = _dense_dag(index, pre, measure, beta)
    np.fill_diagonal(S, 1.0)
    return S


def _dense_tree(index, pre, measure, beta) -> np.ndarray:
    """Each node writes its key on its block; deeper nodes come later and win.

    Nodes are numbered in preorder, so an ancestor always comes before its descendants,
    the only nodes whose blocks overlap its own.
    """
    lo, hi, _ = subtree_ranges(index, pre)
    key = index.height if measure in _LCA_ONLY else index.depth
    nodes = np.flatnonzero(hi - lo >= 2)  # ascending preorder
    K = np.zeros((len(pre), len(pre)), dtype=np.float64)
    for v in nodes:  # one slice per internal node, never per pair
        K[lo[v]:hi[v], lo[v]:hi[v]] = key[v]
    if measure in _LCA_ONLY or measure in _DEPTH_ONLY:
        return _lca_inplace(K, index, measure, beta)
    d = index.depth[pre].astype(np.float64)
    total = d[:, None] + d[None, :]
    if measure == "wup":  # nltk's depths: the root has depth 1
        K += 1.0
        K *= 2.0
        K /= total + 2.0
        return K
    total -= 2.0 * K  # tree distance
    total += 1.0
    return np.reciprocal(total, out=total)


def _dense_dag(index, pre, measure, beta) -> np.ndarray:
    """Each common ancestor offers a value on its members' block; keep the best."""
    member = class_members(index, pre)
    nodes = np.flatnonzero(member.sum(axis=1) >= 2)
    n = len(pre)
    if measure in _LCA_ONLY or measure in _DEPTH_ONLY:
        K = np.zeros((n, n), dtype=np.float64)
        # later nodes win: the minimum height, or the maximum depth
        key = -index.height if measure in _LCA_ONLY else index.depth
        nodes = nodes[np.argsort(key[nodes], kind="stable")]
        for v in nodes:
            idx = np.flatnonzero(member[v])
            K[np.ix_(idx, idx)] = (index.height if measure in _LCA_ONLY else index.depth)[v]
        return _lca_inplace(K, index, measure, beta)
    dist = class_distances(index, pre)
    best = np.zeros((n, n), dtype=np.float64)
    for v in nodes:
        idx = np.flatnonzero(member[v])
        dv = dist[v, idx].astype(np.float64)
        up_down = dv[:, None] + dv[None, :]
        if measure == "path":
            offer = 1.0 / (1.0 + up_down)
        else:  # wup, the root at depth 1 (nltk)
            dc = 2.0 * (index.depth[v] + 1)
            offer = dc / (dc + up_down)
        block = np.ix_(idx, idx)
        best[block] = np.maximum(best[block], offer)
    return best


# -- sparse top-k --------------------------------------------------------------------------
def _sparsify(dense: np.ndarray, k: int, block: int = 1024):
    """Diagonal + k largest per row of a work-order matrix; ties to the lower position."""
    from .cosine import block_top_k

    n = dense.shape[0]
    k = min(int(k), n - 1) + 1  # the diagonal first
    rows, cols = [], []
    for start in range(0, n, block):
        part = dense[start:start + block].copy()
        part[np.arange(len(part)), np.arange(start, start + len(part))] = 2.0
        top = block_top_k(part, k)[0]  # = a stable argsort's first k, without the sort
        rows.append(np.repeat(np.arange(start, start + len(part)), k))
        cols.append(top.ravel())
    r, c = np.concatenate(rows), np.concatenate(cols)
    return r, c, dense[r, c]


def _top_k_tree(index: HierarchyIndex, pre: np.ndarray, k: int, value):
    """Diagonal + k largest per row for an LCA-only measure on a tree, never dense.

    Walking up from class ``a``, the classes whose LCA with ``a`` is ancestor ``u`` form a
    *ring*: the range of ``u`` minus the range of the child on the way. Values fall ring by
    ring, so each row takes whole rings until ``k`` are taken, the last ring from its left
    end (lowest depth-first position). All rows climb together, one level per step.
    """
    lo, hi, parent = subtree_ranges(index, pre)
    n = len(pre)
    pos = np.arange(n)
    rows, cols, vals = [pos], [pos], [np.ones(n)]
    need = np.full(n, min(int(k), n - 1))
    cur, plo, phi = pre.copy(), pos.copy(), pos + 1
    active = np.flatnonzero(need > 0)
    while active.size:
        v = cur[active]
        left = np.minimum(plo[active] - lo[v], need[active])
        right = np.minimum(hi[v] - phi[active], need[active] - left)
        ring_value = value(index.height[v])
        for start, count in ((lo[v], left), (phi[active], right)):
            r, c = _ragged(active, start, count)
            rows.append(r)
            cols.append(c)
            vals.append(np.repeat(ring_value, count))
        need[active] -= left + right
        plo[active], phi[active] = lo[v], hi[v]
        up = parent[v]
        keep = (need[active] > 0) & (up >= 0)
        cur[active[keep]] = up[keep]
        active = active[keep]
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)


def _ragged(owner: np.ndarray, start: np.ndarray, count: np.ndarray):
    """Rows ``owner[i]`` repeated ``count[i]`` times, columns ``start[i] + 0..count[i]-1``."""
    total = int(count.sum())
    offsets = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
    return np.repeat(owner, count), np.repeat(start, count) + offsets


def _to_output_sparse(parts, work: np.ndarray, n: int):
    import scipy.sparse as sp

    r, c, v = parts
    mat = sp.csr_array((v, (work[r], work[c])), shape=(n, n))
    mat.eliminate_zeros()
    return mat
