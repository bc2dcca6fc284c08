"""All-pairs WordNet measures against nltk's own functions on real WordNet 3.0.

Reference values come from nltk's ``Synset.*_similarity`` called pair by pair; the arrays
under test never call nltk.
"""

from __future__ import annotations

import math
import random

import _wordnet_fixtures as wf
import pytest

from simmatrix.builders.wordnet import raw_similarity, read_mapping, resolve_classes
from simmatrix.sources.wordnet.measures import intrinsic_ic

DATA_MAP = wf.DATA / "cifar100_wordnet_map.tsv"
TOL = 1e-9

wn, graph = wf.wn, wf.graph  # the shared session fixtures


def _pairs(n, k, seed):
    rng = random.Random(seed)
    pairs = [(rng.randrange(n), rng.randrange(n)) for _ in range(k)]
    return pairs + [(i, i) for i in rng.sample(range(n), min(n, 20))]


def _nltk_synsets(wn, graph, resolved):
    return [wn.synset_from_pos_and_offset(r.pos, int(graph[r.pos].offsets[r.index]))
            for r in resolved]


def _check(raw, syn, pairs, ref):
    worst = 0.0
    for i, j in pairs:
        expected = ref(syn[i], syn[j])
        if expected is None or (isinstance(expected, float) and math.isnan(expected)):
            assert math.isnan(raw[i, j]), (syn[i], syn[j], raw[i, j], expected)
            continue
        diff = abs(raw[i, j] - expected)
        assert diff <= TOL * max(1.0, abs(expected)), (syn[i], syn[j], raw[i, j], expected)
        worst = max(worst, diff)
    return worst


@pytest.fixture(scope="module")
def imagenet(wn, graph):
    resolved = resolve_classes(wf.imagenet_wnids(), graph)
    return resolved, _nltk_synsets(wn, graph, resolved)


@pytest.mark.parametrize("measure", ["wup", "path", "lch"])
def test_imagenet_wnids_equal_nltk(imagenet, graph, measure):
    resolved, syn = imagenet
    raw = raw_similarity(graph, resolved, measure)
    assert raw.shape == (1000, 1000)
    ref = {"wup": lambda a, b: a.wup_similarity(b), "path": lambda a, b: a.path_similarity(b),
           "lch": lambda a, b: a.lch_similarity(b)}[measure]
    # a fixed seed per measure: hash() of a str changes between runs (PYTHONHASHSEED)
    _check(raw, syn, _pairs(1000, 400, seed=("wup", "path", "lch").index(measure)), ref)


def _with_ancestors(wn, synsets):
    """The synsets plus every hypernym on their paths: ancestor pairs and nltk's tie rules."""
    out = set(synsets)
    for s in synsets:
        for path in s.hypernym_paths():
            out.update(path)
    return sorted(out, key=lambda s: s.name())


@pytest.mark.parametrize("pos, seed_names", [
    ("n", ["chef.n.01", "fireman.n.01", "dog.n.01", "cat.n.01", "rose.n.01", "car.n.01",
           "abstraction.n.06", "entity.n.01", "water.n.01", "person.n.01", "einstein.n.01"]),
    ("v", ["run.v.01", "walk.v.01", "eat.v.01", "drink.v.01", "think.v.01", "be.v.01",
           "give.v.01", "sleep.v.01", "change.v.01", "move.v.02", "breathe.v.01"]),
])
def test_ancestors_ties_and_verbs_equal_nltk(wn, graph, pos, seed_names):
    syn = _with_ancestors(wn, [wn.synset(n) for n in seed_names])
    resolved = resolve_classes([s.name() for s in syn], graph)
    assert [r.synset for r in resolved] == [s.name() for s in syn]
    n = len(syn)
    pairs = [(i, j) for i in range(n) for j in range(n)]
    random.Random(3).shuffle(pairs)
    pairs = pairs[:800] + [(i, i) for i in range(n)]
    for measure, ref in [("wup", lambda a, b: a.wup_similarity(b)),
                         ("path", lambda a, b: a.path_similarity(b)),
                         ("lch", lambda a, b: a.lch_similarity(b))]:
        _check(raw_similarity(graph, resolved, measure), syn, pairs, ref)


@pytest.mark.parametrize("measure", ["res", "lin", "jcn"])
def test_cifar100_intrinsic_ic_measures_equal_nltk(wn, graph, measure):
    resolved = resolve_classes(wf.cifar100_names(), graph, mapping=read_mapping(DATA_MAP))
    syn = _nltk_synsets(wn, graph, resolved)
    table = intrinsic_ic(graph["n"])
    ic = wf.nltk_ic_from_table(graph, "n", table, syn)
    raw = raw_similarity(graph, resolved, measure, ic="intrinsic")
    ref = {"res": lambda a, b: a.res_similarity(b, ic),
           "lin": lambda a, b: a.lin_similarity(b, ic),
           "jcn": lambda a, b: a.jcn_similarity(b, ic)}[measure]
    _check(raw, syn, _pairs(100, 300, seed=7), ref)


def test_intrinsic_ic_is_seco_formula_on_nltk_closure(wn, graph):
    """IC(c) = 1 - log(hypo(c) + 1) / log(N), hypo from nltk's own hyponym closure."""
    tax = graph["n"]
    table = intrinsic_ic(tax)
    n_nouns = sum(1 for _ in wn.all_synsets("n"))
    assert len(tax) == n_nouns
    down = lambda s: s.hyponyms() + s.instance_hyponyms()  # noqa: E731
    for name in ["dog.n.01", "rose.n.01", "tench.n.01", "chef.n.01", "fruit.n.01",
                 "vehicle.n.01"]:
        s = wn.synset(name)
        hypo = len(set(s.closure(down)))
        expected = 1.0 - math.log(hypo + 1) / math.log(n_nouns)
        assert abs(table[tax.by_offset(s.offset())] - expected) <= 1e-12, name
    assert table[tax.by_offset(wn.synset("entity.n.01").offset())] == pytest.approx(0, abs=1e-12)


def test_ic_file_measures_equal_nltk_reading_the_same_file(wn, graph, tmp_path, monkeypatch):
    """An ic-*.dat file made by nltk's own ``wn.ic`` from a small real corpus, read by both."""
    import nltk.data
    from nltk.corpus.reader.wordnet import WordNetICCorpusReader

    monkeypatch.setattr(nltk.data, "path", [*nltk.data.path, str(tmp_path)])  # nltk's sandbox
    words = [w for name in wf.cifar100_names() for w in name.split("_")] * 3 + ["dog"] * 7
    corpus = type("Corpus", (), {"words": staticmethod(lambda: words)})
    counts = wn.ic(corpus, smoothing=0.0)
    lines = ["wnver::eOS9lXC6GvMWznF1wkZofDdtbBU"]
    for pos in ("n", "v"):
        for offset, value in sorted(counts[pos].items()):
            if offset == 0:
                continue
            s = wn.synset_from_pos_and_offset(pos, offset)
            root = " ROOT" if not (s.hypernyms() + s.instance_hypernyms()) else ""
            lines.append(f"{offset}{pos} {value}{root}")
    path = tmp_path / "ic-cifar.dat"
    path.write_text("\n".join(lines) + "\n")
    ic = WordNetICCorpusReader(str(tmp_path), [path.name]).ic(path.name)

    resolved = resolve_classes(wf.cifar100_names(), graph, mapping=read_mapping(DATA_MAP))
    syn = _nltk_synsets(wn, graph, resolved)
    for measure in ("res", "lin", "jcn"):
        raw = raw_similarity(graph, resolved, measure, ic=path)
        ref = getattr(type(syn[0]), f"{measure}_similarity")
        _check(raw, syn, _pairs(100, 150, seed=11), lambda a, b, f=ref: f(a, b, ic))


@pytest.mark.parametrize("measure", ["wup", "path", "lch", "res"])
def test_small_fill_chunks_give_the_same_matrix(imagenet, graph, monkeypatch, measure):
    """Rows in blocks of 97 and temporaries of 500 values (many column chunks per ancestor,
    pages set block by block): bit-for-bit the matrix of the default chunks, which equals
    nltk (above)."""
    import numpy as np

    from simmatrix.sources.wordnet import measures as M

    resolved = imagenet[0][:400]
    want = raw_similarity(graph, resolved, measure)
    monkeypatch.setattr(M, "TEMP_ELEMS", 500)
    got = raw_similarity(graph, resolved, measure, block=97)
    assert np.array_equal(got, want, equal_nan=True)


@pytest.mark.parametrize("pos", ["n", "v"])
def test_lemmas_of_a_synset_equal_nltk(wn, graph, pos):
    """The graph's per-synset lemmas (read by the qualifier rule) are nltk's lemma_names()."""
    tax = graph[pos]
    for k in random.Random(7).sample(range(len(tax)), 500):
        expected = {w.lower() for w in wn.synset(tax.names[k]).lemma_names()}
        assert set(tax.lemmas_of(k)) == expected, tax.names[k]
