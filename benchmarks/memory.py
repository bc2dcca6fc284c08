"""Peak memory of build, save, convert and load, as a ratio to the matrix itself (issue 12).

Each step runs in a fresh process (so one step's allocations do not hide another's) and
reports its peak resident set (``VmHWM``) minus its resident set at the baseline (``VmRSS``),
divided by the matrix's own bytes (C² × itemsize). The baseline is taken after the imports
*and* after one small save and load of every format (then freed memory is returned to the OS
and the high-water mark reset through ``/proc/self/clear_refs``), so the one-time cost of
pyarrow's first use (~45 MB of library pages and allocator arenas, whatever the matrix) is
not charged to the matrix. Linux only. The target is about 1.5.

    python benchmarks/memory.py --classes 3000 --repeats 1

Steps: ``build+save`` (the library: ``order_matrix`` then ``simmatrix.save``), ``cli build``
(``simmatrix build order --n-classes C -o FILE`` run in-process: build, validate, save),
``load`` (``simmatrix.load``, validation included) and ``convert`` (``simmatrix convert``
from this format to the next one: .npy → .parquet → .csv → .npy). Threads: numpy's default
(memory does not depend on it); pyarrow's default allocator.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import ctypes, gc, json, os, sys, tempfile
import numpy as np
from simmatrix import io, SimilarityMatrix
from simmatrix.builders.order import order_matrix
from simmatrix.cli import main
import pyarrow, pyarrow.parquet, scipy.sparse  # imported before the baseline
step, n, dtype, path, other = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
with tempfile.TemporaryDirectory() as warm:  # first use of each format, before the baseline
    for ext in (".npy", ".parquet", ".csv"):
        for k in (4, 1001):  # 1001: the parquet rows layout
            io.save(order_matrix(k), os.path.join(warm, f"w{k}{ext}"))
            io.load(os.path.join(warm, f"w{k}{ext}"))
gc.collect()
pyarrow.default_memory_pool().release_unused()
ctypes.CDLL("libc.so.6").malloc_trim(0)
def status(key):
    with open("/proc/self/status") as fh:
        return next(int(l.split()[1]) * 1024 for l in fh if l.startswith(key + ":"))
with open("/proc/self/clear_refs", "w") as fh:
    fh.write("5")  # the high-water mark starts again from here
base = status("VmRSS")
def cli(*args):
    try:
        main(list(args))
    except SystemExit as exc:
        assert exc.code == 0, exc.code
if step == "build":
    S = order_matrix(n, dtype=dtype)
elif step == "build+save":
    io.save(order_matrix(n, dtype=dtype), path, overwrite=True)
elif step == "cli build":
    cli("build", "order", "--n-classes", str(n), "--dtype", dtype, "-o", path, "--force")
elif step == "load":
    S = io.load(path)
elif step == "convert":
    cli("convert", path, other, "--force")
peak = status("VmHWM")
print(json.dumps({"peak": peak - base, "matrix": n * n * np.dtype(dtype).itemsize}))
"""

NEXT = {".npy": ".parquet", ".parquet": ".csv", ".csv": ".npy"}


def measure(step: str, n: int, dtype: str, path: Path, other: Path) -> float:
    out = subprocess.run([sys.executable, "-c", CHILD, step, str(n), dtype, str(path),
                          str(other)], check=True, capture_output=True, text=True).stdout
    r = json.loads(out.splitlines()[-1])
    return r["peak"] / r["matrix"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--classes", type=int, default=4000)
    ap.add_argument("--dtype", default="float64")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    n = args.classes
    mib = n * n * (8 if args.dtype == "float64" else 4) / 2**20
    print(f"C = {n}, {args.dtype}: matrix = {mib:.0f} MiB")
    print(f"{'step':<28} {'peak / matrix (median of ' + str(args.repeats) + ')':>34}")
    with tempfile.TemporaryDirectory() as tmp:
        for ext in (".npy", ".parquet", ".csv"):
            path = Path(tmp) / f"m{ext}"
            other = Path(tmp) / f"c{NEXT[ext]}"
            for step in ("cli build", "build+save", "load", "convert"):
                ratios = [measure(step, n, args.dtype, path, other)
                          for _ in range(args.repeats)]
                label = f"{step} {ext}" + (f" -> {NEXT[ext]}" if step == "convert" else "")
                print(f"{label:<28} {statistics.median(ratios):>34.2f}", flush=True)
        ratios = [measure("build", n, args.dtype, Path(tmp) / "x", Path(tmp) / "y")
                  for _ in range(args.repeats)]
        print(f"{'build (no save)':<28} {statistics.median(ratios):>34.2f}")


if __name__ == "__main__":
    main()
