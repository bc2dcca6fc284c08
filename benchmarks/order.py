"""Class-order builder vs the direct numpy formula and a per-pair Python loop.

    python benchmarks/order.py

Prints ratios measured in this one run; the loop is timed on a sample of rows and
extrapolated (it would take minutes at C = 10,000).
"""

import time

import numpy as np

from simmatrix.builders.order import order_matrix


def best(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main(n=10_000, r=0.8):
    i = np.arange(n)
    t_ours, S = best(lambda: order_matrix(n, reduction=r))
    t_np, ref = best(lambda: r ** np.abs(i[:, None] - i).astype(np.float64))
    err = np.abs(S.values - ref).max()
    rows = 20
    t = time.perf_counter()
    for a in range(rows):
        [r ** abs(a - b) for b in range(n)]
    t_loop = (time.perf_counter() - t) * n / rows
    v = np.sort(np.random.default_rng(0).uniform(0, 90, n))
    t_vals, Sv = best(lambda: order_matrix(values=v, reduction=r))
    t_vals_np, refv = best(lambda: r ** np.abs(v[:, None] - v[None, :]))
    errv = np.abs(Sv.values - refv).max()
    print(f"C = {n}, equally spaced: simmatrix {t_ours:.3f} s, numpy r**|i-j| {t_np:.3f} s "
          f"(ratio {t_np / t_ours:.1f}x), Python pair loop ~{t_loop:.0f} s extrapolated "
          f"(ratio {t_loop / t_ours:.0f}x); max |diff| {err:.1e}")
    print(f"C = {n}, unequal values: simmatrix {t_vals:.3f} s, numpy r**|v_i-v_j| "
          f"{t_vals_np:.3f} s (ratio {t_vals_np / t_vals:.1f}x); max |diff| {errv:.1e}")


if __name__ == "__main__":
    main()
