"""Class → synset resolution, the built matrix, the graph cache, and the CLI end to end."""

from __future__ import annotations

import json
import math
import random

import _wordnet_fixtures as wf
import numpy as np
import pytest

from simmatrix import io
from simmatrix.builders.wordnet import read_mapping, resolve_classes, wordnet_matrix
from simmatrix.cli import main
from simmatrix.errors import BuildError

wn, graph = wf.wn, wf.graph  # the shared session fixtures


def run(capsys, *argv):
    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


def test_plain_names_resolve_like_nltk_first_noun_sense(wn, graph):
    names = wf.imagenet_names() + wf.cifar100_names() + ["foxes", "mice", "pickup truck", "Rose"]
    expected, unknown = {}, []
    for name in dict.fromkeys(names):
        senses = wn.synsets(name.replace(" ", "_"), "n")
        if senses:
            expected[name] = senses[0].name()
        else:
            unknown.append(name)
    got = resolve_classes(list(expected), graph, senses="first")
    assert {r.cls: r.synset for r in got} == expected
    assert {r.cls: r.gloss for r in got}["Rose"] == wn.synset("rose.n.01").definition()
    with pytest.raises(BuildError) as err:
        resolve_classes(names, graph, senses="first")
    msg = str(err.value)
    assert f"{len(unknown)} classes have no WordNet 3.0 synset" in msg
    for name in unknown[:20]:
        assert repr(name) in msg


def test_wnids_synset_names_and_mapping_mix(wn, graph):
    classes = ["n01440764", "dog.n.03", "mouse", "maple_tree"]
    got = resolve_classes(classes, graph, mapping={"maple_tree": "maple.n.02",
                                                   "mouse": "mouse.n.04"})
    assert [r.synset for r in got] == [
        wn.synset_from_pos_and_offset("n", 1440764).name(), wn.synset("dog.n.03").name(),
        "mouse.n.04", "maple.n.02"]
    assert [r.how for r in got] == ["wnid", "synset", "mapping:synset", "mapping:synset"]
    with pytest.raises(BuildError, match="all be nouns or all verbs"):
        resolve_classes(["dog", "run.v.01", "v00001740"], graph)


def test_unknown_names_one_error_with_suggestions(graph):
    with pytest.raises(BuildError) as err:
        resolve_classes(["dog", "aquarium_fish", "maple_tree", "blorfle", "n99999999"], graph,
                        senses="first")
    msg = str(err.value)
    assert msg.startswith("4 classes have no WordNet 3.0 synset: 'aquarium_fish'")
    assert "'maple_tree' (close: maple" in msg and "'blorfle'" in msg and "'n99999999'" in msg
    assert "mapping={class: target}" in msg and "--mapping" not in msg  # Python's words


def test_built_matrix_is_nltk_wup_with_unit_diagonal(wn):
    wnids = wf.imagenet_wnids()[::10]
    S = wordnet_matrix(wnids, "wup")
    syn = [wn.synset_from_pos_and_offset("n", int(w[1:])) for w in wnids]
    off = [(i, j) for i in range(100) for j in range(100) if i != j]
    for i, j in random.Random(5).sample(off, 300):
        assert abs(S.values[i, j] - syn[i].wup_similarity(syn[j])) <= 1e-9
    assert np.all(np.diag(S.values) == 1.0)
    meta = S.metadata
    assert meta["builder"] == "wordnet" and meta["params"]["measure"] == "wup"
    assert meta["synsets"][wnids[0]]["synset"] == syn[0].name()
    assert meta["synsets"][wnids[0]]["gloss"] == syn[0].definition()


def test_lch_is_scaled_by_its_maximum(wn):
    names = ["dog", "cat", "rose", "car", "tench"]
    S = wordnet_matrix(names, "lch")
    top = S.metadata["scale"]["divided_by"]
    syn = [wn.synsets(n, "n")[0] for n in names]
    assert top == pytest.approx(math.log(2 * 19), abs=1e-12)  # WordNet 3.0 noun depth 19
    for i in range(5):
        for j in range(5):
            expected = syn[i].lch_similarity(syn[j]) / top
            assert abs(S.values[i, j] - expected) <= 1e-9


def _unit(measure, value):
    """docs/wordnet.md's map of nltk's res/lin/jcn to [0, 1], for intrinsic IC (IC_max 1)."""
    if measure == "res":
        return min(value / 1.0, 1.0)
    if measure == "lin":
        return min(max(value, 0.0), 1.0)
    return 0.0 if value == 0 else 1.0 - min(1.0 / value, 2.0) / 2.0


@pytest.mark.parametrize("measure", ["res", "lin", "jcn"])
def test_ic_measures_are_mapped_to_the_unit_interval_as_documented(wn, graph, measure):
    from simmatrix.sources.wordnet.measures import intrinsic_ic

    names = ["dog", "cat", "rose", "car", "tench", "entity"]  # entity: IC 0, nltk's jcn 0
    S = wordnet_matrix(names, measure)
    syn = [wn.synsets(n, "n")[0] for n in names]
    ic = wf.nltk_ic_from_table(graph, "n", intrinsic_ic(graph["n"]), syn)
    # the largest intrinsic IC is a leaf's: 1 - log(0 + 1) / log N
    if measure == "lin":
        assert "scale" not in S.metadata
    else:
        assert S.metadata["scale"]["max_ic"] == 1.0
    assert np.all(np.diag(S.values) == 1.0)  # nltk's lin of entity with itself is 0 / 0
    for i in range(len(names)):
        for j in range(len(names)):
            if i == j:
                continue
            expected = _unit(measure, getattr(syn[i], f"{measure}_similarity")(syn[j], ic))
            assert abs(S.values[i, j] - expected) <= 1e-9, (names[i], names[j], measure)


def test_graph_cache_round_trip(graph, tmp_path):
    from simmatrix.sources.wordnet.graph import _save, load_graph

    # always through _save: copying the user's cache file would compare it with itself
    _save(graph, tmp_path / f"wordnet-graph-{graph.fingerprint[:20]}.npz")
    again = load_graph(cache=tmp_path)
    assert again.from_cache and again.fingerprint == graph.fingerprint
    assert again.root == graph.root
    for pos in ("n", "v"):
        a, b = graph[pos], again[pos]
        assert a.names == b.names and a.glosses == b.glosses and a.lemmas == b.lemmas
        assert a.exceptions == b.exceptions
        for k in ("offsets", "parents_ptr", "parents_idx", "min_depth", "max_depth", "hypo",
                  "lemma_ptr", "lemma_idx"):
            np.testing.assert_array_equal(getattr(a, k), getattr(b, k))


def test_cli_imagenet_index_end_to_end(wn, tmp_path, capsys):
    out = tmp_path / "in1k_path.npy"
    code, _, err = run(capsys, "build", "wordnet", "--classes",
                       str(wf.DATA / "imagenet_class_index.json"), "--measure", "path",
                       "-o", str(out))
    assert code == 0, err
    S = io.load(out)
    wnids = wf.imagenet_wnids()
    assert S.classes == tuple(wnids) and S.shape == (1000, 1000)
    assert np.all(np.diag(S.values) == 1.0)
    for ij in random.Random(2).sample(range(1000 * 1000), 200):  # anywhere in the matrix
        i, j = divmod(ij, 1000)
        if i == j:
            continue
        a = wn.synset_from_pos_and_offset("n", int(wnids[i][1:]))
        b = wn.synset_from_pos_and_offset("n", int(wnids[j][1:]))
        assert abs(S.values[i, j] - a.path_similarity(b)) <= 1e-9


def test_cli_names_mapping_and_lower_bound(wn, graph, tmp_path, capsys):
    out = tmp_path / "cifar.parquet"
    names = tmp_path / "cifar100.txt"
    names.write_text("\n".join(wf.cifar100_names()) + "\n")
    code, _, err = run(capsys, "build", "wordnet", "--classes", str(names),
                       "--mapping", str(wf.DATA / "cifar100_wordnet_map.tsv"), "--measure", "res",
                       "--lower-bound", "0.3", "-o", str(out))
    assert code == 0, err
    S = io.load(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cifar.parquet", "cifar100.txt"]
    assert len(S) == 100 and S.metadata["synsets"]["maple_tree"]["synset"] == "maple.n.02"
    assert S.metadata["params"]["ic"] == "intrinsic"
    # the saved values: nltk's res (IC_max 1, capped at 1), then the paper's lower bound
    from simmatrix.sources.wordnet.measures import intrinsic_ic

    syn = [wn.synset(S.metadata["synsets"][c]["synset"]) for c in S.classes]
    ic = wf.nltk_ic_from_table(graph, "n", intrinsic_ic(graph["n"]), syn)
    for i, j in random.Random(4).sample([(i, j) for i in range(100) for j in range(100)], 150):
        res = min(syn[i].res_similarity(syn[j], ic), 1.0)
        expected = 1.0 if i == j else max(0.0, res - 0.3) / 0.7
        assert abs(S.values[i, j] - expected) <= 1e-9, (S.classes[i], S.classes[j])
    assert read_mapping(wf.DATA / "cifar100_wordnet_map.tsv") == {
        "aquarium_fish": "fish.n.01", "maple_tree": "maple.n.02"}


def test_cli_unknown_names_one_line_no_file(tmp_path, capsys):
    out = tmp_path / "bad.npy"
    code, _, err = run(capsys, "build", "wordnet", "--names", "dog,blorfle,maple_tree,cat",
                       "--senses", "first", "-o", str(out))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("simmatrix: error: 2 classes have no")
    assert "'blorfle'" in lines[0] and "'maple_tree' (close: maple" in lines[0]
    assert not list(tmp_path.iterdir())


def test_cli_bad_inputs(tmp_path, capsys):
    out = tmp_path / "x.npy"
    code, _, err = run(capsys, "build", "wordnet", "-o", str(out))
    assert code == 2 and "exactly one of --classes" in err
    code, _, err = run(capsys, "build", "wordnet", "--names", "dog,cat", "--measure", "res",
                       "--ic", str(tmp_path / "nope.dat"), "-o", str(out))
    assert code == 2 and "nope.dat" in err
    code, _, err = run(capsys, "build", "wordnet", "--names", "dog,cat", "--mapping",
                       str(tmp_path / "nomap.tsv"), "-o", str(out))
    assert code == 2 and "nomap.tsv" in err
    assert not list(tmp_path.iterdir())


def test_json_mapping_file(tmp_path):
    p = tmp_path / "m.json"
    p.write_text(json.dumps({"aquarium_fish": "fish.n.01"}))
    assert read_mapping(p) == {"aquarium_fish": "fish.n.01"}


@pytest.mark.slow
def test_context_senses_beat_the_first_sense_on_imagenet(wn, graph):
    """ImageNet's wnids are the truth for its names; nltk's synset() gives each wnid's name."""
    names, wnids = wf.imagenet_names(), wf.imagenet_wnids()
    once = [i for i, n in enumerate(names) if names.count(n) == 1]
    truth = [wn.synset_from_pos_and_offset("n", int(wnids[i][1:])).name() for i in once]
    plain = [names[i] for i in once]

    def accuracy(rule):
        got = resolve_classes(plain, graph, senses=rule)
        return np.mean([r.synset == t for r, t in zip(got, truth)])

    first, context = accuracy("first"), accuracy("context")
    assert first < 0.85 < 0.93 < context, (first, context)  # 0.794 and 0.943 measured
