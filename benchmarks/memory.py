"""Peak memory of build, save and load, as a ratio to the matrix itself (issue 12).

Each step runs in a fresh process (so one step's allocations do not hide another's) and
reports its peak resident set growth over the process's baseline (``ru_maxrss`` after the
imports) divided by the matrix's own bytes (C² × itemsize). The target is about 1.5.

    python benchmarks/memory.py --classes 4000 --repeats 3

Threads: whatever numpy uses by default (memory does not depend on it).
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
import json, resource, sys
import numpy as np
from simmatrix import io
from simmatrix.builders.order import order_matrix
import pyarrow, pyarrow.parquet, scipy.sparse  # imported before the baseline
step, n, dtype, path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
if step == "build":
    S = order_matrix(n, dtype=dtype)
elif step == "build+save":
    io.save(order_matrix(n, dtype=dtype), path, overwrite=True)
elif step == "load":
    S = io.load(path)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"peak": peak - base, "matrix": n * n * np.dtype(dtype).itemsize}))
"""


def measure(step: str, n: int, dtype: str, path: Path) -> float:
    out = subprocess.run([sys.executable, "-c", CHILD, step, str(n), dtype, str(path)],
                         check=True, capture_output=True, text=True).stdout
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
    print(f"{'step':<22} {'peak / matrix (median of ' + str(args.repeats) + ')':>34}")
    with tempfile.TemporaryDirectory() as tmp:
        for ext in (".npy", ".parquet", ".csv"):
            path = Path(tmp) / f"m{ext}"
            for step in ("build+save", "load"):
                if ext == ".csv" and n > 3000:
                    continue  # CSV is for people; a 3000+ class CSV is not a use case
                ratios = [measure(step, n, args.dtype, path) for _ in range(args.repeats)]
                print(f"{step + ' ' + ext:<22} {statistics.median(ratios):>34.2f}")
        ratios = [measure("build", n, args.dtype, Path(tmp) / "x") for _ in range(args.repeats)]
        print(f"{'build (no save)':<22} {statistics.median(ratios):>34.2f}")


if __name__ == "__main__":
    main()
