"""Load and save of .npy and .parquet against bare ``np.load`` / ``np.save``, one run.

    OPENBLAS_NUM_THREADS=1 nice python benchmarks/io.py [--classes 2000 5000 10000]
        [--repeats 20] [--parquet-repeats 5] [--dtype float64]

The matrix is a real one, ``order_matrix(C, reduction=0.999)`` (a Toeplitz band of
similarities, as a builder returns it). For each C, every round times, interleaved:

- ``np.save`` of the bare array, then ``simmatrix.save`` (``.npy`` + JSON sidecar,
  validation included, written atomically);
- ``np.load``, then ``simmatrix.load`` (validation included);
- pyarrow's own best layout for the same values (one ``FixedSizeList`` column per row,
  zstd level 1, no dictionary), then ``simmatrix.save``/``load`` to ``.parquet`` (a wide,
  labelled table). These run ``--parquet-repeats`` rounds: a wide parquet at C = 10,000 is
  seconds per write.

It prints medians and the ratios simmatrix ÷ anchor; files live in a temporary folder
(page cache, so the ratios measure CPU work, not the disk), and the sizes of the files.
Peak extra memory of ``simmatrix.load`` beyond the matrix it returns comes from tracemalloc.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import tracemalloc

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def rounds(pairs: dict, repeats: int) -> dict:
    """Run every function of ``pairs`` once per round, in turn; medians per name."""
    times: dict[str, list[float]] = {k: [] for k in pairs}
    for _ in range(repeats):
        for name, fn in pairs.items():
            times[name].append(timed(fn))
    return {k: statistics.median(v) for k, v in times.items()}


def pyarrow_best(values: np.ndarray, classes, path: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = len(classes)
    kind = pa.list_(pa.field("item", pa.from_numpy_dtype(values.dtype), nullable=False), n)
    rows = pa.FixedSizeListArray.from_arrays(pa.array(values.reshape(-1)), type=kind)
    pq.write_table(pa.table({"class": pa.array(classes), "similarity": rows}), path,
                   compression="zstd", compression_level=1, use_dictionary=False,
                   write_statistics=False)


def pyarrow_best_read(path: str, n: int) -> np.ndarray:
    import pyarrow.parquet as pq

    col = pq.read_table(path).column("similarity").combine_chunks()
    return col.flatten().to_numpy().reshape(n, n)


def save_parts(S, tmp: str, repeats: int) -> dict:
    """What a ``.npy`` save is made of, each timed alone (interleaved, medians): the
    contract check, the SHA-256 of the array (a second thread during the save), ``np.save``
    into a new file, the fsync of that file, and whole saves with and without validation."""
    from simmatrix import io
    from simmatrix._files import _fsync
    from simmatrix.validate import check

    values, new = S.values, os.path.join(tmp, "part.npy")

    def write():
        with open(new, "wb") as fh:
            np.save(fh, values)

    write()
    return rounds({
        "check": lambda: check(S),
        "sha256": lambda: io._array_digest(values),
        "np.save (new file)": write,
        "fsync": lambda: (write(), _fsync(new)),
        "save, validate=False": lambda: io.save(S, os.path.join(tmp, "nv.npy"), overwrite=True,
                                                validate=False),
    }, repeats)


def one_size(n: int, dtype: str, repeats: int, parquet_repeats: int, tmp: str) -> None:
    import simmatrix
    from simmatrix.builders.order import order_matrix

    S = order_matrix(n, reduction=0.999)
    if S.dtype != np.dtype(dtype):
        S = simmatrix.SimilarityMatrix(S.values.astype(dtype), S.classes, S.metadata)
    values, classes = S.values, list(S.classes)
    bare, ours = os.path.join(tmp, "bare.npy"), os.path.join(tmp, "ours.npy")
    pa_path, pq_path = os.path.join(tmp, "best.parquet"), os.path.join(tmp, "ours.parquet")

    np.save(bare, values)
    simmatrix.save(S, ours, overwrite=True)
    t = rounds({
        "np.save": lambda: np.save(bare, values),
        "save .npy": lambda: simmatrix.save(S, ours, overwrite=True),
        "np.load": lambda: np.load(bare),
        "load .npy": lambda: simmatrix.load(ours),
    }, repeats)
    pyarrow_best(values, classes, pa_path)
    simmatrix.save(S, pq_path, overwrite=True)
    t.update(rounds({
        "pyarrow best save": lambda: pyarrow_best(values, classes, pa_path),
        "save .parquet": lambda: simmatrix.save(S, pq_path, overwrite=True),
        "pyarrow best load": lambda: pyarrow_best_read(pa_path, n),
        "load .parquet": lambda: simmatrix.load(pq_path),
    }, parquet_repeats))
    back = simmatrix.load(pq_path)
    assert np.array_equal(back.values, values) and back.classes == S.classes

    parts = save_parts(S, tmp, max(5, repeats // 2))
    parts["fsync"] -= parts["np.save (new file)"]  # timed as write + fsync

    tracemalloc.start()
    got = simmatrix.load(ours)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert np.array_equal(got.values, values)

    size = os.path.getsize
    print(f"C = {n:,} {dtype} ({values.nbytes / 1e6:.0f} MB), medians of {repeats} "
          f"(.npy) / {parquet_repeats} (.parquet) interleaved rounds:")
    for ours_key, ref_key in [("load .npy", "np.load"), ("save .npy", "np.save"),
                              ("load .parquet", "np.load"), ("save .parquet", "np.save"),
                              ("load .parquet", "pyarrow best load"),
                              ("save .parquet", "pyarrow best save")]:
        print(f"  {ours_key:14s} {t[ours_key]:8.3f} s / {ref_key:18s} {t[ref_key]:8.3f} s"
              f" = {t[ours_key] / t[ref_key]:5.2f}x")
    print(f"  sizes: .parquet {size(pq_path) / 1e6:.1f} MB, pyarrow best "
          f"{size(pa_path) / 1e6:.1f} MB, .npy {size(ours) / 1e6:.1f} MB: parquet / npy = "
          f"{size(pq_path) / size(ours):.2f}")
    print(f"  simmatrix.load(.npy) peak traced memory {peak / values.nbytes:.2f}x the matrix")
    print("  what a .npy save costs, each alone, in units of np.save "
          f"({t['np.save']:.3f} s): " + ", ".join(
              f"{k} {v / t['np.save']:.2f}" for k, v in parts.items()))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--classes", type=int, nargs="+", default=[2000, 5000, 10000])
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--parquet-repeats", type=int, default=5)
    p.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    a = p.parse_args()
    print(f"threads: OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')},"
          f" {os.cpu_count()} CPUs; numpy {np.__version__}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in a.classes:
            one_size(n, a.dtype, a.repeats, a.parquet_repeats, tmp)


if __name__ == "__main__":
    main()
