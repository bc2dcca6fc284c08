"""Benchmark the embedding builder on the real GloVe 6B 50d vectors.

1. CIFAR-100: the 100 x 100 matrix from ``glove-6b-50d``, timed in a fresh process from
   ``import simmatrix`` to the finished matrix (loading included), against what scripts
   usually do: gensim parses ``glove.6B.50d.txt`` (written here from the same vectors),
   then one ``n_similarity`` per pair; values must agree to 1e-5 (the text has 6 digits).
2. Top-k blocks: C vocabulary words as classes (default 100,000), k nearest each, float32,
   in a fresh process: wall time and peak resident memory, against what a dense C x C
   would need. At a C where the dense matrix fits (default 10,000), the block mode is
   timed against dense cosines + ``np.argpartition`` and must keep the same values.

3. Against faiss: top-k over the first C GloVe words (default 20,000, 20 repeats) with
   ``faiss.IndexFlatIP`` (exact inner product on the same float32 unit vectors) and the
   sgemm floor (the float32 products of all pairs, in the search's tiles, nothing else),
   interleaved (one of each per round), medians, in a child process per thread count with
   ``OPENBLAS_NUM_THREADS`` = ``OMP_NUM_THREADS`` = T and faiss's ``omp_set_num_threads(T)``.
   Also the share of rows whose neighbours are the same set as faiss's (float32 near-ties
   may differ: ours are exact in float64) and peak RSS.

Run from the repository root (each part in its own process, so peak memory is its own):

    nice python benchmarks/embedding.py [--classes 100000] [--check-classes 10000] [--k 10]
    nice python benchmarks/embedding.py --only faiss [--faiss-classes 20000 100000]
        [--faiss-repeats 20 3] [--threads 1 2]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_glove_text(path: str) -> None:
    """The GloVe 6B 50d text file as users download it (word and 50 numbers a line)."""
    import io

    from simmatrix.sources.vectors import load_vectors

    wv = load_vectors("glove-6b-50d")
    with open(path, "w", encoding="utf-8") as fh:
        for start in range(0, len(wv), 50_000):
            buf = io.StringIO()
            np.savetxt(buf, np.asarray(wv.vectors[start:start + 50_000]), fmt="%.6g")
            words = wv.keys[start:start + 50_000]
            fh.write("".join(f"{w} {line}\n" for w, line in
                             zip(words, buf.getvalue().splitlines(), strict=True)))


def part_cifar() -> dict:
    t0 = time.perf_counter()
    from simmatrix.builders.embedding import embedding_matrix
    from simmatrix.sources.vectors import load_vectors

    t_import = time.perf_counter()
    wv = load_vectors("glove-6b-50d")
    names = json.load(open("tests/data/cifar100.json"))["fine_labels"]
    t_load = time.perf_counter()
    S = embedding_matrix(names, wv)
    t_build = time.perf_counter()
    return {"import_s": t_import - t0, "load_s": t_load - t_import,
            "build_s": t_build - t_load, "total_s": t_build - t0,
            "classes": len(S), "dropped": len(S.metadata["oov"]["dropped"]),
            "values": S.values.tolist(),
            "tokens": [[f["form"]] if "form" in f else f["tokens"]
                       for f in S.metadata["forms"].values()]}


def part_gensim(path: str, tokens_json: str) -> dict:
    """The usual script: gensim loads the text file, then one similarity per pair."""
    t0 = time.perf_counter()
    from gensim.models import KeyedVectors

    kv = KeyedVectors.load_word2vec_format(path, no_header=True)
    t_load = time.perf_counter()
    tokens = json.load(open(tokens_json))
    n = len(tokens)
    ref = np.eye(n)
    for i in range(n):
        for j in range(n):
            if i != j:
                ref[i, j] = max(0.0, float(kv.n_similarity(tokens[i], tokens[j])))
    t_pairs = time.perf_counter()
    return {"load_s": t_load - t0, "pairs_s": t_pairs - t_load, "total_s": t_pairs - t0,
            "values": ref.tolist()}


def part_topk(n: int, k: int) -> dict:
    from simmatrix.builders.embedding import embedding_matrix
    from simmatrix.sources.vectors import load_vectors

    wv = load_vectors("glove-6b-50d")
    names = list(wv.keys[:n])
    t0 = time.perf_counter()
    S = embedding_matrix(names, wv, top_k=k, dtype="float32")
    took = time.perf_counter() - t0
    return {"classes": n, "k": k, "seconds": took, "nnz": int(S.values.nnz),
            "peak_rss_mb": peak_rss_mb(), "dense_gb": n * n * 4 / 1e9}


def part_check(n: int, k: int) -> dict:
    """Same rows, same k: the block mode against dense cosines + argpartition."""
    from simmatrix.builders.cosine import _unit_rows, cosine_top_k
    from simmatrix.sources.vectors import load_vectors

    rows = np.asarray(load_vectors("glove-6b-50d").vectors[:n], dtype=np.float64)
    import scipy.sparse  # noqa: F401  (imported before the clock starts)

    t0 = time.perf_counter()
    top = cosine_top_k(rows, np.ones(n, bool), k, dtype=np.dtype(np.float32))
    t_block = time.perf_counter() - t0
    t0 = time.perf_counter()
    unit = _unit_rows(rows, np.float32)
    cos = unit @ unit.T
    np.fill_diagonal(cos, -np.inf)
    idx = np.argpartition(cos, -k, axis=1)[:, -k:]
    vals = np.take_along_axis(cos, idx, axis=1)
    t_dense = time.perf_counter() - t0
    got = np.sort(np.take_along_axis(top.toarray(), idx, axis=1), axis=1)
    return {"classes": n, "k": k, "block_s": t_block, "dense_s": t_dense,
            "max_abs_diff": float(np.abs(got - np.sort(vals, axis=1)).max())}


def part_faiss(n: int, k: int, repeats: int, threads: int) -> dict:
    """simmatrix's top-k, faiss IndexFlatIP and the sgemm floor, interleaved, T threads."""
    import statistics

    import faiss
    import scipy.sparse  # noqa: F401  (imported before the clock starts)
    from threadpoolctl import threadpool_limits

    from simmatrix._topk import BLOCK_ROWS, TILE_COLS
    from simmatrix.builders.cosine import _unit_rows, cosine_top_k
    from simmatrix.sources.vectors import load_vectors

    rows = np.asarray(load_vectors("glove-6b-50d").vectors[:n], dtype=np.float64)
    has = np.ones(n, dtype=bool)
    unit32 = np.ascontiguousarray(_unit_rows(rows), dtype=np.float32)
    faiss.omp_set_num_threads(threads)
    got = {}

    def ours():
        got["ours"] = cosine_top_k(rows, has, k, dtype=np.dtype(np.float32))

    def flat_ip():
        index = faiss.IndexFlatIP(unit32.shape[1])
        index.add(unit32)
        got["faiss"] = index.search(unit32, k + 1)[1]

    def floor():
        from concurrent.futures import ThreadPoolExecutor

        def rows_of(r0):
            tile = np.empty((min(BLOCK_ROWS, n - r0), TILE_COLS), dtype=np.float32)
            for c0 in range(0, n - TILE_COLS + 1, TILE_COLS):
                np.matmul(unit32[r0:r0 + BLOCK_ROWS], unit32[c0:c0 + TILE_COLS].T, out=tile)

        with threadpool_limits(1), ThreadPoolExecutor(threads) as pool:
            list(pool.map(rows_of, range(0, n, BLOCK_ROWS)))

    methods = (("ours", ours), ("faiss", flat_ip), ("sgemm", floor))
    for _, fn in methods:  # one untimed round: first-call costs, page faults
        fn()
    times = {name: [] for name, _ in methods}
    cpu = {name: [] for name, _ in methods}
    for _ in range(repeats):
        for name, fn in methods:
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            times[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
    csr = got["ours"].tocsr()
    same = 0
    for i in range(n):
        mine = set(csr.indices[csr.indptr[i]:csr.indptr[i + 1]].tolist()) - {i}
        theirs = [j for j in got["faiss"][i].tolist() if j != i][:k]
        same += mine == set(theirs)
    med = {name: statistics.median(ts) for name, ts in times.items()}
    med.update({f"{name}_cpu": statistics.median(ts) for name, ts in cpu.items()})
    return {"classes": n, "k": k, "threads": threads, "repeats": repeats, **med,
            "same_rows": same / n, "peak_rss_mb": peak_rss_mb(),
            "load": os.getloadavg()[0]}


def run(part: str, *args: str, env: dict | None = None) -> dict:
    out = subprocess.run([sys.executable, __file__, f"_{part}", *args], check=True,
                         capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--classes", type=int, default=100_000)
    p.add_argument("--check-classes", type=int, default=10_000)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--skip-gensim", action="store_true",
                   help="skip the gensim reference (writes and parses a 170 MB text file)")
    p.add_argument("--only", choices=["faiss"], help="run only the comparison with faiss")
    p.add_argument("--faiss-classes", type=int, nargs="+", default=[20_000])
    p.add_argument("--faiss-repeats", type=int, nargs="+", default=[20])
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    a = p.parse_args()
    if a.only == "faiss":
        return compare_faiss(a)

    c = run("cifar")
    print(f"CIFAR-100 from glove-6b-50d: {c['classes']} classes, {c['dropped']} dropped")
    print(f"  simmatrix: import {c['import_s']:.2f} s + load {c['load_s']:.2f} s + build "
          f"{c['build_s']:.2f} s = {c['total_s']:.2f} s")
    assert c["dropped"] == 0
    with tempfile.TemporaryDirectory() as tmp:
        names = json.load(open("tests/data/cifar100.json"))["fine_labels"]
        classes = os.path.join(tmp, "cifar100.txt")
        open(classes, "w").write("\n".join(names) + "\n")
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "simmatrix", "build", "embedding", "--classes",
                        classes, "-o", os.path.join(tmp, "S.npy")], check=True,
                       capture_output=True)
        print(f"  the whole command, python start to saved file: "
              f"{time.perf_counter() - t0:.2f} s")
    if not a.skip_gensim:
        with tempfile.TemporaryDirectory() as tmp:
            text, toks = os.path.join(tmp, "glove.6B.50d.txt"), os.path.join(tmp, "t.json")
            write_glove_text(text)
            json.dump(c["tokens"], open(toks, "w"))
            g = run("gensim", text, toks)
        diff = np.abs(np.array(c["values"]) - np.array(g["values"])).max()
        print(f"  gensim from glove.6B.50d.txt: load {g['load_s']:.1f} s + n_similarity per "
              f"pair {g['pairs_s']:.2f} s = {g['total_s']:.1f} s "
              f"({g['total_s'] / c['total_s']:.0f}x simmatrix's time), max |diff| {diff:.1e}")
        assert diff <= 1e-5

    ch = run("check", str(a.check_classes), str(a.k))
    print(f"top-{ch['k']} at C = {ch['classes']:,}: blocks {ch['block_s']:.1f} s, dense + "
          f"argpartition {ch['dense_s']:.1f} s (ratio {ch['dense_s'] / ch['block_s']:.2f}), "
          f"max |diff| {ch['max_abs_diff']:.1e}")
    assert ch["max_abs_diff"] <= 1e-6

    t = run("topk", str(a.classes), str(a.k))
    print(f"top-{t['k']} at C = {t['classes']:,}: {t['seconds']:.0f} s, peak RSS "
          f"{t['peak_rss_mb']:.0f} MB, {t['nnz']:,} stored values; a dense float32 C x C "
          f"would be {t['dense_gb']:.0f} GB")


def compare_faiss(a) -> None:
    repeats = a.faiss_repeats + a.faiss_repeats[-1:] * len(a.faiss_classes)
    for n, reps in zip(a.faiss_classes, repeats):
        for t in a.threads:
            env = {**os.environ, "OPENBLAS_NUM_THREADS": str(t), "OMP_NUM_THREADS": str(t)}
            r = run("faiss", str(n), str(a.k), str(reps), str(t), env=env)
            print(f"top-{r['k']} at C = {n:,}, {t} thread(s), median of {reps} interleaved "
                  f"(load {r['load']:.1f}): simmatrix {r['ours']:.2f} s, faiss IndexFlatIP "
                  f"{r['faiss']:.2f} s, sgemm floor {r['sgemm']:.2f} s; simmatrix / faiss "
                  f"{r['ours'] / r['faiss']:.2f}, / sgemm {r['ours'] / r['sgemm']:.2f} "
                  f"(faiss / sgemm {r['faiss'] / r['sgemm']:.2f}); same neighbours as faiss "
                  f"in {r['same_rows']:.2%} of rows; peak RSS {r['peak_rss_mb']:.0f} MB")
            print(f"  CPU time (all threads): simmatrix {r['ours_cpu']:.2f} s, faiss "
                  f"{r['faiss_cpu']:.2f} s, sgemm {r['sgemm_cpu']:.2f} s; simmatrix / faiss "
                  f"{r['ours_cpu'] / r['faiss_cpu']:.2f}, / sgemm "
                  f"{r['ours_cpu'] / r['sgemm_cpu']:.2f}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1].startswith("_"):
        part, args = sys.argv[1][1:], [int(x) if x.isdigit() else x for x in sys.argv[2:]]
        parts = {"cifar": part_cifar, "gensim": part_gensim, "topk": part_topk,
                 "check": part_check, "faiss": part_faiss}
        result = parts[part](*args)
        print(json.dumps(result))
    else:
        main()
