"""SimLoss speed and memory against cross-entropy, in one run, on CPU.

    nice python benchmarks/loss.py --framework torch            # 3 shapes, 21 rounds
    nice python benchmarks/loss.py --framework torch --large    # also (64, 50000)
    nice python benchmarks/loss.py --framework torch --logits trained
    nice python benchmarks/loss.py --constructor 10000          # peak memory of SimLoss(S)
    nice python benchmarks/loss.py --soft 256 1000              # soft labels vs dlordinal

For each (B, C) it times forward + backward (median of 21 interleaved rounds, one thread:
``torch.set_num_threads(1)``; the time is the process's CPU time, which on a machine shared
with other jobs excludes the time spent waiting for a core) of

- torch: ``F.cross_entropy``; ``simmatrix.torch.SimLoss`` with a dense S, with a top-k
  sparse S (k = 16), and dense under ``torch.compile(fullgraph=True)``; the paper's
  probability form ``-log(Σ S[y] softmax(z) + 1e-8)`` (written with the same row gather
  S[y], not the paper's one-hot @ S matmul);
- jax (``jax.jit(jax.value_and_grad(...))``): ``optax.softmax_cross_entropy_with_integer_labels``
  and ``simmatrix.jax.make_simloss`` (dense and top-k);

and prints ratios to eager cross-entropy. ``--logits random`` draws N(0, 1) logits (early
training: every loss large); ``--logits trained`` adds 12 to the target's logit, so most
rows have ``p_y > 1/2`` and a loss below log 4 (late training, where SimLoss computes small
losses from ``u = Σ p (1 - S)``). The methods of one (B, C) are timed in one process,
interleaved round by round, so load from other processes hits them alike. Peak memory is
the growth of the process's resident set during one forward + backward, measured in a
fresh child process per cell (Linux
``/proc/self/clear_refs`` resets the high-water mark): it shows that no B×C×C intermediate
is ever built (that would be 1024·1000·1000·4 B = 4 GB at (1024, 1000)).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

SHAPES = [(1024, 100), (1024, 1000), (256, 10000)]
LARGE = (64, 50000)  # --large: a dense S of 9.3 GiB, float32 (needs ~24 GB of RAM)
TOPK = 16
TORCH_METHODS = ["ce", "simloss", "simloss_topk", "ce_compiled", "simloss_compiled",
                 "simloss_topk_compiled", "paper_prob"]
JAX_METHODS = ["optax_ce", "simloss", "simloss_topk"]


def similarity(C, seed=0, dense=True):
    """A dense S with S_ii = 1, band structure and exact zeros, and its top-k version."""
    import numpy as np
    import scipy.sparse as sp

    if not dense and C > 20000:  # the top-k entries of the same S, without the dense S
        return None, _topk_large(C, seed)
    rng = np.random.default_rng(seed)
    idx = np.arange(C)
    S = np.clip(1.0 - np.abs(idx[:, None] - idx[None, :]) / 8.0, 0.0, 1.0).astype(np.float32)
    S *= rng.uniform(0.5, 1.0, size=(C, 1)).astype(np.float32)
    np.fill_diagonal(S, 1.0)
    keep = np.argpartition(-S, TOPK - 1, axis=1)[:, :TOPK]
    rows = np.repeat(idx, TOPK)
    topk = sp.csr_array((S[rows, keep.ravel()], (rows, keep.ravel())), shape=(C, C))
    return S, topk


def _log_table_large(C):
    """The float32 log S of :func:`similarity` built in row blocks, never the float32 S:
    at C = 50,000 the table alone is 9.3 GiB."""
    import numpy as np

    rng = np.random.default_rng(0)
    out = np.empty((C, C), dtype=np.float32)
    idx = np.arange(C)
    scale = rng.uniform(0.5, 1.0, size=(C, 1))
    with np.errstate(divide="ignore"):
        for i in range(0, C, 512):
            band = np.clip(1.0 - np.abs(idx[i:i + 512, None] - idx[None, :]) / 8.0, 0.0, 1.0)
            band *= scale[i:i + 512]
            band[np.arange(band.shape[0]), idx[i:i + 512]] = 1.0
            out[i:i + 512] = np.log(band)
    return out


_CRITERIA: dict = {}


def _criterion(kind, C):
    """``SimLoss`` on the benchmark's S: dense or top-k; the large dense table directly, and
    once per process (eager and compiled share it: two 9.3 GiB tables would not fit)."""
    if (kind, C) not in _CRITERIA:
        _CRITERIA[kind, C] = _new_criterion(kind, C)
    return _CRITERIA[kind, C]


def _new_criterion(kind, C):
    import numpy as np

    from simmatrix.torch import SimLoss

    if kind == "dense" and C > 20000:
        import torch

        crit = SimLoss(np.eye(2))
        crit.log_S = torch.from_numpy(_log_table_large(C))
        return crit
    S, topk = similarity(C, dense=kind == "dense")
    return SimLoss(S if kind == "dense" else topk)


def _topk_large(C, seed=0):
    import numpy as np
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    scale = rng.uniform(0.5, 1.0, size=C)
    offs = np.arange(-7, 8)
    rows = np.repeat(np.arange(C), len(offs))
    cols = rows + np.tile(offs, C)
    vals = (1.0 - np.abs(np.tile(offs, C)) / 8.0) * scale[rows]
    vals[np.tile(offs, C) == 0] = 1.0
    keep = (cols >= 0) & (cols < C)
    return sp.csr_array((vals[keep], (rows[keep], cols[keep])), shape=(C, C))


def torch_step(method, B, C, logits="random"):
    import numpy as np
    import torch
    import torch.nn.functional as F

    torch.manual_seed(0)
    y = torch.randint(0, C, (B,))
    z = torch.randn(B, C)
    if logits == "trained":
        z[torch.arange(B), y] += 12.0
    z.requires_grad_()
    if method == "ce":
        def fn():
            return F.cross_entropy(z, y)
    elif method == "ce_compiled":
        ce = torch.compile(F.cross_entropy, fullgraph=True, dynamic=False)

        def fn():
            return ce(z, y)
    elif method in ("simloss_compiled", "simloss_topk_compiled"):
        crit = torch.compile(_criterion("topk" if "topk" in method else "dense", C),
                             fullgraph=True, dynamic=False)

        def fn():
            return crit(z, y)
    elif method in ("simloss", "simloss_topk"):
        crit = _criterion("topk" if method == "simloss_topk" else "dense", C)

        def fn():
            return crit(z, y)
    else:
        St = torch.from_numpy(np.ascontiguousarray(similarity(C)[0]))

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

    from simmatrix.jax import make_simloss

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


def _setup_threads():
    import torch

    torch.set_num_threads(1)


def _methods(framework, C):
    if framework == "jax":
        return JAX_METHODS
    # the paper's form gathers rows of a dense float32 S: not built at C = 50,000
    return [m for m in TORCH_METHODS if not (m == "paper_prob" and C > 20000)]


def _step(framework, method, B, C, logits):
    if framework == "torch":
        return torch_step(method, B, C, logits)
    return jax_step(method, B, C)


def child_memory(framework, method, B, C, logits):
    """In a fresh process: growth of the resident set during one forward + backward."""
    _setup_threads()
    step = _step(framework, method, B, C, logits)
    if framework == "jax" or method.endswith("compiled"):
        step()  # compile first: its memory is not the loss's
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")  # reset the high-water mark VmHWM to the current RSS
    before = _rss_kb("VmRSS")
    step()
    return {"peak_mb": (_rss_kb("VmHWM") - before) / 1024}


def child_times(framework, B, C, repeats, logits):
    """In one process, all methods interleaved round by round: load noise hits all alike.

    Each step is timed in the process's CPU time (``time.process_time``): on a shared
    machine the wall time of a step also holds the time the process waited for a core.
    """
    _setup_threads()
    methods = _methods(framework, C)
    steps = {m: _step(framework, m, B, C, logits) for m in methods}
    times = {m: [] for m in methods}
    for r in range(repeats + 3):
        for m, step in steps.items():
            t = time.process_time()
            step()
            if r >= 3:
                times[m].append(time.process_time() - t)
    return {m: 1e3 * sorted(v)[len(v) // 2] for m, v in times.items()}


def soft_labels(B, C, repeats):
    """Soft-label cross-entropy vs dlordinal's losses on the same soft labels, one thread.

    dlordinal's ``ExponentialLoss`` (cross-entropy to its exponential soft labels) and
    ``SORDLoss`` (targets ``softmax(-alpha |c - y|)``) against
    ``simmatrix.losses.soft_label_cross_entropy`` with ``S`` the same label distributions
    (``S[y] / Σ S[y]`` is the soft label); values are checked equal first.
    """
    import numpy as np
    import torch
    from dlordinal.losses import ExponentialLoss, SORDLoss

    from simmatrix.log_similarity import LogSimilarity
    from simmatrix.losses import soft_label_cross_entropy

    _setup_threads()
    torch.manual_seed(0)
    z = torch.randn(B, C, requires_grad=True)
    y = torch.randint(0, C, (B,))
    expo = ExponentialLoss(torch.nn.CrossEntropyLoss(), num_classes=C)
    alpha = 0.5
    sord = SORDLoss(alpha=alpha, num_classes=C, train_targets=y)
    i = np.arange(C)
    tables = {"exponential": LogSimilarity(expo.cls_probs.double().numpy()),
              "sord": LogSimilarity(np.exp(-alpha * np.abs(i[:, None] - i[None, :])))}
    pairs = {"exponential": (lambda: expo(z, y),
                             lambda: soft_label_cross_entropy(z, y, tables["exponential"])),
             "sord": (lambda: sord(z, y), lambda: soft_label_cross_entropy(z, y, tables["sord"]))}
    fns = {}
    for name, (theirs, ours) in pairs.items():
        a, b = float(theirs().detach()), float(ours().detach())
        assert abs(a - b) <= 1e-5 * abs(a), (name, a, b)
        for who, f in (("dlordinal", theirs), ("simmatrix", ours)):
            def step(f=f):
                z.grad = None
                f().backward()
            fns[f"{name} {who}"] = step
    times = {k: [] for k in fns}
    for r in range(repeats + 3):
        for k, step in fns.items():
            t = time.process_time()
            step()
            if r >= 3:
                times[k].append(time.process_time() - t)
    ms = {k: 1e3 * sorted(v)[len(v) // 2] for k, v in times.items()}
    print(f"soft-label cross-entropy, (B, C) = ({B}, {C}), torch.set_num_threads(1), median "
          f"CPU time of {repeats} interleaved rounds; load average {os.getloadavg()[0]:.1f}")
    for name in pairs:
        ours, theirs = ms[f"{name} simmatrix"], ms[f"{name} dlordinal"]
        print(f"{name}: simmatrix {ours:.2f} ms, dlordinal {theirs:.2f} ms, "
              f"ratio {ours / theirs:.2f}")


def constructor_memory(C):
    """Peak allocation (tracemalloc: numpy and torch CPU buffers) of ``SimLoss(S)``."""
    import tracemalloc

    import numpy as np

    from simmatrix.torch import SimLoss

    S = np.eye(C)
    S[0, 1:] = 0.5
    tracemalloc.start()
    crit = SimLoss(S)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    table = crit.log_S.numel() * crit.log_S.element_size()
    print(f"SimLoss(S) at C = {C}: peak {peak / 2**20:.1f} MiB for a {table / 2**20:.1f} MiB "
          f"float32 log S table ({peak / table:.3f}x); S itself (float64): "
          f"{S.nbytes / 2**20:.1f} MiB")


def _child(*args):
    cmd = [sys.executable, __file__, "--child", *map(str, args)]
    env = dict(os.environ, OMP_NUM_THREADS="1", XLA_FLAGS="--xla_cpu_multi_thread_eigen=false")
    if args[0] == "mem":
        # large blocks straight from mmap, so freed memory leaves the RSS and peaks are
        # visible (not for timing: a page fault per block per call would slow every method)
        env["MALLOC_MMAP_THRESHOLD_"] = "65536"
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="5 rounds instead of --repeats")
    ap.add_argument("--repeats", type=int, default=21, help="interleaved rounds (median)")
    ap.add_argument("--constructor", type=int, metavar="C",
                    help="only: peak memory of SimLoss(S) for a dense C×C float64 S")
    ap.add_argument("--large", action="store_true", help=f"also (B, C) = {LARGE}")
    ap.add_argument("--only-large", action="store_true", help=f"only (B, C) = {LARGE}")
    ap.add_argument("--no-memory", action="store_true", help="skip the RSS children")
    ap.add_argument("--logits", choices=["random", "trained"], default="random")
    ap.add_argument("--framework", choices=["torch", "jax", "all"], default="all")
    ap.add_argument("--soft", nargs=2, type=int, metavar=("B", "C"),
                    help="only: soft-label cross-entropy vs dlordinal at (B, C)")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.soft:
        return soft_labels(*args.soft, 5 if args.quick else args.repeats)
    if args.constructor:
        return constructor_memory(args.constructor)
    if args.child:
        kind, fw, *rest = args.child
        if kind == "mem":
            out = child_memory(fw, rest[0], int(rest[1]), int(rest[2]), rest[3])
        else:
            out = child_times(fw, int(rest[0]), int(rest[1]), int(rest[2]), rest[3])
        print(json.dumps(out))
        return
    reps = 5 if args.quick else args.repeats
    print(f"SimLoss forward + backward on CPU, torch.set_num_threads(1), median CPU time of "
          f"{reps} interleaved rounds, {args.logits} logits; load average "
          f"{os.getloadavg()[0]:.1f}")
    print("| framework | (B, C) | method | ms | ratio to CE | peak extra RSS (MB) |")
    print("|---|---|---|---:|---:|---:|")
    shapes = [LARGE] if args.only_large else SHAPES + ([LARGE] if args.large else [])
    for fw in ("torch", "jax"):
        if args.framework not in ("all", fw):
            continue
        for B, C in shapes:
            ms = _child("time", fw, B, C, reps, args.logits)
            methods = _methods(fw, C)
            base = ms[methods[0]]
            for m in methods:
                # compiled code keeps its buffers between calls: no growth to see
                mb = "n/a" if m.endswith("compiled") or args.no_memory else (
                    f'{_child("mem", fw, m, B, C, args.logits)["peak_mb"]:.1f}')
                print(f"| {fw} | ({B}, {C}) | {m} | {ms[m]:.2f} | {ms[m] / base:.2f} | {mb} |",
                      flush=True)


if __name__ == "__main__":
    main()
