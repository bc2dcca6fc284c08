"""Independent references for the hierarchy tests: networkx's own routines, pair by pair.

Nothing here uses simmatrix; the tests compare the builder with these.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import networkx as nx
import numpy as np

DATA = Path(__file__).parent / "data" / "hierarchy"
CIFAR = DATA / "cifar100.json"
TREE = DATA / "imagenet_wordnet_tree.tsv"
DAG = DATA / "imagenet_wordnet_dag.tsv"


def nx_graph(path: Path):
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))[1:]
    return nx.DiGraph(rows)


def nx_cifar():
    data = json.loads(CIFAR.read_text())
    g = nx.DiGraph()
    for fine, coarse in data["fine_to_coarse"].items():
        g.add_edge("ROOT", coarse)
        g.add_edge(coarse, fine)
    return g, data["fine_labels"]


def nx_height(g, v) -> int:
    return nx.dag_longest_path_length(g.subgraph(nx.descendants(g, v) | {v}))


def tree_reference(g, classes, measure, beta=4.0):
    """1 − height(lca)/height(root) and friends, with networkx's own LCA routine."""
    (root,) = [n for n in g if g.in_degree(n) == 0]
    H = nx_height(g, root)
    depth = nx.shortest_path_length(g, root)
    und = g.to_undirected()
    n = len(classes)
    pairs = [(classes[i], classes[j]) for i in range(n) for j in range(i + 1, n)]
    lca = dict(nx.tree_all_pairs_lowest_common_ancestor(g, root=root, pairs=pairs))
    heights = {v: nx_height(g, v) for v in set(lca.values())}
    ref = np.eye(n)
    for (a, b), c in lca.items():
        if measure == "lca-height":
            s = 1 - heights[c] / H
        elif measure == "soft":
            s = np.exp(-beta * heights[c] / H)
        elif measure == "wup":  # nltk's depths: the root at 1
            s = 2 * (depth[c] + 1) / (depth[a] + 1 + depth[b] + 1)
        elif measure == "mbm":  # Bertinetto et al.: d = H - depth(lca)
            s = 1 - (H - depth[c]) / H
        elif measure == "mbm-soft":
            s = np.exp(-beta * (H - depth[c]) / H)
        else:
            s = 1 / (1 + nx.shortest_path_length(und, a, b))
        i, j = classes.index(a), classes.index(b)
        ref[i, j] = ref[j, i] = s
    return ref


def dag_reference(g, classes, measure, policy):
    """The DAG definitions, pair by pair, from networkx ancestor sets and path lengths."""
    (root,) = [n for n in g if g.in_degree(n) == 0]
    H = nx_height(g, root)

    def depth(v):
        if policy == "shortest":
            return nx.shortest_path_length(g, root, v)
        return nx.dag_longest_path_length(g.subgraph(nx.ancestors(g, v) | {v}))

    anc = {c: nx.ancestors(g, c) | {c} for c in classes}
    height = {v: nx_height(g, v) for v in set().union(*anc.values())}
    n = len(classes)
    ref = np.eye(n)
    for i in range(n):
        for j in range(i + 1, n):
            a, b = classes[i], classes[j]
            common = anc[a] & anc[b]
            if measure == "lca-height":
                s = 1 - min(height[c] for c in common) / H
            elif measure == "path":
                s = max(1 / (1 + nx.shortest_path_length(g, c, a)
                             + nx.shortest_path_length(g, c, b)) for c in common)
            elif measure == "mbm":
                s = 1 - (H - max(depth(c) for c in common)) / H
            else:  # wup, the root at depth 1 (nltk)
                s = max(2 * (depth(c) + 1) / (2 * (depth(c) + 1) + nx.shortest_path_length(
                    g, c, a) + nx.shortest_path_length(g, c, b)) for c in common)
            ref[i, j] = ref[j, i] = s
    return ref


def lca_height_of_pairs(g, pairs):
    """1 − height(lca)/height(root) for the given (a, b) pairs, from networkx's LCA routine."""
    (root,) = [n for n in g if g.in_degree(n) == 0]
    H = nx_height(g, root)
    lca = dict(nx.tree_all_pairs_lowest_common_ancestor(g, root=root, pairs=pairs))
    heights = {v: nx_height(g, v) for v in set(lca.values())}
    return np.array([1 - heights[lca[p]] / H for p in pairs])
