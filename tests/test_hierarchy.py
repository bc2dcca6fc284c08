"""The hierarchy builder against independent networkx computations on public hierarchies.

Data (tests/data/hierarchy): CIFAR-100's superclass file, and the WordNet 3.0 hypernym
hierarchy over the 1,000 ImageNet-1k classes as parent–child TSV files (a tree: first
hypernym only; a DAG: every hypernym), written by make_imagenet_wordnet.py.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from numpy.testing import assert_allclose

nx = pytest.importorskip("networkx")

from hierarchy_reference import (  # noqa: E402
    CIFAR,
    DAG,
    DATA,
    TREE,
    dag_reference,
    nx_cifar,
    nx_graph,
    tree_reference,
)

from simmatrix.builders.hierarchy import hierarchy_matrix as hierarchy  # noqa: E402
from simmatrix.errors import BuildError, MatrixFileError  # noqa: E402


# -- the Done-means check: public hierarchies, compared with networkx ----------------------
def test_cifar100_file_is_a_two_level_tree_out_of_the_box():
    S = hierarchy(CIFAR)
    g, fine = nx_cifar()
    assert S.classes == tuple(fine)
    assert_allclose(S.to_dense(), tree_reference(g, fine, "lca-height"), atol=1e-12)
    meta = S.metadata
    assert meta["builder"] == "hierarchy"
    assert meta["hierarchy"]["virtual_root"] and meta["hierarchy"]["n_roots"] == 20
    assert meta["hierarchy"]["height"] == 2
    assert meta["sources"][0]["path"] == "cifar100.json"


@pytest.mark.parametrize("measure", ["lca-height", "wup", "path", "soft"])
def test_imagenet_wordnet_tree_matches_networkx(measure):
    g = nx_graph(TREE)
    leaves = sorted(n for n in g if g.out_degree(n) == 0)
    rng = np.random.default_rng(5)
    classes = [leaves[i] for i in rng.choice(len(leaves), 120, replace=False)]
    S = hierarchy(TREE, classes, measure=measure)
    assert S.classes == tuple(classes)
    assert_allclose(S.to_dense(), tree_reference(g, classes, measure), atol=1e-12)


def test_imagenet_tree_all_classes_and_default_order():
    wnids = (DATA / "imagenet_wnids.txt").read_text().split()
    S = hierarchy(TREE, wnids)
    assert S.shape == (1000, 1000)
    V = S.to_dense()
    assert_allclose(V, V.T)
    assert_allclose(np.diag(V), 1.0)
    default = hierarchy(TREE)  # leaves in depth-first preorder
    assert sorted(default.classes) == sorted(wnids)
    assert default.metadata["hierarchy"]["class_order"] == "leaves in depth-first preorder"
    assert_allclose(default.select(wnids).to_dense(), V)
    g = nx_graph(TREE)
    order = [n for n in nx.dfs_preorder_nodes(g, "n00001740") if g.out_degree(n) == 0]
    assert default.classes == tuple(order)


@pytest.mark.parametrize("measure, policy", [
    ("lca-height", "longest"), ("path", "longest"), ("wup", "longest"), ("wup", "shortest"),
])  # only wup depends on the depth policy
def test_imagenet_wordnet_dag_matches_definitions(measure, policy):
    g = nx_graph(DAG)
    multi = {n for n in g if g.in_degree(n) > 1}
    leaves = sorted(n for n in g if g.out_degree(n) == 0)
    # classes under multi-parent synsets, so the DAG rules matter
    under = sorted({c for m in multi for c in nx.descendants(g, m) if c in set(leaves)})
    rng = np.random.default_rng(1)
    classes = [under[i] for i in rng.choice(len(under), 25, replace=False)]
    classes += [leaves[i] for i in rng.choice(len(leaves), 15, replace=False)
                if leaves[i] not in classes]
    S = hierarchy(DAG, classes, measure=measure, dag_policy=policy)
    assert not S.metadata["hierarchy"]["is_tree"]
    assert_allclose(S.to_dense(), dag_reference(g, classes, measure, policy), atol=1e-12)


def test_internal_nodes_as_classes():
    g = nx_graph(TREE)
    classes = ["n02084071", "n02085620", "n02110958", "n01503061", "n00001740"]  # dog, ...
    S = hierarchy(TREE, classes, measure="lca-height")
    ref = tree_reference(g, classes, "lca-height")
    assert_allclose(S.to_dense(), ref, atol=1e-12)
    assert S.metadata["hierarchy"]["internal_classes"] == 3


# -- readers: one tree, every format -------------------------------------------------------
SMALL = [("entity", "organism"), ("organism", "animal"), ("organism", "plant"),
         ("animal", "cat"), ("animal", "dog"), ("plant", "rose"), ("entity", "rock")]


def small_files(tmp_path):
    files = {}
    files["ws"] = tmp_path / "t.txt"
    files["ws"].write_text("# a comment\n" + "".join(f"{p} {c}\n" for p, c in SMALL))
    files["csv"] = tmp_path / "t.csv"
    files["csv"].write_text("parent,child\n" + "".join(f"{p},{c}\n" for p, c in SMALL))
    files["tsv"] = tmp_path / "t.tsv"
    files["tsv"].write_text("".join(f"{c}\t{p}\n" for p, c in SMALL))  # child first
    files["json"] = tmp_path / "t.json"
    files["json"].write_text(json.dumps(
        {"entity": {"organism": {"animal": ["cat", "dog"], "plant": "rose"}, "rock": None}}))
    files["indent"] = tmp_path / "tree.txt"
    files["indent"].write_text("entity\n-- organism\n---- animal\n------ cat\n------ dog\n"
                               "---- plant\n------ rose\n-- rock\n")
    files["spaces"] = tmp_path / "tree4.txt"
    files["spaces"].write_text("entity\n    organism\n        animal\n            cat\n"
                               "            dog\n        plant\n            rose\n    rock\n")
    files["graphml"] = tmp_path / "t.graphml"
    nx.write_graphml(nx.DiGraph(SMALL), files["graphml"])
    return files


def test_every_format_reads_the_same_tree(tmp_path):
    ref = hierarchy(nx.DiGraph(SMALL))
    assert ref.classes == ("cat", "dog", "rose", "rock")
    assert_allclose(ref.to_dense(), tree_reference(nx.DiGraph(SMALL), list(ref.classes),
                                                   "lca-height"), atol=1e-12)
    for kind, path in small_files(tmp_path).items():
        S = hierarchy(path, child_parent=True if kind == "tsv" else None)
        assert S.classes == ref.classes, kind
        assert_allclose(S.to_dense(), ref.to_dense(), err_msg=kind)
    assert hierarchy(small_files(tmp_path)["indent"]).metadata["params"]["format"] == "indent"
    assert hierarchy(SMALL).classes == ref.classes  # a list of pairs
    child_map = {c: p for p, c in SMALL}
    assert_allclose(hierarchy(child_map, child_parent=True).to_dense(), ref.to_dense())


def test_explicit_format_and_header_conflict(tmp_path):
    files = small_files(tmp_path)
    S = hierarchy(files["ws"], format="edges")
    assert S.metadata["params"]["format"] == "edges"
    with pytest.raises(BuildError, match="header says parent,child"):
        hierarchy(files["csv"], child_parent=True)
    with pytest.raises(BuildError, match="unknown hierarchy format"):
        hierarchy(files["csv"], format="yaml")


@pytest.mark.parametrize("text, match", [
    ("a\n-- b\n------ c\n", "indented 3 levels but the line before is at level 1"),
    ("a\n-- b\n--- c\n", "not a multiple of the indent unit 2"),
])
def test_bad_indented_tree(tmp_path, text, match):
    p = tmp_path / "bad.txt"
    p.write_text(text)
    with pytest.raises(BuildError, match=match):
        hierarchy(p, format="indent")


def test_edge_line_with_three_names(tmp_path):
    p = tmp_path / "e.txt"
    p.write_text("a b\nb pickup truck\n")
    with pytest.raises(BuildError, match=r"line 2: expected 'parent child', got 3 fields"):
        hierarchy(p)


def test_more_reader_forms(tmp_path):
    nested = {"entity": [{"animal": ["cat", "dog"]}, "rock"]}
    assert hierarchy(nested).classes == ("cat", "dog", "rock")
    p = tmp_path / "pairs.json"
    p.write_text(json.dumps([["animal", "cat"], ["animal", "dog"]]))
    assert hierarchy(p).classes == ("cat", "dog")
    tabs = tmp_path / "tabs.txt"
    tabs.write_text("entity\n\tanimal\n\t\tcat\n\t\tdog\n\trock\n")
    assert hierarchy(tabs).classes == ("cat", "dog", "rock")
    dag = hierarchy({"cat": ["animal", "pet"], "dog": "animal", "fish": "pet"},
                    child_parent=True)
    assert not dag.metadata["hierarchy"]["is_tree"]
    assert dag.metadata["hierarchy"]["multi_parent_nodes"] == 1


def test_reader_errors(tmp_path):
    und = tmp_path / "u.graphml"
    nx.write_graphml(nx.Graph([("a", "b")]), und)
    with pytest.raises(BuildError, match="undirected"):
        hierarchy(und)
    empty = tmp_path / "empty.txt"
    empty.write_text("\n# nothing\n")
    with pytest.raises(MatrixFileError, match="has no edges"):
        hierarchy(empty)
    tree = tmp_path / "tree.txt"
    tree.write_text("a\n-- b\n")
    with pytest.raises(BuildError, match="child_parent has no meaning"):
        hierarchy(tree, child_parent=True)
    with pytest.raises(MatrixFileError, match="does not exist"):
        hierarchy(tmp_path / "nowhere.tsv")


# -- checks --------------------------------------------------------------------------------
def test_cycle_names_a_node_on_it():
    g = nx.DiGraph([("r", "a"), ("a", "b"), ("b", "c"), ("c", "a"), ("r", "d")])
    with pytest.raises(BuildError, match=r"cycle, through '[abc]'"):
        hierarchy(g, ["a", "d"])


def test_missing_classes_listed_at_once_with_suggestions():
    with pytest.raises(BuildError) as err:
        hierarchy(CIFAR, ["apple", "pickup truck", "aquarium fish", "spaceship"])
    msg = str(err.value)
    assert msg.startswith("3 of 4 classes are not in the hierarchy")
    assert "'pickup truck' (did you mean 'pickup_truck'?)" in msg
    assert "'aquarium fish' (did you mean 'aquarium_fish'?)" in msg
    assert "'spaceship'" in msg


def test_virtual_root_is_not_a_class():
    with pytest.raises(BuildError, match="'<root>'"):
        hierarchy(CIFAR, ["apple", "<root>"])


@pytest.mark.parametrize("kwargs, match", [
    ({"measure": "cosine"}, "unknown measure"), ({"measure": "soft", "beta": 0}, "beta"),
    ({"dag_policy": "median"}, "dag_policy"), ({"top_k": -1}, "top_k"),
])
def test_bad_parameters(kwargs, match):
    with pytest.raises(BuildError, match=match):
        hierarchy(SMALL, **kwargs)


# -- sparse top-k --------------------------------------------------------------------------
def random_tree(n_nodes: int, seed: int):
    rng = np.random.default_rng(seed)
    parent = (rng.random(n_nodes - 1) * np.arange(1, n_nodes)).astype(int)
    return nx.DiGraph(zip(parent.tolist(), range(1, n_nodes), strict=True))


@pytest.mark.parametrize("measure", ["lca-height", "soft"])
def test_top_k_without_dense_equals_k_largest_of_dense(measure):
    g = random_tree(1500, 3)
    dense = hierarchy(g, measure=measure)
    for k in (0, 1, 7, 40):
        S = hierarchy(g, measure=measure, top_k=k)
        assert S.is_sparse
        V, D = S.to_dense(), dense.to_dense()
        kept = V > 0
        assert_allclose(V[kept], D[kept])  # kept values are the dense values
        assert (kept.sum(axis=1) <= k + 1).all() and np.diag(kept).all()
        # the diagonal and exactly the k largest others of each row, ties to the earlier
        # column (the default order is depth-first, so that is the documented tie rule)
        top = np.argsort(-D, axis=1, kind="stable")[:, :k + 1]
        expected = np.zeros_like(D)
        np.put_along_axis(expected, top, np.take_along_axis(D, top, axis=1), axis=1)
        assert_allclose(V, expected)


def test_top_k_with_internal_classes_matches_dense():
    g = random_tree(800, 9)
    rng = np.random.default_rng(2)
    preorder = list(nx.dfs_preorder_nodes(g, 0))
    pick = set(rng.choice(len(preorder), 300, replace=False).tolist())
    classes = [str(v) for i, v in enumerate(preorder) if i in pick]  # in depth-first order
    D = hierarchy(g, classes).to_dense()
    assert_allclose(D, tree_reference(nx.relabel_nodes(g, str), classes, "lca-height"),
                    atol=1e-12)
    for k in (2, 25):
        V = hierarchy(g, classes, top_k=k).to_dense()
        top = np.argsort(-D, axis=1, kind="stable")[:, :k + 1]
        expected = np.zeros_like(D)
        np.put_along_axis(expected, top, np.take_along_axis(D, top, axis=1), axis=1)
        assert_allclose(V, expected)


def test_top_k_dense_fallback_for_wup():
    g = random_tree(400, 4)
    S = hierarchy(g, measure="wup")
    dense = S.to_dense()
    assert_allclose(dense, tree_reference(nx.relabel_nodes(g, str), list(S.classes), "wup"),
                    atol=1e-12)
    V = hierarchy(g, measure="wup", top_k=5).to_dense()
    kept = V > 0
    assert_allclose(V[kept], dense[kept])
    assert (kept.sum(axis=1) <= 6).all()


def test_top_k_many_leaves_stays_sparse():
    g = random_tree(30_000, 7)
    S = hierarchy(g, top_k=5)
    assert S.is_sparse and len(S) > 10_000
    assert S.values.nnz <= 6 * len(S)
    assert_allclose(S.values.diagonal(), 1.0)


def test_too_many_classes_for_dense(monkeypatch):
    import simmatrix.builders.hierarchy as mod

    monkeypatch.setattr(mod, "DENSE_LIMIT", 100)
    with pytest.raises(BuildError, match="too many for a dense matrix"):
        hierarchy(random_tree(400, 1))


def test_import_simmatrix_stays_light():
    import subprocess
    import sys

    code = "import sys, simmatrix; print('networkx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False"


def test_docstring_examples():
    import doctest

    import simmatrix.builders.hierarchy as mod
    import simmatrix.sources.graphs as graphs

    assert doctest.testmod(mod).failed == 0
    assert doctest.testmod(graphs).failed == 0


def test_without_networkx_the_error_names_the_extra(tmp_path):
    import subprocess
    import sys

    out = str(tmp_path / "S.npy")
    code = ("import sys; sys.modules['networkx'] = None\n"  # as if not installed
            "from simmatrix.cli import main\n"
            f"main(['build', 'hierarchy', '-g', {str(CIFAR)!r}, '-o', {out!r}])")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 2
    assert res.stderr.strip().splitlines() == [
        'simmatrix: error: networkx is needed for this; install it with: '
        'pip install "simmatrix[graphs]"']
    assert not (tmp_path / "S.npy").exists()
