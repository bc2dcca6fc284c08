"""Shared fixtures for the WordNet tests: real WordNet 3.0 through nltk, never a mock."""

from __future__ import annotations

import json
import math
import os
import warnings
from collections import defaultdict
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data" / "wordnet"


def imagenet_wnids() -> list[str]:
    idx = json.loads((DATA / "imagenet_class_index.json").read_text())
    return [idx[str(i)][0] for i in range(len(idx))]


def imagenet_names() -> list[str]:
    idx = json.loads((DATA / "imagenet_class_index.json").read_text())
    return [idx[str(i)][1] for i in range(len(idx))]


def cifar100_names() -> list[str]:
    return json.loads((DATA / "cifar100.json").read_text())["fine_labels"]


def lvis_synsets() -> list[tuple[str, str]]:
    """LVIS v1's categories with LVIS's own synsets (``stop_sign.n.01`` is not WordNet's)."""
    rows = [line.split("\t") for line in (DATA / "lvis_v1_synsets.tsv").read_text()
            .splitlines() if not line.startswith("#")]
    return [(name, synset) for name, synset in rows if synset != "stop_sign.n.01"]


@pytest.fixture(scope="session")
def wn():
    """nltk's WordNet reader on the installed WordNet 3.0 (CI runs `simmatrix data wordnet`)."""
    from simmatrix.sources.wordnet.data import find_wordnet

    found = find_wordnet()
    if found is None:
        pytest.fail("WordNet 3.0 is not installed for nltk: run `simmatrix data wordnet`")
    sandbox = Path(os.environ["NLTK_DATA"])  # conftest's install, never the machine's own
    assert found.is_relative_to(sandbox), found
    from nltk.corpus import wordnet

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wordnet.ensure_loaded()
    assert wordnet.get_version() == "3.0"
    return wordnet


@pytest.fixture(scope="session")
def graph(wn):
    from simmatrix.sources.wordnet.graph import load_graph

    return load_graph()


def nltk_ic_from_table(graph, pos, table, synsets):
    """An nltk IC dict whose ``-log(count / root)`` is ``table``: counts ``exp(-IC)``, root 1."""
    ic = {pos: defaultdict(float, {0: 1.0})}
    tax = graph[pos]
    for s in synsets:
        for path in s.hypernym_paths():
            for a in path:
                k = tax.by_offset(a.offset())
                ic[pos][a.offset()] = math.exp(-table[k])
    return ic
