"""The CLI composes: transform and combine --lower-bound without Python, one meaning per
option across commands, and help that shows examples and no Python types."""

import numpy as np
import pytest

from conftest import assert_one_line_error
from simmatrix import SimilarityMatrix, io


def _random_matrix(n=6, seed=0, low=0.0):
    rng = np.random.default_rng(seed)
    A = rng.uniform(low, 1.0, (n, n))
    np.fill_diagonal(A, 1.0)
    return A


def _save(path, values, classes=None):
    io.save(SimilarityMatrix(values, classes), path)
    return path


def test_transform_matches_float64_formulas(cli, tmp_path):
    A = _random_matrix(6)
    src = _save(tmp_path / "in.npy", A)
    out = tmp_path / "out.npy"
    res = cli("transform", src, "-o", out, "--symmetrize", "max", "--power", 2,
              "--lower-bound", 0.3)
    assert res.code == 0, res
    # the documented order: symmetrize, power, lower bound (paper eq. 3), diagonal 1
    ref = np.maximum(A, A.T) ** 2
    ref = np.maximum(0.0, ref - 0.3) / 0.7
    np.fill_diagonal(ref, 1.0)
    S = io.load(out)
    np.testing.assert_allclose(S.values, ref, rtol=1e-12)
    steps = [t["name"] for t in S.metadata["transforms"]]
    assert steps == ["symmetrize", "power", "lower_bound"]
    assert S.metadata["transforms"][-1]["l"] == 0.3


def test_transform_top_k_parquet_is_sparse_and_keeps_largest(cli, tmp_path):
    A = _random_matrix(8, seed=3)
    src = _save(tmp_path / "in.npy", A)
    out = tmp_path / "top.parquet"
    assert cli("transform", src, "-o", out, "--top-k", 2).code == 0
    S = io.load(out)
    assert S.is_sparse
    D = S.to_dense()
    for i in range(8):
        others = np.delete(np.arange(8), i)
        best = set(others[np.argsort(-A[i, others])[:2]].tolist())
        assert set(np.flatnonzero(D[i]).tolist()) == best | {i}
        np.testing.assert_allclose(D[i, sorted(best)], A[i, sorted(best)])


def test_transform_map_range_accepts_raw_cosines(cli, tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(5, 4))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    cos = X @ X.T
    src = tmp_path / "cos.npy"
    np.save(src, cos)
    out = tmp_path / "S.npy"
    assert cli("transform", src, "-o", out, "--map-range", "affine").code == 0
    ref = (1 + cos) / 2
    np.fill_diagonal(ref, 1.0)
    np.testing.assert_allclose(io.load(out).values, ref, atol=1e-12)


@pytest.mark.parametrize("args", [[], ["--power", 0], ["--top-k", -1],
                                  ["--symmetrize", "median"], ["--lower-bound", 1.5]])
def test_transform_bad_usage_is_one_line_and_writes_nothing(cli, tmp_path, args):
    src = _save(tmp_path / "in.npy", _random_matrix(4))
    out = tmp_path / "out.npy"
    res = cli("transform", src, "-o", out, *args)
    assert_one_line_error(res, 2)
    assert not out.exists()


def test_transform_refuses_invalid_input_naming_it(cli, tmp_path):
    src = tmp_path / "bad.npy"
    np.save(src, np.array([[1.0, 1.7], [0.2, 1.0]]))
    res = cli("transform", src, "-o", tmp_path / "o.npy", "--power", 2)
    assert_one_line_error(res, 1)
    assert "bad.npy" in res.err


def test_combine_lower_bound(cli, tmp_path):
    A, B = _random_matrix(5, 1), _random_matrix(5, 2)
    a, b = _save(tmp_path / "a.npy", A), _save(tmp_path / "b.npy", B)
    out = tmp_path / "c.npy"
    assert cli("combine", a, b, "-o", out, "--lower-bound", 0.4).code == 0
    ref = np.maximum(0.0, (A + B) / 2 - 0.4) / 0.6
    np.fill_diagonal(ref, 1.0)
    np.testing.assert_allclose(io.load(out).values, ref, rtol=1e-12)


def test_build_order_count_is_n_classes_and_classes_is_a_file(cli, tmp_path):
    out = tmp_path / "o.npy"
    assert cli("build", "order", "--n-classes", 4, "-o", out).code == 0
    assert io.load(out).shape == (4, 4)
    names = tmp_path / "names.txt"
    names.write_text("young\nmiddle\nold\n")
    assert cli("build", "order", "-c", names, "-o", out, "--force").code == 0
    assert io.load(out).classes == ("young", "middle", "old")
    assert cli("build", "order", "--names", "a,b", "-o", out, "--force").code == 0
    assert io.load(out).classes == ("a", "b")
    res = cli("build", "order", "--classes", 10, "-o", out, "--force")
    assert_one_line_error(res, 2)
    assert "--n-classes 10" in res.err


def test_build_hierarchy_takes_inline_names(cli, tmp_path):
    tree = tmp_path / "t.json"
    tree.write_text('{"a": {"x": null, "y": null}, "b": ["z"]}')
    out = tmp_path / "h.npy"
    assert cli("build", "hierarchy", "-g", tree, "--names", "z,x,y", "-o", out).code == 0
    S = io.load(out)
    assert S.classes == ("z", "x", "y")
    assert S["x", "y"] == 0.5 and S["z", "x"] == 0.0  # LCA height: 1 - 1/2, 1 - 2/2


COMMANDS = [["build", c] for c in ("order", "wordnet", "embedding", "hierarchy",
                                   "confusion", "table")] + [
    [c] for c in ("validate", "inspect", "convert", "combine", "plot", "transform")] + [
    ["catalogue", "list"], ["catalogue", "build"], ["data", "wordnet"],
    ["data", "wordnet-tree"], ["data", "wordnet-glosses"]]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_has_examples_and_no_python_types(cli, command):
    res = cli(*command, "--help")
    assert res.code == 0
    shown = [ln.strip(" │") for ln in res.out.splitlines()]
    examples = [ln for ln in shown if ln.startswith("$ simmatrix " + " ".join(command))]
    assert len(examples) >= 2, res.out
    assert "<bool>" not in res.out and "list[" not in res.out


@pytest.mark.parametrize("command", [c for c in COMMANDS if c[0] == "build"
                                     and c[1] not in ("table",)] + [
                             ["data", "wordnet-tree"], ["data", "wordnet-glosses"]],
                         ids=" ".join)
def test_classes_is_a_file_with_short_c_everywhere(cli, command):
    out = cli(*command, "--help").out
    line = next(ln for ln in out.splitlines() if "--classes" in ln)
    assert "-c" in line.split() and "<path>" in line


def test_completion_is_enabled(cli):
    assert "--show-completion" in cli("--help").out


def test_inspect_bins_follow_the_data_and_skip_zero_neighbours(cli, tmp_path):
    rng = np.random.default_rng(0)
    C = rng.uniform(0.001, 0.09, (10, 10))
    C[0, 1:] = 0.0  # class 0 has no neighbour at all
    np.fill_diagonal(C, 1.0)
    src = _save(tmp_path / "conf.npy", C)
    res = cli("inspect", src, "--json")
    info = __import__("json").loads(res.out)
    hist = info["values"]["histogram_off_diagonal"]
    off = C[~np.eye(10, dtype=bool)]
    ref_counts, ref_edges = np.histogram(off, bins=10, range=(0.0, off.max()))
    np.testing.assert_allclose(hist["edges"], ref_edges, atol=1e-6)
    assert hist["counts"] == ref_counts.tolist()
    assert max(hist["counts"]) < 90  # not every entry in one bar
    assert info["top_k"]["0"] == []
    text = cli("inspect", src).out
    assert "0: (none above 0)" in text


def test_inspect_text_shows_provenance(cli, tmp_path):
    src = _save(tmp_path / "a.npy", _random_matrix(4))
    out = tmp_path / "lb.npy"
    assert cli("transform", src, "-o", out, "--lower-bound", 0.25).code == 0
    text = cli("inspect", out).out
    assert "transforms lower_bound(l=0.25)" in text


def test_heatmap_scales_the_off_diagonal_and_titles_from_provenance():
    pytest.importorskip("matplotlib")
    from simmatrix.plot import heatmap
    from simmatrix.transforms import lower_bound

    rng = np.random.default_rng(2)
    C = rng.uniform(0, 0.09, (6, 6))
    np.fill_diagonal(C, 1.0)
    S = lower_bound(SimilarityMatrix(C, metadata={"builder": "confusion"}), 0.01)
    fig = heatmap(S, order="given")
    im = fig.axes[0].images[0]
    off = S.values[~np.eye(6, dtype=bool)]
    assert im.norm.vmin == 0 and np.isclose(im.norm.vmax, off.max())
    assert "lower_bound(l=0.01)" in fig.axes[0].get_title()
    assert heatmap(S, scale="full").axes[0].images[0].norm.vmax == 1.0
