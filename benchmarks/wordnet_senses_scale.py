"""Time and peak memory of choosing senses (the default ``senses="context"``) for long lists.

    nice python benchmarks/wordnet_senses_scale.py [--before REV] [--sizes 3000,6000,20000]

Lists of plain names: the head words of seeded WordNet leaf synsets below ``entity.n.01``
(``wordnet_senses.sampled``), 3,000, 6,000 and 20,000 of them (ImageNet-21k's size), and
ImageNet-1k's 1000 names. Each (code, list) runs in a fresh Python process: ``after`` is
this checkout, ``before`` the tree of ``--before`` (default d7bf899, the dense m × m code)
unpacked with ``git archive`` into a temporary folder. Time: ``resolve_classes(names,
graph)`` with the graph already loaded (median of 3 for ImageNet-1k, one run otherwise);
memory: the process's peak RSS (``ru_maxrss``) and its RSS before the call. The chosen
synsets of both codes are compared. Each process's address space is capped
(``RLIMIT_AS``, ``--cap-gb``), which the size check counts: the dense code's estimate for
20,000 names (about 22 GiB) fits a 23 GiB machine, and the process is then killed by the
kernel at 24 GB.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def child(size: str, cap_gb: float) -> None:
    """One measurement, in this process: prints a JSON line."""
    cap = int(cap_gb * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    sys.path.insert(0, str(HERE))
    from wordnet_senses import INDEX, sampled

    from simmatrix.errors import TooLargeError
    from simmatrix.sources.wordnet.graph import load_graph
    from simmatrix.sources.wordnet.resolve import resolve_classes

    graph = load_graph()
    if size == "imagenet":
        idx = json.loads(next(p for p in INDEX if p.is_file()).read_text())
        names, runs = [idx[str(i)][1] for i in range(len(idx))], 3
    else:
        names, runs = sampled(graph, ["entity.n.01"], int(size), 0)[0], 1
    before = _rss_mb()
    times, got = [], None
    try:
        for _ in range(runs):
            t = time.perf_counter()
            got = [r.synset for r in resolve_classes(names, graph)]
            times.append(time.perf_counter() - t)
    except TooLargeError as exc:
        got = str(exc)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"names": len(names), "seconds": sorted(times)[len(times) // 2]
                      if times else None, "rss_before_mb": before, "peak_mb": peak,
                      "refused": got if isinstance(got, str) else None,
                      "digest": hashlib.sha1(json.dumps(got).encode()).hexdigest()[:12]}))


def run(code: Path, size: str, cap_gb: float) -> dict:
    env = dict(os.environ, PYTHONPATH=str(code))
    out = subprocess.run([sys.executable, __file__, "--child", size, "--cap-gb", str(cap_gb)],
                         env=env, check=True, capture_output=True, text=True, cwd=code).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", default="d7bf899")
    ap.add_argument("--sizes", default="imagenet,3000,6000,20000")
    ap.add_argument("--cap-gb", type=float, default=12.0)
    ap.add_argument("--child")
    args = ap.parse_args()
    if args.child:
        return child(args.child, args.cap_gb)
    threads = {k: os.environ.get(k, "default") for k in ("OMP_NUM_THREADS",
                                                           "OPENBLAS_NUM_THREADS")}
    print(f"{os.cpu_count()} cores, threads {threads}, before = {args.before}, "
          f"address space cap {args.cap_gb:g} GiB")
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.before, "simmatrix"],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        print("| names | code | time (s) | peak RSS (MB) | RSS before (MB) | same choices |")
        print("|---|---|---|---|---|---|")
        for size in args.sizes.split(","):
            res = {}
            for label, code in (("before", Path(tmp)), ("after", ROOT)):
                load = os.getloadavg()[0]
                r = res[label] = run(code, size, args.cap_gb)
                same = "" if label == "before" or res["before"]["refused"] else (
                    "yes" if r["digest"] == res["before"]["digest"] else "NO")
                secs = f"{r['seconds']:.2f}" if not r["refused"] else (
                    "refused: " + r["refused"].split(" of memory")[0].split(" needs ")[-1])
                print(f"| {r['names']} | {label} | {secs} | {r['peak_mb']:.0f} | "
                      f"{r['rss_before_mb']:.0f} | {same} |  (load {load:.1f})", flush=True)
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
