"""``data wordnet-glosses``: each class described by its synset's gloss, for ``build text``.

Real WordNet 3.0 (the sandbox's install) and, for the round trip through ``build text``, the
real packaged model. The expected texts come from nltk alone (``wn.synsets(name, "n")``,
``wn.synset(...).definition()``, ``wn.synset_from_pos_and_offset``), and the files are read
back with Python's own ``json`` and ``csv`` modules as well as with ``read_descriptions``.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import _wordnet_fixtures as wf
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import assert_one_line_error
from simmatrix.errors import MatrixFileError
from simmatrix.sources.text import read_descriptions, write_descriptions

wn = wf.wn  # the shared session fixture
IMAGENET = Path(__file__).parent / "data" / "wordnet" / "imagenet_class_index.json"


def _lines(path: Path) -> dict[str, str]:
    """'class: text' lines, split at the first ': ' (an independent reader)."""
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        cls, text = line.split(": ", 1)
        assert cls not in out
        out[cls] = text
    return out


def _senses_out(path: Path) -> dict[str, str]:
    return dict(line.split("\t") for line in path.read_text().splitlines()
                if line and not line.startswith("#"))


def test_each_class_gets_its_first_senses_gloss(cli, wn, tmp_path):
    out = tmp_path / "desc.txt"
    res = cli("data", "wordnet-glosses", "--names", "dog,rose,pickup truck,n01440764,oak.n.02",
              "--senses", "first", "-o", out)
    assert res.code == 0, res
    tench = wn.synset_from_pos_and_offset("n", 1440764)
    assert _lines(out) == {
        "dog": f"dog: {wn.synsets('dog', 'n')[0].definition()}",
        "rose": f"rose: {wn.synsets('rose', 'n')[0].definition()}",
        "pickup truck": f"pickup truck: {wn.synsets('pickup_truck', 'n')[0].definition()}",
        # an identifier means nothing to a sentence model: the synset's own word stands in
        "n01440764": f"tench: {tench.definition()}",
        "oak.n.02": f"oak: {wn.synset('oak.n.02').definition()}",
    }
    assert "wrote 5 descriptions" in res.err


def test_imagenet_wnids_get_their_synsets_glosses(cli, wn, tmp_path):
    out = tmp_path / "in1k.json"
    assert cli("data", "wordnet-glosses", "-c", IMAGENET, "-o", out).code == 0
    got = json.loads(out.read_text(encoding="utf-8"))
    index = json.loads(IMAGENET.read_text())
    wnids = [index[str(i)][0] for i in range(len(index))]
    assert list(got) == wnids
    for wnid in wnids:
        syn = wn.synset_from_pos_and_offset("n", int(wnid[1:]))
        word = syn.name().rsplit(".", 2)[0].replace("_", " ")
        assert got[wnid] == f"{word}: {syn.definition()}", wnid


def test_context_senses_are_described_and_listed_for_review(cli, wn, tmp_path):
    out, senses = tmp_path / "desc.txt", tmp_path / "senses.tsv"
    names = "tiger,lion,leopard,seal,whale,otter"
    res = cli("data", "wordnet-glosses", "--names", names, "--senses", "context", "-o", out,
              "--senses-out", senses)
    assert res.code == 0, res
    got, chosen = _lines(out), _senses_out(senses)
    assert list(got) == names.split(",") == list(chosen)
    for cls, synset in chosen.items():  # the description is the gloss of the synset chosen
        assert got[cls] == f"{cls}: {wn.synset(synset).definition()}"
    # the animals, not "a fierce or audacious person", sealing wax or "a very large person"
    assert got["tiger"] == f"tiger: {wn.synset('tiger.n.02').definition()}"
    assert got["seal"] == f"seal: {wn.synset('seal.n.09').definition()}"
    assert got["whale"] == f"whale: {wn.synset('whale.n.02').definition()}"
    assert "tiger.n.02" in res.err and "runner-up tiger.n.01" in res.err  # the review table


def test_mapping_overrides_a_sense(cli, wn, tmp_path):
    mapping, out = tmp_path / "map.tsv", tmp_path / "desc.txt"
    mapping.write_text("mouse\tmouse.n.04\n")
    res = cli("data", "wordnet-glosses", "--names", "mouse,keyboard", "--mapping", mapping,
              "--senses", "first", "-o", out)
    assert res.code == 0, res
    assert _lines(out) == {
        "mouse": f"mouse: {wn.synset('mouse.n.04').definition()}",  # the computer mouse
        "keyboard": f"keyboard: {wn.synsets('keyboard', 'n')[0].definition()}",
    }


@pytest.mark.parametrize("suffix", [".json", ".csv", ".tsv", ".txt"])
def test_every_format_build_text_reads_holds_the_same_descriptions(cli, wn, tmp_path, suffix):
    out = tmp_path / f"desc{suffix}"
    names = ["salt, table", "rose", "oak"]  # a comma inside a class: CSV must quote it
    mapping = tmp_path / "map.tsv"
    mapping.write_text(f"{names[0]}\tsalt.n.02\n")
    classes = tmp_path / "classes.json"
    classes.write_text(json.dumps(names))
    res = cli("data", "wordnet-glosses", "-c", classes, "--mapping", mapping, "--senses", "first",
              "-o", out)
    assert res.code == 0, res
    expected = {names[0]: f"{names[0]}: {wn.synset('salt.n.02').definition()}",
                "rose": f"rose: {wn.synsets('rose', 'n')[0].definition()}",
                "oak": f"oak: {wn.synsets('oak', 'n')[0].definition()}"}
    text = out.read_text(encoding="utf-8")
    if suffix == ".json":
        independent = json.loads(text)
    elif suffix == ".txt":
        independent = _lines(out)
    else:
        rows = csv.reader(text.splitlines(), delimiter="\t" if suffix == ".tsv" else ",")
        independent = dict(rows)
    assert independent == expected
    assert read_descriptions(out) == expected
    assert len(text.splitlines()) == 3 + 2 * (suffix == ".json")  # one line per class


@pytest.mark.slow
def test_the_file_round_trips_through_build_text(cli, wn, tmp_path):
    pytest.importorskip("sentence_transformers")
    from simmatrix import io

    desc, S_path = tmp_path / "desc.txt", tmp_path / "S.npy"
    names = "tiger,lion,seal,whale,mouse,hamster"
    assert cli("data", "wordnet-glosses", "--names", names, "--senses", "context",
               "-o", desc).code == 0
    res = cli("build", "text", "--names", names, "--descriptions", desc, "-o", S_path)
    assert res.code == 0, res
    S = io.load(S_path)
    assert S.classes == tuple(names.split(","))
    assert S.metadata["texts"] == _lines(desc)
    assert S.metadata["texts"]["mouse"] == f"mouse: {wn.synset('mouse.n.01').definition()}"
    assert S.metadata["params"]["descriptions"] is True
    assert S.metadata["sources"][-1]["name"] == "descriptions"


def test_unknown_class_is_one_line_and_writes_nothing(cli, tmp_path):
    out, senses = tmp_path / "desc.txt", tmp_path / "senses.tsv"
    res = cli("data", "wordnet-glosses", "--names", "tiger,blorfle", "-o", out,
              "--senses-out", senses)
    assert_one_line_error(res, 2)
    assert "'blorfle'" in res.err and "no WordNet 3.0 synset" in res.err
    assert not out.exists() and not senses.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary left behind either


def test_existing_output_is_kept_without_force(cli, wn, tmp_path):
    out = tmp_path / "desc.txt"
    out.write_text("keep me\n")
    res = cli("data", "wordnet-glosses", "--names", "dog,cat", "-o", out)
    assert_one_line_error(res, 2)
    assert "already exists" in res.err and "--force" in res.err
    assert out.read_text() == "keep me\n"
    assert cli("data", "wordnet-glosses", "--names", "dog,cat", "-o", out, "--force").code == 0
    assert _lines(out)["cat"] == f"cat: {wn.synsets('cat', 'n')[0].definition()}"


def test_existing_senses_out_is_kept_without_force(cli, tmp_path):
    out, senses = tmp_path / "desc.txt", tmp_path / "senses.tsv"
    senses.write_text("keep me\n")
    res = cli("data", "wordnet-glosses", "--names", "dog,cat", "-o", out,
              "--senses-out", senses)
    assert_one_line_error(res, 2)
    assert senses.read_text() == "keep me\n" and not out.exists()


def test_a_class_the_lines_format_cannot_hold_points_to_json(cli, tmp_path):
    mapping, out = tmp_path / "map.tsv", tmp_path / "desc.txt"
    mapping.write_text("ratio 1:2\tdog.n.01\n")
    res = cli("data", "wordnet-glosses", "--names", "ratio 1:2,cat", "--mapping", mapping,
              "-o", out)
    assert_one_line_error(res, 2)
    assert "'ratio 1:2'" in res.err and ".json" in res.err and not out.exists()
    assert list(tmp_path.iterdir()) == [mapping]
    good = tmp_path / "desc.json"
    assert cli("data", "wordnet-glosses", "--names", "ratio 1:2,cat", "--mapping", mapping,
               "-o", good).code == 0
    assert read_descriptions(good)["ratio 1:2"].startswith("ratio 1:2: a member of the genus")


def test_library_messages_name_python_arguments(tmp_path):
    from simmatrix.errors import BuildError
    from simmatrix.sources.wordnet.glosses import gloss_descriptions

    path = tmp_path / "d.txt"
    write_descriptions({"dog": "a dog"}, path)
    with pytest.raises(MatrixFileError, match="pass overwrite=True") as info:
        write_descriptions({"dog": "a dog"}, path)
    assert "--" not in str(info.value)
    with pytest.raises(BuildError, match="'tigre' is not in the class list") as info:
        gloss_descriptions(["tiger"], mapping={"tigre": "tiger.n.02"})
    assert "--" not in str(info.value)


def test_gloss_descriptions_equals_nltk(wn):
    from simmatrix.sources.wordnet.glosses import gloss_descriptions

    got = gloss_descriptions(["maple_tree", "rose.n.01", "tiger", "lion", "leopard"],
                             senses="context")
    assert got == {"maple_tree": f"maple tree: {wn.synset('maple.n.02').definition()}",
                   "rose.n.01": f"rose: {wn.synset('rose.n.01').definition()}",
                   "tiger": f"tiger: {wn.synset('tiger.n.02').definition()}",
                   "lion": f"lion: {wn.synset('lion.n.01').definition()}",
                   "leopard": f"leopard: {wn.synset('leopard.n.02').definition()}"}


_TRICKY = st.sampled_from(list(':{},"\t\r\n \x0b\x85\u2028\ufeffab#')) | st.characters()


@given(st.dictionaries(st.text(_TRICKY, max_size=8), st.text(_TRICKY, max_size=8),
                       max_size=4),
       st.sampled_from([".json", ".csv", ".tsv", ".txt", ""]))
def test_written_descriptions_read_back_unchanged_or_are_refused(tmp_path_factory,
                                                                 descriptions, suffix):
    path = tmp_path_factory.mktemp("rt") / f"d{suffix}"
    try:
        write_descriptions(descriptions, path)
    except MatrixFileError:
        assert not path.exists() and list(path.parent.iterdir()) == []
        return
    assert read_descriptions(path) == descriptions


def test_plain_descriptions_are_always_writable(tmp_path):
    d = {"pickup truck": "a light truck, with an open body", "a,b": 'the "quoted" one'}
    for suffix in (".json", ".csv", ".tsv", ".txt"):
        write_descriptions(d, tmp_path / f"d{suffix}")
        assert read_descriptions(tmp_path / f"d{suffix}") == d
