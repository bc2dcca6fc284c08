"""SimLoss speed and memory against cross-entropy, in one run, on CPU.

    nice python benchmarks/loss.py            # full table (about 2 minutes on 2 cores)
    nice python benchmarks/loss.py --quick    # fewer repeats

For each (B, C) it times forward + backward (median of N runs, one thread) of

- torch: ``F.cross_entropy``; ``simmatrix.nn.SimLoss`` with a dense S and with a top-k
  sparse S (k = 16); the paper's probability form ``-log(Σ S[y] softmax(z) + 1e-8)``
  (written with the same row gather S[y], not the paper's one-hot @ S matmul);
- jax (``jax.jit(jax.value_and_grad(...))``): ``optax.softmax_cross_entropy_with_integer_labels``
  and ``simmatrix.jaxloss.make_simloss`` (dense and top-k);

and prints ratios to cross-entropy. Peak memory is the growth of the process's resident set
during one forward + backward, measured in a fresh child process per cell (Linux
``/proc/self/clear_refs`` resets the high-water mark): it shows that no B×C×C intermediate
is ever built (that would be 1024·1000·1000·4 B = 4 GB at (1024, 1000)).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

SHAPES = [(1024, 100), (1024, 1000), (256, 10000)]
TOPK = 16
TORCH_METHODS = ["ce", "simloss", "simloss_topk", "paper_prob"]
JAX_METHODS = ["optax_ce", "simloss", "simloss_topk"]


def similarity(C, seed=0):
    """A dense S with S_ii = 1, band structure and exact zeros, and its top-k version."""
    import numpy as np
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    idx = np.arange(C)
    S = np.clip(1.0 - np.abs(idx[:, None] - idx[None, :]) / 8.0, 0.0, 1.0).astype(np.float32)
    S *= rng.uniform(0.5, 1.0, size=(C, 1)).astype(np.float32)
    np.fill_diagonal(S, 1.0)
    keep = np.argpartition(-S, TOPK - 1, axis=1)[:, :TOPK]
    rows = np.repeat(idx, TOPK)
    topk = sp.csr_array((S[rows, keep.ravel()], (rows, keep.ravel())), shape=(C, C))
    return S, topk


def torch_step(method, B, C):
    import numpy as np
    import torch
    import torch.nn.functional as F

    from simmatrix.nn import SimLoss

    torch.manual_seed(0)
    z = torch.randn(B, C, requires_grad=True)
    y = torch.randint(0, C, (B,))
    S, topk = similarity(C)
    if method == "ce":
        def fn():
            return F.cross_entropy(z, y)
    elif method in ("simloss", "simloss_topk"):
        crit = SimLoss(topk if method == "simloss_topk" else S)

        def fn():
            return crit(z, y)
    else:
        St = torch.from_numpy(np.ascontiguousarray(S))

        def fn():
            p = torch.softmax(z, dim=1)
            return -torch.log((St[y] * p).sum(dim=1) + 1e-8).mean()

    def step():
        z.grad = None
        fn().backward()

    return step


def jax_step(method, B, C):
    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax

    from simmatrix.jaxloss import make_simloss

    rng = np.random.default_rng(0)
    z = jnp.asarray(rng.normal(size=(B, C)), dtype=jnp.float32)
    y = jnp.asarray(rng.integers(0, C, size=B))
    S, topk = similarity(C)
    if method == "optax_ce":
        per = optax.softmax_cross_entropy_with_integer_labels
    else:
        per = make_simloss(topk if method == "simloss_topk" else S)
    f = jax.jit(jax.value_and_grad(lambda a: per(a, y).mean()))

    def step():
        v, g = f(z)
        g.block_until_ready()

    return step


def _rss_kb(field):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def child(framework, method, B, C, repeats):
    """Run in a fresh process: peak RSS growth of one step, then the median time."""
    import torch

    torch.set_num_threads(1)
    os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false")
    make = torch_step if framework == "torch" else jax_step
    step = make(method, B, C)
    if framework == "jax":
        step()  # compile first: its memory is not the loss's
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    before = _rss_kb("VmRSS")
    step()
    peak_mb = (_rss_kb("VmHWM") - before) / 1024
    for _ in range(3):
        step()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    return {"ms": 1e3 * statistics.median(times), "peak_mb": peak_mb}


def run_cell(framework, method, B, C, repeats):
    cmd = [sys.executable, __file__, "--child", framework, method, str(B), str(C), str(repeats)]
    env = dict(os.environ, OMP_NUM_THREADS="1", XLA_FLAGS="--xla_cpu_multi_thread_eigen=false")
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="5 repeats instead of 20")
    ap.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        fw, method, B, C, reps = args.child
        print(json.dumps(child(fw, method, int(B), int(C), int(reps))))
        return
    reps = 5 if args.quick else 20
    print(f"# SimLoss fwd+bwd on CPU, 1 thread, median of {reps}; ratio = time / cross-entropy")
    header = f"| framework | (B, C) | method | ms | ratio to CE | peak extra RSS MB |"
    print(header)
    print("|---|---|---|---:|---:|---:|")
    for fw, methods in (("torch", TORCH_METHODS), ("jax", JAX_METHODS)):
        for B, C in SHAPES:
            cells = {m: run_cell(fw, m, B, C, reps) for m in methods}
            base = cells[methods[0]]["ms"]
            for m, r in cells.items():
                print(f"| {fw} | ({B}, {C}) | {m} | {r['ms']:.2f} | {r['ms'] / base:.2f} | "
                      f"{r['peak_mb']:.1f} |", flush=True)


if __name__ == "__main__":
    main()
