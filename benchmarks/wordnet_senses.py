"""How often a class name gets the synset its dataset means: first sense vs context.

    nice python benchmarks/wordnet_senses.py

Truths, all from outside the resolver:

- ImageNet-1k: its 994 names that occur once in ``imagenet_class_index.json``, with their
  wnids as the truth. The context rule's weights were chosen on half A of them (a seeded
  random half); half B is held out.
- CIFAR-100: the catalogue's hand-checked choices (``matrices/sources/cifar100_wordnet.tsv``,
  nltk's first sense for the classes it does not list), resolved WITHOUT that file.
  Also named with CIFAR-100's own coarse labels as qualifiers, ``orange
  (fruit_and_vegetables)``: a dataset's group names are not WordNet kinds, and this row
  shows what a qualifier that is not one does.
- COCO's 79 object names (``stop sign`` has no right candidate and is left out), labelled by
  reading the WordNet glosses before the rule was run; several senses are accepted where
  the images fit more than one (``bowl``, ``book``, ``carrot``, ``cow``, ``sports ball``).
- ImageNet-1k's names with their synonyms, ``mouse, computer mouse``, as ImageNet's own
  ``LOC_synset_mapping.txt`` writes them (its words are WordNet's, so they are built here
  from nltk's ``lemma_names()``, in WordNet's order).
- CIFAR-10's 10 names, labelled by hand (all first senses).
- LVIS v1's 1,203 categories with LVIS's own synsets as the truth (``stop_sign.n.01`` is
  not a WordNet 3.0 synset and is left out), and apart its 107 names with a qualifier,
  ``pan_(for_cooking)``, and its 14 compounds WordNet has no lemma for, ``bottle_cap``.
  Nothing was tuned on it before session 5, whose reading of qualifiers was checked on it.
- ImageNet subsets: seeded random draws of 50 and 200 of the 994 names (five each), as a
  user's smaller list of ImageNet classes would be (less context; wnids as the truth).
- Lists drawn from WordNet itself: leaf synsets below a few roots (seeded samples), named
  by their head word (as ImageNet names are) or by a random one of their words (as a
  person might name them); the synset is the truth. Nothing was tuned on them.

Also the time to resolve ImageNet's 1000 names (median of 3, numpy threads as set by the
environment; the load average is printed).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
INDEX = [ROOT.parent / "shared" / "data" / "imagenet_class_index.json",
         ROOT / "tests" / "data" / "wordnet" / "imagenet_class_index.json"]
CIFAR = ROOT / "tests" / "data" / "wordnet" / "cifar100.json"
CURATED = ROOT / "matrices" / "sources" / "cifar100_wordnet.tsv"
LVIS = ROOT / "tests" / "data" / "wordnet" / "lvis_v1_synsets.tsv"

COCO = {
    "person": "person.n.01", "bicycle": "bicycle.n.01", "car": "car.n.01",
    "motorcycle": "motorcycle.n.01", "airplane": "airplane.n.01", "bus": "bus.n.01",
    "train": "train.n.01", "truck": "truck.n.01", "boat": "boat.n.01",
    "traffic light": "traffic_light.n.01", "fire hydrant": "fireplug.n.01",
    "parking meter": "parking_meter.n.01", "bench": "bench.n.01", "bird": "bird.n.01",
    "cat": "cat.n.01", "dog": "dog.n.01", "horse": "horse.n.01", "sheep": "sheep.n.01",
    "cow": "cow.n.01|cow.n.02", "elephant": "elephant.n.01", "bear": "bear.n.01",
    "zebra": "zebra.n.01", "giraffe": "giraffe.n.01", "backpack": "backpack.n.01",
    "umbrella": "umbrella.n.01", "handbag": "bag.n.04", "tie": "necktie.n.01",
    "suitcase": "bag.n.06", "frisbee": "frisbee.n.01", "skis": "ski.n.01",
    "snowboard": "snowboard.n.01", "sports ball": "ball.n.01|ball.n.06", "kite": "kite.n.03",
    "baseball bat": "baseball_bat.n.01", "baseball glove": "baseball_glove.n.01",
    "skateboard": "skateboard.n.01", "surfboard": "surfboard.n.01",
    "tennis racket": "tennis_racket.n.01", "bottle": "bottle.n.01", "wine glass": "glass.n.02",
    "cup": "cup.n.01", "fork": "fork.n.01", "knife": "knife.n.01", "spoon": "spoon.n.01",
    "bowl": "bowl.n.01|bowl.n.03", "banana": "banana.n.02", "apple": "apple.n.01",
    "sandwich": "sandwich.n.01", "orange": "orange.n.01", "broccoli": "broccoli.n.02",
    "carrot": "carrot.n.01|carrot.n.03", "hot dog": "hotdog.n.02", "pizza": "pizza.n.01",
    "donut": "doughnut.n.02", "cake": "cake.n.03", "chair": "chair.n.01", "couch": "sofa.n.01",
    "potted plant": "plant.n.02", "bed": "bed.n.01", "dining table": "dining_table.n.01",
    "toilet": "toilet.n.02", "tv": "television_receiver.n.01", "laptop": "laptop.n.01",
    "mouse": "mouse.n.04", "remote": "remote_control.n.01", "keyboard": "keyboard.n.01",
    "cell phone": "cellular_telephone.n.01", "microwave": "microwave.n.02",
    "oven": "oven.n.01", "toaster": "toaster.n.02", "sink": "sink.n.01",
    "refrigerator": "refrigerator.n.01", "book": "book.n.01|book.n.02", "clock": "clock.n.01",
    "vase": "vase.n.01", "scissors": "scissors.n.01", "teddy bear": "teddy.n.01",
    "hair drier": "hand_blower.n.01", "toothbrush": "toothbrush.n.01",
}
CIFAR10 = {"airplane": "airplane.n.01", "automobile": "car.n.01", "bird": "bird.n.01",
           "cat": "cat.n.01", "deer": "deer.n.01", "dog": "dog.n.01", "frog": "frog.n.01",
           "horse": "horse.n.01", "ship": "ship.n.01", "truck": "truck.n.01"}
SAMPLED = {  # name: (roots, size, seed)
    "animals": (["animal.n.01"], 150, 1),
    "objects": (["instrumentality.n.03", "covering.n.02", "structure.n.01"], 150, 2),
    "food and plants": (["food.n.02", "vascular_plant.n.01"], 150, 3),
    "mixed": (["animal.n.01", "instrumentality.n.03", "food.n.02", "vascular_plant.n.01",
               "covering.n.02"], 300, 4),
    "instruments (20)": (["musical_instrument.n.01"], 20, 5),
    "vehicles (20)": (["vehicle.n.01"], 20, 6),
    "birds (20)": (["bird.n.01"], 20, 7),
    "tools (20)": (["tool.n.01"], 20, 8),
    "dishes, fruit, vegetables (20)": (["dish.n.02", "fruit.n.01", "vegetable.n.01"], 20, 9),
    "clothing (20)": (["clothing.n.01"], 20, 10),
}


def resolve(names, graph, senses, mapping=None):
    """Synset per name, or None where the rule finds none (nltk's rule has no compounds)."""
    from simmatrix.errors import BuildError
    from simmatrix.sources.wordnet.resolve import resolve_classes

    try:
        return [r.synset for r in resolve_classes(names, graph, senses=senses, mapping=mapping)]
    except BuildError:  # score the names that resolve; the others count as wrong
        keep = [n for n in names if _resolves(n, graph, senses)]
        got = dict(zip(keep, resolve(keep, graph, senses, mapping)))
        return [got.get(n) for n in names]


def _resolves(name, graph, senses):
    from simmatrix.sources.wordnet.resolve import _resolve_one

    return _resolve_one(graph, name, compounds=senses == "context") is not None


def _forms(name, tax):
    from simmatrix.sources.wordnet.resolve import _morphy, lemma_forms

    return [b for f in lemma_forms(name) for b in _morphy(tax, f)]


def score(names, truth, graph, label, show_wrong=False, rows=None):
    rows = np.arange(len(names)) if rows is None else rows
    out = {}
    for senses in ("first", "context"):
        got = resolve(names, graph, senses)
        out[senses] = np.array([g in t for g, t in zip(got, truth)])
        if senses == "context":
            wrong = [(names[i], got[i], "|".join(sorted(truth[i]))) for i in rows
                     if not out[senses][i]]
    f, c = out["first"][rows], out["context"][rows]
    print(f"{label:<44} {len(rows):>4}  first {f.mean():6.1%}  context {c.mean():6.1%}  "
          f"(lost where first was right: {int((f & ~c).sum())}, gained: {int((~f & c).sum())})")
    if show_wrong:
        for name, g, t in wrong:
            print(f"    {name}: {g} (wanted {t})")
    return f, c


def sampled(graph, roots, n, seed, head=True):
    tax = graph["n"]
    children = [[] for _ in range(len(tax))]
    for k in range(len(tax)):
        for p in tax.parents_idx[tax.parents_ptr[k]:tax.parents_ptr[k + 1]].tolist():
            children[p].append(k)
    lemmas: dict[int, list[str]] = {}
    for i, w in enumerate(tax.lemmas):
        for s in tax.lemma_idx[tax.lemma_ptr[i]:tax.lemma_ptr[i + 1]].tolist():
            lemmas.setdefault(s, []).append(w)
    pool = set()
    for r in roots:
        todo = [tax.names.index(r)]
        while todo:
            for c in children[todo.pop()]:
                if c not in pool:
                    pool.add(c)
                    todo.append(c)
    pool = sorted(k for k in pool if not children[k])
    rng = np.random.default_rng(seed)
    rng.shuffle(pool)
    from simmatrix.sources.wordnet.resolve import _resolve_one

    names, truth = [], []
    for k in pool:
        words = lemmas.get(k, [])
        word = tax.names[k].rsplit(".", 2)[0] if head else words[rng.integers(len(words))]
        name = word.replace("_", " ")
        hit = None if name in names else _resolve_one(graph, name, compounds=True)
        if hit is None or k not in [c for c, _ in hit[0]]:
            continue
        names.append(name)
        truth.append({tax.names[k]})
        if len(names) == n:
            break
    return names, truth


def main() -> None:
    from simmatrix.sources.wordnet.graph import load_graph
    from simmatrix.sources.wordnet.resolve import read_mapping

    graph = load_graph()
    tax = graph["n"]
    idx = json.loads(next(p for p in INDEX if p.is_file()).read_text())
    pairs = [idx[str(i)] for i in range(len(idx))]
    all_names = [n for _, n in pairs]
    once = [(w, n) for w, n in pairs if all_names.count(n) == 1]
    names = [n for _, n in once]
    truth = [{tax.names[tax.by_offset(int(w[1:]))]} for w, _ in once]
    perm = np.random.default_rng(0).permutation(len(names))
    half_a, half_b = np.sort(perm[: len(perm) // 2]), np.sort(perm[len(perm) // 2:])
    print(f"load average {os.getloadavg()[0]:.1f}, OPENBLAS/OMP threads "
          f"{os.environ.get('OPENBLAS_NUM_THREADS', 'default')}")
    print("== ImageNet-1k (wnids are the truth)")
    score(names, truth, graph, "all 994 unambiguous names")
    score(names, truth, graph, "half A (the weights were chosen on it)", rows=half_a)
    score(names, truth, graph, "half B (held out)", rows=half_b, show_wrong=True)

    from nltk.corpus import wordnet as wn

    words = [", ".join(w.replace("_", " ") for w in
                       wn.synset_from_pos_and_offset("n", int(w[1:])).lemma_names())
             for w, _ in once]
    score(words, truth, graph, "with their synonyms (LOC_synset_mapping form)", show_wrong=True)

    print("== CIFAR-100 against the curated mapping, resolved without it")
    cifar = json.loads(CIFAR.read_text())["fine_labels"]
    curated = read_mapping(CURATED)
    first = resolve(cifar, graph, "first", {k: curated[k] for k in ("aquarium_fish",
                                                                    "maple_tree")})
    cifar_truth = [{curated.get(n, s)} for n, s in zip(cifar, first)]
    score(cifar, cifar_truth, graph, "CIFAR-100, agreement with the curated choices",
          show_wrong=True)
    coarse = json.loads(CIFAR.read_text())["fine_to_coarse"]
    score([f"{n} ({coarse[n]})" for n in cifar], cifar_truth, graph,
          "CIFAR-100 named 'name (its coarse label)'", show_wrong=True)

    print("== held-out lists (nothing tuned on them)")
    score(list(CIFAR10), [{v} for v in CIFAR10.values()], graph, "CIFAR-10, labelled by hand",
          show_wrong=True)
    for size in (50, 200):
        fs, cs = [], []
        for seed in range(5):
            rows = np.random.default_rng(100 + seed).choice(len(names), size, replace=False)
            with contextlib.redirect_stdout(io.StringIO()):
                f, c = score([names[i] for i in rows], [truth[i] for i in rows], graph, "")
            fs.append(f)
            cs.append(c)
        f, c = np.concatenate(fs), np.concatenate(cs)
        print(f"{f'ImageNet subsets of {size} names (5 draws)':<44} {len(f):>4}  first "
              f"{f.mean():6.1%}  context {c.mean():6.1%}  (lost where first was right: "
              f"{int((f & ~c).sum())}, gained: {int((~f & c).sum())})")
    score(list(COCO), [set(v.split("|")) for v in COCO.values()], graph,
          "COCO's 79 object names, labelled by hand", show_wrong=True)
    lvis = [line.split("\t") for line in LVIS.read_text().splitlines()[1:]]
    lvis = [(n, s) for n, s in lvis if s != "stop_sign.n.01"]
    lvis_names = [n for n, _ in lvis]
    qualified = [i for i, n in enumerate(lvis_names) if n.endswith(")")]
    compound = [i for i, n in enumerate(lvis_names) if "(" not in n and not any(
        tax.senses(f) for f in _forms(n, tax))]
    for label, rows in [("LVIS v1, its own synsets", None),
                        ("  of them with a qualifier, pan_(for_cooking)", qualified),
                        ("  of them a compound WordNet lacks", compound)]:
        score(lvis_names, [{s} for _, s in lvis], graph, label, rows=rows,
              show_wrong=rows is not None)
    for head in (True, False):
        fs, cs = [], []
        for key, (roots, n, seed) in SAMPLED.items():
            ns, ts = sampled(graph, roots, n, seed + (0 if head else 100), head)
            f, c = score(ns, ts, graph, f"WordNet {key}, " + ("head word" if head else
                                                               "any of its words"))
            fs.append(f)
            cs.append(c)
        f, c = np.concatenate(fs), np.concatenate(cs)
        print(f"{'  all of them':<44} {len(f):>4}  first {f.mean():6.1%}  context "
              f"{c.mean():6.1%}  (lost: {int((f & ~c).sum())}, gained: {int((~f & c).sum())})")

    print("== time to resolve ImageNet's 1000 names (graph loaded, median of 3)")
    for senses in ("first", "context"):
        times = []
        for _ in range(3):
            t = time.perf_counter()
            resolve(all_names, graph, senses)
            times.append(time.perf_counter() - t)
        print(f"  --senses {senses}: {np.median(times):.2f} s")
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
