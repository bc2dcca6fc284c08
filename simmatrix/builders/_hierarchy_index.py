"""A checked, indexed hierarchy: one root, no cycle, depths, heights and class positions.

The pair measures in :mod:`simmatrix.builders.hierarchy` never walk the graph per pair; they
read the arrays prepared here. Nodes are numbered in depth-first preorder from the root,
children in input order, so in a tree the classes below any node form one contiguous range
of the *work order* (the classes sorted by preorder number) and a subtree's block of S is a
slice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .._suggest import close_matches, did_you_mean
from ..errors import BuildError

VIRTUAL_ROOT = "<root>"
DAG_POLICIES = ("longest", "shortest")


@dataclass(frozen=True, eq=False)
class HierarchyIndex:
    """Arrays over the nodes of a rooted DAG, nodes numbered in depth-first preorder.

    Attributes
    ----------
    names : tuple of str, length n_nodes
        Node names in preorder (``names[0]`` is the root).
    parents : list of int arrays, length n_nodes
        Parent numbers of each node (empty for the root).
    topo : int array of shape (n_nodes,)
        A topological order (parents before children).
    depth : int array of shape (n_nodes,)
        Edges from the root: the longest or shortest path, as ``dag_policy`` says.
    height : int array of shape (n_nodes,)
        Edges of the longest downward path to a leaf (leaves 0).
    """

    names: tuple[str, ...]
    parents: list[np.ndarray]
    topo: np.ndarray
    depth: np.ndarray
    height: np.ndarray
    is_tree: bool
    virtual_root: bool
    roots: tuple[str, ...]
    dag_policy: str

    @property
    def n_nodes(self) -> int:
        return len(self.names)

    def summary(self) -> dict:
        multi = sum(1 for p in self.parents if len(p) > 1)
        roots = list(self.roots[:20]) + ([f"... ({len(self.roots) - 20} more)"]
                                         if len(self.roots) > 20 else [])
        out = {"nodes": self.n_nodes - int(self.virtual_root),
               "edges": int(sum(len(p) for p in self.parents)) - (len(self.roots)
                                                                   if self.virtual_root else 0),
               "root": self.names[0], "virtual_root": self.virtual_root,
               "height": int(self.height[0]), "is_tree": self.is_tree,
               "multi_parent_nodes": multi, "dag_policy": self.dag_policy}
        if self.virtual_root:
            out["roots"] = roots
            out["n_roots"] = len(self.roots)
        return out


def index_hierarchy(graph, dag_policy: str = "longest") -> HierarchyIndex:
    """Check ``graph`` (a DiGraph, edges parent → child) and number its nodes.

    Raises :class:`BuildError` for an empty graph, a cycle (naming the nodes on it) or an
    unknown ``dag_policy``. Several roots are joined under a virtual root ``"<root>"``.
    """
    import networkx as nx

    if dag_policy not in DAG_POLICIES:
        raise BuildError(f"unknown dag_policy {dag_policy!r}; choose longest or shortest")
    if graph.number_of_nodes() == 0:
        raise BuildError("the hierarchy has no nodes")
    if not nx.is_directed_acyclic_graph(graph):
        cycle = [u for u, _ in nx.find_cycle(graph)]
        shown = " → ".join(repr(c) for c in cycle[:10] + cycle[:1])
        raise BuildError(f"the hierarchy has a cycle, through {cycle[0]!r}: {shown}")
    roots = tuple(n for n in graph.nodes if graph.in_degree(n) == 0)
    g = graph
    if len(roots) > 1:
        root = VIRTUAL_ROOT
        while root in graph:
            root = "<" + root + ">"
        g = nx.DiGraph()
        g.add_node(root)
        g.add_edges_from((root, r) for r in roots)
        g.add_edges_from(graph.edges)
    else:
        root = roots[0]
    names = tuple(nx.dfs_preorder_nodes(g, root))
    num = {n: i for i, n in enumerate(names)}
    parents = [np.array([num[p] for p in g.predecessors(n)], dtype=np.intp) for n in names]
    is_tree = all(len(p) <= 1 for p in parents)
    topo = np.arange(len(names)) if is_tree else np.array(
        [num[n] for n in nx.topological_sort(g)], dtype=np.intp)
    depth = _depth(parents, topo, dag_policy)
    height = _height(parents, topo)
    return HierarchyIndex(names, parents, topo, depth, height, is_tree, len(roots) > 1,
                          roots if len(roots) > 1 else (root,), dag_policy)


def _depth(parents, topo, policy: str) -> np.ndarray:
    depth = np.zeros(len(parents), dtype=np.int64)
    pick = max if policy == "longest" else min
    for v in topo[1:]:
        depth[v] = pick(depth[p] for p in parents[v]) + 1
    return depth


def _height(parents, topo) -> np.ndarray:
    height = np.zeros(len(parents), dtype=np.int64)
    for v in topo[::-1]:
        for p in parents[v]:
            if height[v] + 1 > height[p]:
                height[p] = height[v] + 1
    return height


def default_classes(index: HierarchyIndex, graph) -> tuple[str, ...]:
    """The leaves (nodes without children) in depth-first preorder."""
    return tuple(n for n in index.names if n in graph and graph.out_degree(n) == 0)


def class_nodes(index: HierarchyIndex, classes: Sequence[str]) -> np.ndarray:
    """Node numbers of ``classes``; all classes missing from the graph are listed at once."""
    num = {n: i for i, n in enumerate(index.names)}
    if index.virtual_root:
        num.pop(index.names[0], None)
    missing = [c for c in classes if c not in num]
    if missing:
        raise BuildError(f"{len(missing)} of {len(classes)} classes are not in the hierarchy: "
                         + _with_suggestions(missing, num))
    return np.array([num[c] for c in classes], dtype=np.intp)


def _with_suggestions(missing: list[str], known: dict) -> str:
    folded = {}
    for n in known:
        folded.setdefault(_fold(n), n)
    parts = []
    for i, name in enumerate(missing):
        if i >= 10:
            parts.append(f"... ({len(missing) - 10} more)")
            break
        guess = folded.get(_fold(name))
        if guess is None and len(known) <= 50_000:
            close = close_matches(name, known, n=1, cutoff=0.75)
            guess = close[0] if close else None
        parts.append(repr(name) + (f" ({did_you_mean([guess], lead='')})" if guess else ""))
    return ", ".join(parts)


def _fold(name: str) -> str:
    return " ".join(name.replace("_", " ").replace("-", " ").lower().split())


def subtree_ranges(index: HierarchyIndex, pre_of_class: np.ndarray):
    """For a tree: the range ``[lo, hi)`` of work positions of the classes below each node.

    ``pre_of_class`` are the preorder numbers of the classes sorted ascending (the work
    order). A node's subtree is the preorder interval ``[v, v + size(v))``.
    """
    size = np.ones(index.n_nodes, dtype=np.int64)
    parent = np.array([p[0] if len(p) else -1 for p in index.parents], dtype=np.intp)
    for v in range(index.n_nodes - 1, 0, -1):  # reverse preorder: children before parents
        size[parent[v]] += size[v]
    starts = np.arange(index.n_nodes)
    lo = np.searchsorted(pre_of_class, starts, side="left")
    hi = np.searchsorted(pre_of_class, starts + size, side="left")
    return lo, hi, parent


def class_members(index: HierarchyIndex, pre_of_class: np.ndarray) -> np.ndarray:
    """For a DAG: boolean (n_nodes, n_classes), True where the work-order class is below."""
    member = np.zeros((index.n_nodes, len(pre_of_class)), dtype=bool)
    member[pre_of_class, np.arange(len(pre_of_class))] = True
    for v in index.topo[::-1]:
        for p in index.parents[v]:
            member[p] |= member[v]
    return member


def class_distances(index: HierarchyIndex, pre_of_class: np.ndarray) -> np.ndarray:
    """For a DAG: (n_nodes, n_classes) shortest directed path lengths node → class."""
    big = np.iinfo(np.int32).max // 4
    dist = np.full((index.n_nodes, len(pre_of_class)), big, dtype=np.int32)
    dist[pre_of_class, np.arange(len(pre_of_class))] = 0
    for v in index.topo[::-1]:
        for p in index.parents[v]:
            np.minimum(dist[p], dist[v] + 1, out=dist[p])
    return dist


__all__ = ["HierarchyIndex", "index_hierarchy", "class_nodes", "default_classes",
           "subtree_ranges", "class_members", "class_distances"]
