"""Pictures rendered for real (headless matplotlib) and checked as PNG files."""

import numpy as np

from conftest import assert_one_line_error
from simmatrix import SimilarityMatrix, io
from simmatrix.plot import leaf_order


def _png_pixels(path):
    import matplotlib.image as mpimg

    return mpimg.imread(path)


def _blocks():
    """Two obvious groups, shuffled: clustering must bring each group together."""
    names = ["rose", "truck", "tulip", "bus", "lily", "van"]
    group = np.array([0, 1, 0, 1, 0, 1])
    vals = np.where(group[:, None] == group[None, :], 0.8, 0.05)
    np.fill_diagonal(vals, 1)
    return SimilarityMatrix(vals, names, {"builder": "test"})


def test_cluster_order_groups_similar_classes():
    S = _blocks()
    order = [S.classes[i] for i in leaf_order(S, "cluster")]
    flowers = {"rose", "tulip", "lily"}
    first = set(order[:3])
    assert first == flowers or first == {"truck", "bus", "van"}
    assert list(leaf_order(S, "given")) == list(range(6))


def test_heatmap_png(cli, tmp_path):
    io.save(_blocks(), tmp_path / "m.parquet")
    res = cli("plot", tmp_path / "m.parquet", "-o", tmp_path / "h.png")
    assert res.code == 0, res
    img = _png_pixels(tmp_path / "h.png")
    assert img.shape[0] > 300 and img.shape[1] > 300
    assert img[..., :3].std() > 0.05  # not blank


def test_row_bars_png(cli, tmp_path):
    io.save(_blocks(), tmp_path / "m.npy")
    res = cli("plot", tmp_path / "m.npy", "--row", "rose", "--top", 3, "-o", tmp_path / "r.png")
    assert res.code == 0, res
    assert _png_pixels(tmp_path / "r.png")[..., :3].std() > 0.05


def test_plot_errors(cli, tmp_path):
    io.save(_blocks(), tmp_path / "m.npy")
    res = cli("plot", tmp_path / "m.npy", "--row", "roses", "-o", tmp_path / "r.png")
    assert_one_line_error(res, 2)
    assert "did you mean 'rose'" in res.err and not (tmp_path / "r.png").exists()
    res = cli("plot", tmp_path / "m.npy", "-o", tmp_path / "r.gif")
    assert_one_line_error(res, 2)
    assert not (tmp_path / "r.gif").exists()


def test_too_many_classes_for_a_heatmap(cli, tmp_path):
    import scipy.sparse as sp

    n = 20_000
    S = SimilarityMatrix(sp.eye_array(n, format="csr"))
    io.save(S, tmp_path / "big.parquet")
    res = cli("plot", tmp_path / "big.parquet", "-o", tmp_path / "h.png")
    assert_one_line_error(res, 2)
    assert "--row" in res.err and not (tmp_path / "h.png").exists()
    res = cli("plot", tmp_path / "big.parquet", "--row", "7", "--top", 3, "-o",
              tmp_path / "r.png")
    assert res.code == 0, res


def _tree():
    """A two-level tree whose classes are given in an order that scatters the groups."""
    tree = {"vehicle": {"bus": None, "van": None, "truck": None},
            "flower": {"rose": None, "lily": None}, "tree": {"oak": None, "elm": None}}
    return tree, ["rose", "bus", "oak", "van", "lily", "elm", "truck"]


def _preorder_leaves(tree):
    """Depth-first leaves, children in input order, by networkx (an independent walk)."""
    import networkx as nx

    g = nx.DiGraph()

    def add(parent, children):
        for name, sub in children.items():
            g.add_edge(parent, name)
            if sub:
                add(name, sub)

    add("<root>", tree)
    return [v for v in nx.dfs_preorder_nodes(g, "<root>") if g.out_degree(v) == 0]


def test_hierarchy_heatmap_in_tree_leaf_order():
    from simmatrix.builders.hierarchy import hierarchy_matrix

    tree, classes = _tree()
    S = hierarchy_matrix(tree, classes)
    expected = _preorder_leaves(tree)
    assert [S.classes[i] for i in leaf_order(S)] == expected  # auto = tree
    assert [S.classes[i] for i in leaf_order(S, "tree")] == expected
    assert list(leaf_order(S, "given")) == list(range(len(classes)))
    sub = S.select(["elm", "rose", "bus", "oak"])  # the order survives select()
    assert [sub.classes[i] for i in leaf_order(sub)] == [c for c in expected if c in sub]


def test_catalogue_hierarchy_plots_superclass_blocks():
    """cifar100-hierarchy-lca in tree order: 20 blocks of 5 along the diagonal."""
    import simmatrix

    S = simmatrix.load("cifar100-hierarchy-lca")
    idx = leaf_order(S)
    vals = S.to_dense()[np.ix_(idx, idx)]
    block = np.kron(np.eye(20), np.full((5, 5), 0.5))
    np.fill_diagonal(block, 1)
    np.testing.assert_array_equal(vals, block)


def test_order_tree_needs_a_tree(cli, tmp_path):
    io.save(_blocks(), tmp_path / "m.npy")
    res = cli("plot", tmp_path / "m.npy", "--order", "tree", "-o", tmp_path / "h.png")
    assert_one_line_error(res, 2)
    assert "--order cluster" in res.err and not (tmp_path / "h.png").exists()
