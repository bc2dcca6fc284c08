"""Benchmark: the hierarchy builder vs networkx's all-pairs lowest-common-ancestor routine.

Both compute S = 1 - height(lca)/height(root) for every pair of leaves of the same tree:

- simmatrix: ``hierarchy_matrix(g)`` (one block write per internal node, dense);
- networkx: ``nx.tree_all_pairs_lowest_common_ancestor(g, root, pairs)`` (Tarjan's offline
  LCA), then S from a dict of heights. On the 10,000-leaf tree networkx runs on two random
  samples of pairs (20,000 and 200,000) and its time for all pairs is extrapolated from the
  line through both (a fixed cost for walking the tree plus a cost per pair), so the
  walk is not multiplied up.

Values are checked equal on every pair networkx computed. Also timed: the 100,000-leaf sparse
top-k build (no dense 100,000² array exists at any point).

Run: nice python benchmarks/hierarchy.py [--quick]
"""

from __future__ import annotations

import argparse
import csv
import platform
import time
from pathlib import Path

import networkx as nx
import numpy as np

from simmatrix.builders.hierarchy import hierarchy_matrix

HERE = Path(__file__).resolve().parent
TREE = HERE.parent / "tests" / "data" / "hierarchy" / "imagenet_wordnet_tree.tsv"


def imagenet_tree():
    with open(TREE, newline="") as fh:
        return nx.DiGraph(list(csv.reader(fh, delimiter="\t"))[1:])


def random_tree(n_leaves: int, seed: int = 0):
    """A random recursive tree (each node picks a uniformly random earlier parent)."""
    rng = np.random.default_rng(seed)
    n = 2 * n_leaves
    while True:
        parent = (rng.random(n - 1) * np.arange(1, n)).astype(int)
        leaves = n - len(np.unique(parent))
        if leaves >= n_leaves:
            break
        n += n_leaves - leaves + 10
    g = nx.DiGraph()
    g.add_edges_from(zip(map(str, parent.tolist()), map(str, range(1, n)), strict=True))
    return g


def best_of(fn, repeat: int):
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def networkx_reference(g, classes, pairs_idx):
    """S on the given pairs from networkx's LCA routine and heights from a DFS."""
    (root,) = [n for n in g if g.in_degree(n) == 0]
    height = {}
    for v in nx.dfs_postorder_nodes(g, root):
        height[v] = max((height[c] + 1 for c in g.successors(v)), default=0)
    pairs = [(classes[i], classes[j]) for i, j in pairs_idx]
    lca = dict(nx.tree_all_pairs_lowest_common_ancestor(g, root=root, pairs=pairs))
    H = height[root]
    return np.array([1.0 - height[lca[p]] / H for p in pairs])  # results come unordered


def compare(name: str, g, max_pairs: int | None, repeat: int) -> dict:
    t_ours, S = best_of(lambda: hierarchy_matrix(g), repeat)
    classes = list(S.classes)
    n = len(classes)
    iu, ju = np.triu_indices(n, 1)
    total = len(iu)
    if max_pairs is not None and total > max_pairs:
        pick = np.random.default_rng(1).choice(total, max_pairs, replace=False)
        iu, ju = iu[pick], ju[pick]
    pairs = list(zip(iu, ju, strict=True))
    t_nx, ref = best_of(lambda: networkx_reference(g, classes, pairs), 1)
    t_nx_all = t_nx
    if len(pairs) < total:  # extrapolate along the line through a tenth of the sample
        small = len(pairs) // 10
        t_small, _ = best_of(lambda: networkx_reference(g, classes, pairs[:small]), 1)
        t_nx_all = t_nx + (t_nx - t_small) / (len(pairs) - small) * (total - len(pairs))
    ours = S.to_dense()[iu, ju]
    err = float(np.max(np.abs(ours - ref)))
    return {"name": name, "nodes": g.number_of_nodes(), "classes": n, "pairs": total,
            "pairs_nx": len(iu), "ours_s": t_ours, "nx_s": t_nx, "nx_all_s": t_nx_all,
            "ratio": t_nx_all / t_ours, "max_abs_diff": err, "equal": err <= 1e-12}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller trees, for a smoke test")
    args = ap.parse_args()
    big = 2_000 if args.quick else 10_000
    rows = [
        compare(f"ImageNet-1k WordNet tree ({TREE.name})", imagenet_tree(), None, 5),
        compare(f"random tree, {big:,} leaves", random_tree(big), 200_000, 1),
    ]
    n_top = 10_000 if args.quick else 100_000
    g = random_tree(n_top, seed=2)
    t_top, S = best_of(lambda: hierarchy_matrix(g, top_k=10), 1)
    print(f"machine: {platform.processor() or platform.machine()}, "
          f"networkx {nx.__version__}, numpy {np.__version__}")
    print("| tree | nodes | classes | pairs (networkx ran) | simmatrix s | networkx s "
          "(all pairs) | ratio | max abs diff |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        ran = (f"{r['pairs']:,}" if r["pairs_nx"] == r["pairs"]
               else f"{r['pairs']:,} ({r['pairs_nx']:,} sampled)")
        extra = "" if r["pairs_nx"] == r["pairs"] else " extrapolated"
        print(f"| {r['name']} | {r['nodes']:,} | {r['classes']:,} | {ran} | "
              f"{r['ours_s']:.3f} | {r['nx_all_s']:.2f}{extra} | {r['ratio']:.0f}× | "
              f"{r['max_abs_diff']:.1e} |")
    print(f"\nsparse top-10, random tree with {len(S):,} leaves ({g.number_of_nodes():,} nodes):"
          f" {t_top:.2f} s, {S.values.nnz:,} stored entries, no dense array")
    if not all(r["equal"] for r in rows):
        raise SystemExit("values differ from networkx")


if __name__ == "__main__":
    main()
