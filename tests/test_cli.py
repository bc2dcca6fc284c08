"""The command line as a user runs it: results, exit codes, one-line errors, no stray files."""

import json
import pickle
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from conftest import assert_one_line_error
from simmatrix import io


def test_build_order_done_criterion(cli, tmp_path):
    out = tmp_path / "x.parquet"
    res = cli("build", "order", "--n-classes", 90, "--reduction", 0.8, "-o", out)
    assert res.code == 0, res
    df = pd.read_parquet(out)
    i = np.arange(90)
    assert df.shape == (90, 90) and len(df.index) == 90
    np.testing.assert_allclose(df.to_numpy(), 0.8 ** np.abs(i[:, None] - i), rtol=0, atol=1e-7)


def test_build_order_options(cli, tmp_path):
    names = tmp_path / "names.txt"
    names.write_text("low\nmid\nhigh\n")
    res = cli("build", "order", "--names-file", names, "--values", "1,2,10", "--reduction",
              0.5, "--lower-bound", 0.2, "--dtype", "float32", "-o", tmp_path / "a.npy")
    assert res.code == 0, res
    S = io.load(tmp_path / "a.npy")
    assert S.classes == ("low", "mid", "high") and S.dtype == np.float32
    assert S["low", "mid"] == pytest.approx((0.5 - 0.2) / 0.8)
    assert S["low", "high"] == 0.0
    assert [t["name"] for t in S.metadata["transforms"]] == ["lower_bound"]
    res = cli("build", "order", "--n-classes", 12, "--circular", 12, "--kernel", "gaussian",
              "--sigma", 1.5, "-o", tmp_path / "m.csv")
    assert res.code == 0, res
    S = io.load(tmp_path / "m.csv")
    assert S["0", "11"] == pytest.approx(np.exp(-0.5 / 1.5**2))


def test_validate_exit_codes_and_json(cli, tmp_path):
    cli("build", "order", "--n-classes", 5, "-o", tmp_path / "ok.npy")
    res = cli("validate", tmp_path / "ok.npy")
    assert res.code == 0 and "valid" in res.out
    bad = np.eye(3)
    bad[0, 2] = 1.2
    np.save(tmp_path / "bad.npy", bad)
    res = cli("validate", tmp_path / "bad.npy")
    assert res.code == 1 and "S[0, 2] = 1.2 is outside [0, 1]" in res.err
    res = cli("validate", "--json", tmp_path / "bad.npy")
    report = json.loads(res.out)
    assert res.code == 1 and report["valid"] is False and report["errors"]
    res = cli("validate", tmp_path / "missing.npy")
    assert_one_line_error(res, 2)


def test_inspect(cli, tmp_path):
    cli("build", "order", "--n-classes", 10, "--reduction", 0.5, "-o", tmp_path / "m.parquet")
    res = cli("inspect", tmp_path / "m.parquet", "--top-k", 2)
    assert res.code == 0
    assert "10 × 10" in res.out and "symmetric  yes" in res.out and "0: 1 0.5" in res.out
    info = json.loads(cli("inspect", "--json", tmp_path / "m.parquet").out)
    assert info["shape"] == [10, 10] and info["symmetric"]
    assert info["top_k"]["5"][0][1] == 0.5
    i = np.arange(10)
    S = 0.5 ** np.abs(i[:, None] - i)
    assert info["off_diagonal_mass"]["mean"] == pytest.approx((S.sum() - 10) / 10)


def test_convert_all_ways(cli, tmp_path):
    cli("build", "order", "--n-classes", 7, "-o", tmp_path / "a.parquet")
    for src, dst in [("a.parquet", "b.npy"), ("b.npy", "c.csv"), ("c.csv", "d.parquet")]:
        res = cli("convert", tmp_path / src, tmp_path / dst)
        assert res.code == 0, res
    a, d = io.load(tmp_path / "a.parquet"), io.load(tmp_path / "d.parquet")
    assert a.equals(d)


def _bad_inputs(tmp_path):
    """Each bad input the spine promises a clear error for: name -> file."""
    files = {}

    def put(name, values):
        np.save(tmp_path / name, np.asarray(values))
        return tmp_path / name

    files["nan"] = put("nan.npy", [[1.0, np.nan], [0.0, 1.0]])
    files["inf"] = put("inf.npy", [[1.0, np.inf], [0.0, 1.0]])
    files["nonsquare"] = put("ns.npy", np.ones((2, 3)))
    files["3d"] = put("3d.npy", np.ones((2, 2, 2)))
    files["negative"] = put("neg.npy", [[1.0, -0.1], [0.0, 1.0]])
    files["above1"] = put("big.npy", [[1.0, 1.5], [0.0, 1.0]])
    files["diagonal"] = put("diag.npy", [[0.9, 0.1], [0.0, 1.0]])
    dup = put("dup.npy", np.eye(2))
    (tmp_path / "dup.npy.json").write_text(json.dumps({"classes": ["a", "a"]}))
    files["duplicate names"] = dup
    empty_name = put("empty_name.npy", np.eye(2))
    (tmp_path / "empty_name.npy.json").write_text(json.dumps({"classes": ["a", ""]}))
    files["empty name"] = empty_name
    short = put("short.npy", np.eye(3))
    (tmp_path / "short.npy.json").write_text(json.dumps({"classes": ["a", "b"]}))
    files["sidecar length"] = short
    io.save(io.load(files["nan"], validate=False).replace(values=np.eye(2)),
            tmp_path / "ok.parquet")
    data = (tmp_path / "ok.parquet").read_bytes()
    (tmp_path / "trunc.parquet").write_bytes(data[: len(data) // 2])
    files["truncated parquet"] = tmp_path / "trunc.parquet"
    (tmp_path / "pickled.npy").write_bytes(pickle.dumps(np.eye(2)))
    files["pickled npy"] = tmp_path / "pickled.npy"
    np.save(tmp_path / "objects.npy", np.array([None, 1], dtype=object), allow_pickle=True)
    files["object npy"] = tmp_path / "objects.npy"
    (tmp_path / "empty.npy").write_bytes(b"")
    files["empty file"] = tmp_path / "empty.npy"
    (tmp_path / "matrix.txt").write_text("1 0\n0 1\n")
    files["unknown extension"] = tmp_path / "matrix.txt"
    return files


EXPECTED = {
    "nan": (1, "S[0, 1] = nan is not finite"),
    "inf": (1, "S[0, 1] = inf is not finite"),
    "nonsquare": (1, "square"),
    "3d": (1, "2-D"),
    "negative": (1, "S[0, 1] = -0.1 is outside [0, 1]"),
    "above1": (1, "S[0, 1] = 1.5 is outside [0, 1]"),
    "diagonal": (1, "S[0, 0] = 0.9 is not 1"),
    "duplicate names": (1, "duplicated: 'a'"),
    "empty name": (1, "non-empty"),
    "sidecar length": (1, "lists 2 classes but"),
    "truncated parquet": (2, "not a readable parquet file"),
    "pickled npy": (2, "not a .npy file"),
    "object npy": (2, "pickled"),
    "empty file": (2, "is empty"),
    "unknown extension": (2, "'.txt'"),
}


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_bad_input_convert_gives_one_line_and_no_file(cli, tmp_path, case):
    src = _bad_inputs(tmp_path)[case]
    code, message = EXPECTED[case]
    out = tmp_path / "out" / "converted.parquet"
    out.parent.mkdir()
    res = cli("convert", src, out)
    assert_one_line_error(res, code)
    assert message in res.err
    assert list(out.parent.iterdir()) == []


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_bad_input_validate_exit_code(cli, tmp_path, case):
    src = _bad_inputs(tmp_path)[case]
    code, message = EXPECTED[case]
    res = cli("validate", src)
    assert res.code == code, res
    assert message in res.err
    assert "Traceback" not in res.err


def test_output_in_missing_folder(cli, tmp_path):
    res = cli("build", "order", "--n-classes", 3, "-o", tmp_path / "no" / "x.npy")
    assert_one_line_error(res, 2)
    assert "does not exist" in res.err
    assert not (tmp_path / "no").exists()


def test_no_overwrite_without_force(cli, tmp_path):
    out = tmp_path / "x.npy"
    assert cli("build", "order", "--n-classes", 3, "-o", out).code == 0
    before = out.read_bytes()
    res = cli("build", "order", "--n-classes", 4, "-o", out)
    assert_one_line_error(res, 2)
    assert "--force" in res.err and out.read_bytes() == before
    assert cli("build", "order", "--n-classes", 4, "-o", out, "--force").code == 0
    assert np.load(out).shape == (4, 4)


@pytest.mark.parametrize(
    "args",
    [
        ["build", "order", "--n-classes", "3", "--reduction", "1.5"],
        ["build", "order", "--classes", "x"],
        ["build", "order", "--n-classes", "3", "--bogus"],
        ["build", "order", "--values", "1,a,3"],
        ["build", "order", "--names-file", "absent.txt"],
        ["build", "order", "--n-classes", "3", "--kernel", "gaussian"],
    ],
)
def test_bad_usage_is_one_line(cli, tmp_path, args):
    out = tmp_path / "x.parquet"
    res = cli(*args, "-o", out)
    assert_one_line_error(res, 2)
    assert not out.exists()


def test_console_script_and_module(tmp_path):
    out = subprocess.run(["simmatrix", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("simmatrix ")
    out = subprocess.run([sys.executable, "-m", "simmatrix", "build", "order", "--n-classes",
                          "4", "-o", str(tmp_path / "m.npy")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert np.load(tmp_path / "m.npy").shape == (4, 4)
    out = subprocess.run(["simmatrix", "validate", str(tmp_path / "nothing.npy")],
                         capture_output=True, text=True)
    assert out.returncode == 2 and out.stderr.count("\n") == 1


def test_import_is_light():
    code = ("import sys, simmatrix, simmatrix.cli; "
            "heavy = {'torch', 'jax', 'gensim', 'nltk', 'matplotlib', 'networkx', 'pandas'}; "
            "print(sorted(heavy & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_cli_is_not_a_top_level_package():
    out = subprocess.run([sys.executable, "-c", "import cli"], capture_output=True, text=True,
                         cwd="/")
    assert out.returncode != 0


def test_validate_interchangeable_pairs(cli, tmp_path):
    from simmatrix import SimilarityMatrix

    S = SimilarityMatrix([[1.0, 1.0, 0], [1.0, 1.0, 0], [0, 0, 1.0]], ["sofa", "couch", "car"])
    io.save(S, tmp_path / "m.parquet")
    res = cli("validate", tmp_path / "m.parquet")
    assert res.code == 0 and "warning: 2 off-diagonal entries equal 1" in res.err
    res = cli("validate", tmp_path / "m.parquet", "--interchangeable", "couch,sofa")
    assert res.code == 0 and "warning" not in res.err
    res = cli("validate", tmp_path / "m.parquet", "-i", "couch")
    assert_one_line_error(res, 2)


def test_inspect_ties_in_column_order(cli, tmp_path):
    cli("build", "order", "--n-classes", 90, "--reduction", 0.8, "-o", tmp_path / "a.parquet")
    out = cli("inspect", tmp_path / "a.parquet", "--limit", 90).out
    assert "  0: 1 0.8, 2 0.64, 3 0.512\n" in out
    assert "  1: 0 0.8, 2 0.8, 3 0.64\n" in out
    assert "  5: 4 0.8, 6 0.8, 3 0.64\n" in out  # not "6 0.8, 4 0.8" nor "7 0.64"
    assert "  89: 88 0.8, 87 0.64, 86 0.512" in out


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("k", [None, 2])
def test_validate_and_inspect_agree_on_symmetry(cli, tmp_path, sparse, k):
    """One definition: max |S - Sᵀ| over all pairs, absent sparse entries being 0."""
    import scipy.sparse as sp

    from simmatrix import SimilarityMatrix
    from simmatrix.transforms import top_k

    rng = np.random.default_rng(0)
    a = rng.uniform(0, 0.9, (8, 8))
    a = (a + a.T) / 2
    np.fill_diagonal(a, 1)
    S = SimilarityMatrix(a, [f"c{i}" for i in range(8)])
    if k:
        S = top_k(S, k)
    dense = np.asarray(S.values)
    if sparse:
        S = S.replace(values=sp.csr_array(dense))
    path = tmp_path / "m.parquet"
    io.save(S, path)
    asym = np.abs(dense - dense.T).max()
    expected = asym <= 1e-6
    assert expected == (k is None)
    said = cli("validate", path).out
    assert said.rstrip().endswith(", symmetric)" if expected else ", asymmetric)"), said
    assert f"symmetric  {'yes' if expected else 'no'} (max |S - Sᵀ| {asym:.3g})" in \
        cli("inspect", path).out
    assert json.loads(cli("validate", path, "--json").out)["stats"]["symmetric"] == expected


def _class_index():
    from simmatrix import catalogue

    return str(catalogue.folder() / "sources" / "imagenet_class_index.json")


def _no_wordnet(monkeypatch, tmp_path):
    """nltk's search path holds no WordNet (as on a machine that never installed it)."""
    from simmatrix.sources.wordnet import data

    monkeypatch.setattr(data, "nltk_data_path", lambda: [tmp_path / "empty"])
    assert data.find_wordnet() is None


def _reference_row(S, i, k):
    a = np.asarray(S.to_dense(), dtype=np.float64)
    js = sorted((j for j in range(len(a)) if j != i), key=lambda j: (-a[i, j], j))
    return [(S.classes[j], a[i, j]) for j in js[:k] if a[i, j] > 0]


@pytest.mark.filterwarnings("ignore:The multilingual functions")
def test_wnids_get_wordnet_first_lemmas():
    """The names equal nltk's first lemma of each synset, for all 1000 ImageNet wnids."""
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    import simmatrix
    from simmatrix.sources.wordnet.data import find_wordnet
    from simmatrix.summary import human_names

    S = simmatrix.load("imagenet1k-wordnet-lca")  # no synsets in its metadata
    names = human_names(S.classes)
    wn = WordNetCorpusReader(str(find_wordnet()), None)
    expected = {c: wn.synset_from_pos_and_offset("n", int(c[1:])).lemmas()[0].name()
                for c in S.classes}
    assert names == expected
    assert human_names(["cat", "n1234"]) == {}  # not wnids: no names


def test_inspect_row_by_human_name(cli):
    import simmatrix

    res = cli("inspect", "imagenet1k-wordnet-lca", "--row", "great white shark", "-k", 5,
              "--limit", 2)
    assert res.code == 0, res
    assert "n01440764 (tench), n01443537 (goldfish) ..." in res.out
    assert "row        n01484850 (great_white_shark)" in res.out
    info = json.loads(cli("inspect", "imagenet1k-wordnet-lca", "--row", "Tench", "-k", 5,
                          "--json").out)
    S = simmatrix.load("imagenet1k-wordnet-lca")
    assert info["row"]["class"] == "n01440764" and info["row"]["name"] == "tench"
    expected = _reference_row(S, 0, 5)
    assert [c for c, _, _ in info["row"]["nearest"]] == [c for c, _ in expected]
    np.testing.assert_allclose([v for _, _, v in info["row"]["nearest"]],
                               [v for _, v in expected], atol=1e-6)
    assert info["human_names"]["n01443537"] == "goldfish"
    res = cli("inspect", "imagenet1k-wordnet-lca", "--row", "crane")
    assert_one_line_error(res, 2)
    assert "n02012849" in res.err and "n03126707" in res.err


def test_class_index_names_and_plot_row(cli, tmp_path):
    CLASS_INDEX = _class_index()
    index = json.loads(open(CLASS_INDEX).read())
    info = json.loads(cli("inspect", "imagenet1k-wordnet-lca", "--class-index", CLASS_INDEX,
                          "--json").out)
    assert info["human_names"] == {w: name for w, name in index.values()}
    res = cli("inspect", "imagenet1k-wordnet-lca", "--class-index", CLASS_INDEX, "--row",
              "black swan")
    assert res.code == 0 and "row        n01860187 (black swan)" in res.out
    res = cli("plot", "imagenet1k-wordnet-lca", "--row", "tench", "--top", 5, "-o",
              tmp_path / "t.png")
    assert res.code == 0 and (tmp_path / "t.png").stat().st_size > 1000
    (tmp_path / "bad.json").write_text('{"0": "tench"}')
    res = cli("inspect", "imagenet1k-wordnet-lca", "--class-index", tmp_path / "bad.json")
    assert_one_line_error(res, 2)


def test_without_wordnet_wnids_only(cli, monkeypatch, tmp_path):
    _no_wordnet(monkeypatch, tmp_path)
    res = cli("inspect", "imagenet1k-wordnet-lca", "--limit", 3)
    assert res.code == 0, res
    assert "classes    n01440764, n01443537, n01484850 ..." in res.out
    assert "human_names" not in json.loads(cli("inspect", "imagenet1k-wordnet-lca",
                                               "--json").out)
    res = cli("inspect", "imagenet1k-wordnet-lca", "--row", "tench")
    assert_one_line_error(res, 2)
    assert "simmatrix data wordnet" in res.err
    assert cli("inspect", "imagenet1k-wordnet-lca", "--row", "n01440764").code == 0
    # a WordNet build recorded its synsets: their names need no WordNet
    res = cli("inspect", "imagenet1k-wordnet-wup", "--row", "tench", "--limit", 1)
    assert res.code == 0 and "row        n01440764 (tench)" in res.out
