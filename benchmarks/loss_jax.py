"""SimLoss under jax.jit against optax's cross-entropy: time, temporary memory, first call.

    nice python benchmarks/loss_jax.py            # the issue's four (B, C) cells, 31 rounds
    nice python benchmarks/loss_jax.py --quick    # 21 rounds

One thread (``XLA_FLAGS=--xla_cpu_multi_thread_eigen=false
intra_op_parallelism_threads=1``, set before jax is imported). For each (B, C):

- forward + backward, ``jax.jit(jax.value_and_grad(mean loss))`` of
  ``optax.softmax_cross_entropy_with_integer_labels`` and of ``simmatrix.jax.make_simloss``
  with a dense S and a top-16 S, the loss passed to the jitted function as an argument;
  interleaved round by round in one process; medians of the process CPU time (robust to
  other jobs taking the cores) and of the wall time;
- a profile of the dense step: the row gather ``log S[y]`` alone and the forward alone,
  in the same rounds;
- temporary memory: XLA's own count of the compiled step's temporary buffers
  (``compiled.memory_analysis().temp_size_in_bytes``), B×C float32 units;
- the first call (trace + compile + run) with the table as an argument and closed over;
- the constructor's peak memory (tracemalloc) ÷ the table it keeps.
"""

from __future__ import annotations

import os

os.environ["XLA_FLAGS"] = ("--xla_cpu_multi_thread_eigen=false "
                           "intra_op_parallelism_threads=1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402

SHAPES = [(1024, 100), (1024, 1000), (256, 10000), (64, 50000)]
if os.environ.get("LOSS_JAX_SHAPES"):  # e.g. "1024x1000,256x10000"
    SHAPES = [tuple(map(int, s.split("x"))) for s in os.environ["LOSS_JAX_SHAPES"].split(",")]
TOPK = 16


def similarity(C, dense=True, seed=0, rows=None):
    """Banded S (S_ii = 1, exact zeros beyond 8 classes): dense float32 (its first ``rows``
    rows) or top-16 sparse."""
    import numpy as np
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    scale = rng.uniform(0.5, 1.0, size=C)
    if dense:
        S = np.zeros((C if rows is None else rows, C), np.float32)
        for d in range(-8, 9):  # diagonals only: no C×C float64 temporaries
            i = np.arange(max(0, -d), min(S.shape[0], C - d))
            S[i, i + d] = (1 - abs(d) / 8.0) * scale[i]
        np.fill_diagonal(S, 1.0)
        return S
    rows, cols, vals = [], [], []
    for d in range(-8, 9):
        i = np.arange(max(0, -d), min(C, C - d))
        rows.append(i)
        cols.append(i + d)
        vals.append(np.ones(len(i)) if d == 0 else (1 - abs(d) / 8.0) * scale[i])
    S = sp.csr_array((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                     shape=(C, C))
    S.data[S.data <= 1.0 / 8.0 + 1e-9] = 0.0  # |d| = 7, 8 dropped: 13 ≤ 16 stored per row
    S.eliminate_zeros()
    return S


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="21 rounds instead of 31")
    args = ap.parse_args()
    import jax
    import optax

    reps = 21 if args.quick else 31
    print(f"jax {jax.__version__}, optax {optax.__version__}, 1 thread, "
          f"median of {reps} interleaved rounds; load average {os.getloadavg()[0]:.1f}")
    print("| (B, C) | method | CPU ms | ratio (CPU) | wall ms | ratio (wall) | "
          "temp (B×C f32) | first call s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for B, C in SHAPES:
        run_cell(B, C, reps)


def run_cell(B, C, reps):
    """Print one (B, C) cell's rows."""
    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax

    from simmatrix.jax import _per_example, make_simloss
    from simmatrix.log_similarity import Tables

    rng = np.random.default_rng(0)
    z = jnp.asarray(rng.normal(size=(B, C)), dtype=jnp.float32)
    rows = C if C <= 10000 else 2000  # see ROWS_NOTE
    y = jnp.asarray(rng.integers(0, rows, size=B), dtype=jnp.int32)
    unit = B * C * 4
    steps, temp, first = {}, {}, {}

    def build(name, fn, extra, grad=True):
        def loss(a, *e):
            return fn(a, y, *e).mean()

        f = jax.jit(jax.value_and_grad(loss) if grad else loss)
        t = time.perf_counter()
        jax.block_until_ready(f(z, *extra))
        first[name] = time.perf_counter() - t
        compiled = f.lower(z, *extra).compile()
        temp[name] = compiled.memory_analysis().temp_size_in_bytes / unit
        steps[name] = (f, extra)

    build("optax_ce", optax.losses.softmax_cross_entropy_with_integer_labels, ())
    ctor = None
    for name, dense in (("simloss", True), ("simloss_topk", False)):
        if dense and rows < C:  # the kernel on a (rows, C) table: the same gather and sums
            with np.errstate(divide="ignore"):  # log 0 = -inf
                log_S = np.log(similarity(C, True, rows=rows))
            table = Tables(log_S=jax.device_put(log_S))
            def fn(a, b, t):
                return _per_example(a, b, t, jnp.float32)

            build(name, fn, (table,))
            build("  profile: forward only", fn, (table,), grad=False)
            build("  profile: gather log S[y] only",
                  lambda a, b, t: jnp.take(t.log_S, b, axis=0, mode="clip"), (table,),
                  grad=False)
            continue
        S = similarity(C, dense)
        tracemalloc.start()
        loss = make_simloss(S)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        kept = sum(x.nbytes for x in jax.tree_util.tree_leaves(loss))
        build(name, lambda a, b, fn: fn(a, b), (loss,))
        if dense:
            ctor = peak / kept
            build("  profile: forward only", lambda a, b, fn: fn(a, b), (loss,), grad=False)
            build("  profile: gather log S[y] only",
                  lambda a, b, fn: jnp.take(fn.table.log_S, b, axis=0, mode="clip"), (loss,),
                  grad=False)
    cpu = {m: [] for m in steps}
    wall = {m: [] for m in steps}
    for r in range(reps + 2):
        for m, (f, extra) in steps.items():
            t, c = time.perf_counter(), time.process_time()
            jax.block_until_ready(f(z, *extra))
            if r >= 2:
                cpu[m].append(time.process_time() - c)
                wall[m].append(time.perf_counter() - t)
    mc = {m: 1e3 * statistics.median(v) for m, v in cpu.items()}
    mw = {m: 1e3 * statistics.median(v) for m, v in wall.items()}
    for m in steps:
        print(f"| ({B}, {C}) | {m} | {mc[m]:.2f} | {mc[m] / mc['optax_ce']:.2f} | "
              f"{mw[m]:.2f} | {mw[m] / mw['optax_ce']:.2f} | {temp[m]:.2f} | "
              f"{first[m]:.2f} |", flush=True)
    if ctor is not None:
        print(f"| ({B}, {C}) | dense constructor peak ÷ table | | {ctor:.2f} | | | | |",
              flush=True)
    if C <= 10000:  # the closed-over table: compiled into the program as a constant
        loss = make_simloss(similarity(C, True))
        f = jax.jit(jax.value_and_grad(lambda a: loss(a, y).mean()))
        t = time.perf_counter()
        jax.block_until_ready(f(z))
        print(f"| ({B}, {C}) | simloss closed over (not recommended) | | | | | | "
              f"{time.perf_counter() - t:.2f} |", flush=True)


ROWS_NOTE = """At C = 50,000 a dense float32 S is 9.3 GiB (and its table as much again): the dense
row runs the same kernel (simmatrix.jax._per_example) on a 2,000 × 50,000 log S table
(400 MB, far beyond the caches) with labels in [0, 2000), so the gather and the sums are
those of the full table; the constructor's peak is not measured there."""


if __name__ == "__main__":
    main()
