"""``simmatrix build hierarchy`` end to end: real files in, a saved matrix or one error line."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

pytest.importorskip("networkx")

from hierarchy_reference import (  # noqa: E402
    CIFAR,
    TREE,
    lca_height_of_pairs,
    nx_cifar,
    nx_graph,
    tree_reference,
)

from conftest import assert_one_line_error  # noqa: E402
from simmatrix import io  # noqa: E402


@pytest.fixture
def run(cli):
    """``run([...])`` -> (exit code, stdout, stderr) of ``simmatrix build hierarchy ...``."""

    def call(args):
        res = cli("build", "hierarchy", *args)
        return res.code, res.out, res.err

    return call


def test_lca_height_from_the_wordnet_tree_file_equals_networkx(tmp_path, run):
    g = nx_graph(TREE)
    leaves = sorted(n for n in g if g.out_degree(n) == 0)
    rng = np.random.default_rng(11)
    classes = [leaves[i] for i in rng.choice(len(leaves), 80, replace=False)]
    (tmp_path / "classes.txt").write_text("\n".join(classes) + "\n")
    out = tmp_path / "S.npy"
    code, _, err = run(["--graph", TREE, "--classes", tmp_path / "classes.txt", "-o", out])
    assert code == 0, err
    S = io.load(out)
    assert S.classes == tuple(classes)
    assert_allclose(S.to_dense(), tree_reference(g, classes, "lca-height"), atol=1e-12)
    assert S.metadata["builder"] == "hierarchy"
    assert S.metadata["sources"][0]["path"] == TREE.name


@pytest.mark.parametrize("measure", ["wup", "path", "soft"])
def test_other_measures_on_cifar100(tmp_path, run, measure):
    out = tmp_path / "S.parquet"
    code, _, err = run(["-g", CIFAR, "--measure", measure, "--beta", "3", "-o", out])
    assert code == 0, err
    g, fine = nx_cifar()
    S = io.load(out)
    assert S.classes == tuple(fine)
    assert_allclose(S.to_dense(), tree_reference(g, fine, measure, beta=3.0), atol=1e-12)


def test_top_k_lower_bound_and_dtype(tmp_path, run):
    out = tmp_path / "S.parquet"
    code, _, err = run(["-g", TREE, "--top-k", "4", "--lower-bound", "0.2", "--dtype",
                        "float32", "-o", out])
    assert code == 0, err
    S = io.load(out)
    assert len(S) == 1000 and S.dtype == np.float32
    V = S.to_dense()
    assert ((V > 0).sum(axis=1) <= 5).all()
    assert_allclose(np.diag(V), 1.0)
    assert S.metadata["params"]["top_k"] == 4
    i, j = np.nonzero((V > 0) & ~np.eye(len(S), dtype=bool))
    pairs = [(S.classes[a], S.classes[b]) for a, b in zip(i, j, strict=True)]
    lb = (lca_height_of_pairs(nx_graph(TREE), pairs) - 0.2) / 0.8  # S = max(0, S - l)/(1 - l)
    assert_allclose(V[i, j], lb, rtol=1e-6)


def test_indented_tree_and_child_parent_switch(tmp_path, run):
    tree = tmp_path / "tree.txt"
    tree.write_text("entity\n-- animal\n---- cat\n---- dog\n-- plant\n---- rose\n")
    edges = tmp_path / "edges.tsv"
    edges.write_text("animal\tentity\nplant\tentity\ncat\tanimal\ndog\tanimal\nrose\tplant\n")
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    assert run(["-g", tree, "-o", a])[0] == 0
    assert run(["-g", edges, "--child-parent", "-o", b])[0] == 0
    A, B = io.load(a), io.load(b)
    assert A.classes == B.classes == ("cat", "dog", "rose")
    assert_allclose(A.to_dense(), B.to_dense())
    assert A["cat", "dog"] == 0.5


def cyclic(tmp_path):
    p = tmp_path / "cyclic.txt"
    p.write_text("entity animal\nanimal cat\ncat animal\nentity rose\n")
    return ["-g", p]


def missing_class(tmp_path):
    p = tmp_path / "classes.txt"
    p.write_text("apple\npickup truck\nspaceship\n")
    return ["-g", CIFAR, "--classes", p]


def bad_indent(tmp_path):
    p = tmp_path / "tree.txt"
    p.write_text("entity\n-- animal\n------ cat\n")
    return ["-g", p, "--format", "indent"]


@pytest.mark.parametrize("make_args, message", [
    (cyclic, "the hierarchy has a cycle, through 'animal'"),
    (missing_class, "2 of 3 classes are not in the hierarchy: 'pickup truck' (did you mean "
                    "'pickup_truck'?), 'spaceship'"),
    (bad_indent, "line 3: 'cat' is indented 3 levels"),
    (lambda tmp: ["-g", tmp / "nowhere.txt"], "hierarchy file"),
    (lambda tmp: ["-g", CIFAR, "--measure", "soft", "--beta", "-1"],
     "--beta': -1.0 is not a finite number > 0"),
])
def test_bad_input_is_one_line_and_no_file(tmp_path, cli, make_args, message):
    out = tmp_path / "S.npy"
    res = cli("build", "hierarchy", *make_args(tmp_path), "-o", out)
    assert_one_line_error(res, 2)
    assert message in res.err
    assert not out.exists() and not (tmp_path / "S.npy.json").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("S.")]  # no temp files


def test_existing_output_needs_force(tmp_path, run):
    out = tmp_path / "S.csv"
    assert run(["-g", CIFAR, "-o", out])[0] == 0
    before = out.read_bytes()
    code, _, err = run(["-g", CIFAR, "--measure", "path", "-o", out])
    assert code == 2 and "exists" in err
    assert out.read_bytes() == before
    assert run(["-g", CIFAR, "--measure", "path", "--force", "-o", out])[0] == 0
    assert out.read_bytes() != before
