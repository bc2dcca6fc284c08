"""WordNet builder vs nltk's per-pair loop, and a 20,000-synset wup matrix.

    nice python benchmarks/wordnet.py            # both parts
    nice python benchmarks/wordnet.py imagenet   # ImageNet-1k wup/path/lch vs nltk
    nice python benchmarks/wordnet.py big 20000 [float32] [lch]  # one matrix: time, peak RSS

Part 1 builds the ImageNet-1k matrices (wnids from ../shared/data/imagenet_class_index.json,
or tests/data/wordnet/) with simmatrix, then times nltk's ``Synset.*_similarity`` on a random
sample of pairs (after touching every synset once, so nltk's per-synset caches are warm) and
extrapolates to the 10^6 ordered pairs of the full matrix. The sampled pairs are also the
equality check. Part 2 runs in a child process so that its peak RSS is its own.
"""

from __future__ import annotations

import json
import random
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
INDEX = [HERE.parent.parent / "shared" / "data" / "imagenet_class_index.json",
         HERE.parent / "tests" / "data" / "wordnet" / "imagenet_class_index.json"]


def imagenet() -> None:
    from nltk.corpus import wordnet as wn

    from simmatrix.builders.wordnet import wordnet_matrix
    from simmatrix.sources.wordnet.graph import load_graph

    path = next(p for p in INDEX if p.is_file())
    idx = json.loads(path.read_text())
    wnids = [idx[str(i)][0] for i in range(len(idx))]
    t = time.perf_counter()
    load_graph(cache=False)
    cold = time.perf_counter() - t
    load_graph()  # make sure the cache exists
    print(f"prepare the WordNet graph through nltk (first build only, then cached): {cold:.1f} s")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wn.ensure_loaded()
    syn = [wn.synset_from_pos_and_offset("n", int(w[1:])) for w in wnids]
    for a, b in zip(syn, syn[1:] + syn[:1]):  # warm nltk's per-synset caches
        a.wup_similarity(b), a.path_similarity(b), a.lch_similarity(b)
    rng = random.Random(0)
    pairs = [(rng.randrange(1000), rng.randrange(1000)) for _ in range(3000)]
    for measure in ("wup", "path", "lch"):
        t = time.perf_counter()
        S = wordnet_matrix(wnids, measure)
        ours = time.perf_counter() - t
        f = getattr(type(syn[0]), f"{measure}_similarity")
        t = time.perf_counter()
        ref = [f(syn[i], syn[j]) for i, j in pairs]
        per_pair = (time.perf_counter() - t) / len(pairs)
        full = per_pair * 1000 * 1000
        scale = S.metadata.get("scale", {}).get("divided_by", 1.0)
        diff = max(abs(S.values[i, j] * scale - r) for (i, j), r in zip(pairs, ref) if i != j)
        print(f"ImageNet-1k {measure}: simmatrix {ours:.2f} s (load from cache, resolve, "
              f"all 10^6 pairs); nltk {per_pair * 1e3:.3f} ms/pair -> {full:.0f} s for 10^6 "
              f"pairs (extrapolated from {len(pairs)} sampled pairs); ratio {full / ours:.0f}x; "
              f"max |diff| on the sample {diff:.1e}")


def big(n: int, dtype: str = "float64", measure: str = "wup") -> None:
    from simmatrix.builders.wordnet import wordnet_matrix
    from simmatrix.sources.wordnet.graph import load_graph

    g = load_graph()
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    rng = np.random.default_rng(0)
    ids = np.sort(rng.choice(len(g.n), size=n, replace=False))
    names = [g.n.names[k] for k in ids]
    t, cpu = time.perf_counter(), time.process_time()
    S = wordnet_matrix(names, measure, dtype=np.dtype(dtype))
    took, cpu = time.perf_counter() - t, time.process_time() - cpu
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    v = S.values
    print(f"{n} random noun synsets, {measure}, {dtype}: {took:.1f} s (CPU {cpu:.1f} s), "
          f"peak RSS {rss:.2f} GB "
          f"(matrix {v.nbytes / 2**30:.2f} GB, {rss * 2**30 / v.nbytes:.2f}x; before the "
          f"build {base:.2f} GB); mean off-diagonal "
          f"{(v.sum(dtype=np.float64) - n) / (n * n - n):.4f}")


if __name__ == "__main__":
    part = sys.argv[1] if len(sys.argv) > 1 else "all"
    if part in ("all", "imagenet"):
        imagenet()
    if part == "big":
        big(int(sys.argv[2]) if len(sys.argv) > 2 else 20000, *sys.argv[3:5])
    elif part == "all":
        for dtype, measure in (("float64", "wup"), ("float32", "wup"), ("float64", "lch"),
                               ("float32", "lch")):
            subprocess.run([sys.executable, __file__, "big", "20000", dtype, measure],
                           check=True)
