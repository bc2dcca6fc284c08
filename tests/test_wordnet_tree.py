"""The WordNet hypernym tree export, on real WordNet 3.0, checked against nltk's pointers."""

from pathlib import Path

import pytest

from conftest import assert_one_line_error

ROOT = Path(__file__).parent.parent
SOURCES = ROOT / "matrices" / "sources"


def _edges(path):
    lines = path.read_text().splitlines()
    assert lines[0] == "parent\tchild"
    return [tuple(line.split("\t")) for line in lines[1:]]


def test_catalogue_tree_is_what_the_command_builds(cli, tmp_path):
    out = tmp_path / "tree.tsv"
    res = cli("data", "wordnet-tree", "--classes", SOURCES / "imagenet_class_index.json",
              "-o", out)
    assert res.code == 0, res
    assert out.read_text() == (SOURCES / "imagenet_wordnet_tree.tsv").read_text()


def test_dag_parents_equal_nltk_hypernyms(cli, tmp_path):
    from nltk.corpus import wordnet as wn

    out = tmp_path / "dag.tsv"
    names = "dog,cat,rose,pickup truck,Mississippi,tench"
    # nltk's first senses (the labels below); the context rule has its own tests
    assert cli("data", "wordnet-tree", "--names", names, "--dag", "--senses", "first",
               "-o", out).code == 0
    parents: dict[str, set] = {}
    for p, c in _edges(out):
        parents.setdefault(c, set()).add(p)
    labels = {"dog": "dog.n.01", "cat": "cat.n.01", "rose": "rose.n.01",
              "pickup truck": "pickup.n.01", "Mississippi": "mississippi.n.01",
              "tench": "tench.n.01"}
    for child, ps in parents.items():
        syn = wn.synset(labels[child]) if child in labels else \
            wn.synset_from_pos_and_offset("n", int(child[1:]))
        expected = {f"n{h.offset():08d}" for h in syn.hypernyms() + syn.instance_hypernyms()}
        expected = {next((k for k, v in labels.items() if wn.synset(v).offset() == int(e[1:])),
                         e) for e in expected}
        assert ps == expected, child
    assert "Mississippi" in parents  # an instance: reached through @i


def test_tree_has_one_parent_and_class_leaves(cli, tmp_path):
    out = tmp_path / "t.tsv"
    assert cli("data", "wordnet-tree", "--names", "dog,cat,rose", "-o", out).code == 0
    edges = _edges(out)
    children = [c for _, c in edges]
    assert len(children) == len(set(children))
    assert {"dog", "cat", "rose"} <= set(children)
    res = cli("build", "hierarchy", "--graph", out, "--classes",
              _write(tmp_path / "c.txt", "dog\ncat\nrose\n"), "-o", tmp_path / "S.csv")
    assert res.code == 0, res


def _write(path, text):
    path.write_text(text)
    return path


@pytest.mark.parametrize("names, message", [
    ("dog,domestic_dog", "same synset"),
    ("run.v.01,walk.v.01", "noun"),
])
def test_errors(cli, tmp_path, names, message):
    out = tmp_path / "t.tsv"
    res = cli("data", "wordnet-tree", "--names", names, "-o", out)
    assert_one_line_error(res, 2)
    assert message in res.err and not out.exists()


def test_missing_mapping_file_is_one_line(cli, tmp_path):
    out = tmp_path / "t.tsv"
    res = cli("data", "wordnet-tree", "--names", "dog,cat", "--mapping",
              tmp_path / "nomap.tsv", "-o", out)
    assert_one_line_error(res, 2)
    assert "mapping file" in res.err and "nomap.tsv' does not exist" in res.err
    assert not out.exists()


def test_data_noun_is_read_from_a_folder_or_from_nltks_zip(tmp_path):
    import zipfile

    from simmatrix.sources.wordnet.data import find_wordnet
    from simmatrix.sources.wordnet.tree import read_data_noun

    folder = find_wordnet()
    head = (folder / "data.noun").read_bytes()[:4000].decode("utf-8", "replace")
    head = head[:head.rfind("\n") + 1]
    (tmp_path / "data.noun").write_text(head, encoding="utf-8")
    assert read_data_noun(tmp_path) == head
    zipped = tmp_path / "wordnet.zip"  # nltk's downloader layout: wordnet/<file>
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.writestr("wordnet/data.noun", head)
    assert read_data_noun(zipped) == head
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as zf:
        zf.writestr("wordnet/index.noun", "")
    with pytest.raises(ValueError, match="cannot read data.noun"):
        read_data_noun(tmp_path / "other.zip")
