"""Class-order builder: similarity from how far apart two classes lie on a scale.

For ordered classes (ages, ratings, bins) the paper's eq. 2 gives ``S_ij = r^|i-j|`` with a
reduction factor r in [0, 1): neighbours share credit, distant classes almost none, and
r = 0 is plain cross-entropy (0^0 = 1). This module generalises it to

- class *values* that are not equidistant: ``d_ij = |v_i - v_j| / unit``;
- *circular* scales (hours, months, angles) with a period P: ``d = min(d, P - d)``;
- a Gaussian kernel ``exp(-(d / σ)² / 2)`` instead of the exponential ``r^d``.

All pairs are array operations over row blocks; for equally spaced values the matrix is
Toeplitz (its entries depend on ``|i - j|`` only) and is one strided copy of its first row.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._memory import ensure_dense_fits
from ..errors import BuildError
from ..matrix import SimilarityMatrix, check_classes
from .soft_labels import SOFT_LABEL_KERNELS, soft_label_order_matrix

KERNELS = ("exponential", "gaussian", *SOFT_LABEL_KERNELS)
_BLOCK = 512


def _format_value(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def order_matrix(
    n_classes: int | None = None,
    *,
    values: Sequence[float] | None = None,
    names: Sequence[str] | None = None,
    reduction: float = 0.8,
    kernel: str = "exponential",
    sigma: float | None = None,
    unit: float = 1.0,
    circular: float | None = None,
    dtype: str = "float64",
    alpha: float | None = None,
) -> SimilarityMatrix:
    """Similarity of ordered classes.

    Parameters
    ----------
    n_classes : int, optional
        Number of equidistant classes with values ``0 .. n_classes - 1``.
    values : sequence of float, optional
        The class values (ages with gaps, bin centres); instead of ``n_classes``.
    names : sequence of str, optional
        Class names; by default the values written as text (``"0"``, ``"2.5"``).
    reduction : float
        The paper's reduction factor r in [0, 1) for ``kernel="exponential"``.
    kernel : {"exponential", "gaussian", "beta", "binomial", "poisson", "triangular", \
"geometric"}
        ``r ** d`` or ``exp(-(d / sigma)**2 / 2)``, or one of dlordinal's soft labels
        rescaled so the diagonal is 1 (:mod:`simmatrix.builders.soft_labels`).
    sigma : float, optional
        Width of the Gaussian kernel, in the units of ``d``.
    unit : float
        Distance that counts as one step: ``d = |v_i - v_j| / unit``.
    circular : float, optional
        Period of a circular scale: ``d = min(d, period - d)`` before dividing by ``unit``.
    dtype : {"float64", "float32"}
    alpha : float, optional
        The ``triangular`` and ``geometric`` soft labels' parameter (0.01 and 0.1).

    Returns
    -------
    SimilarityMatrix of shape (n_classes, n_classes)

    Notes
    -----
    ``S_ij = r ** (|v_i - v_j| / unit)`` or ``exp(-((|v_i - v_j| / unit) / sigma)**2 / 2)``.

    Examples
    --------
    >>> order_matrix(3, reduction=0.5).values.tolist()
    [[1.0, 0.5, 0.25], [0.5, 1.0, 0.5], [0.25, 0.5, 1.0]]
    >>> order_matrix(values=[0, 6, 12, 18], circular=24, reduction=0.5, unit=6)["0", "18"]
    0.5
    """
    n = len(values) if values is not None else n_classes if n_classes is not None else (
        len(names) if names is not None else 0)
    if isinstance(n, (int, float)) and n == n and n >= 1 and n < 2**62:
        ensure_dense_fits(int(n), dtype, "order classes")
    if kernel in SOFT_LABEL_KERNELS:
        return soft_label_order_matrix(n_classes, values=values, names=names, kernel=kernel,
                                       alpha=alpha, circular=circular, dtype=dtype)
    if alpha is not None:
        raise BuildError(f"alpha applies to the triangular and geometric kernels, not {kernel}")
    v, equidistant = _values(n_classes, values, names)
    params = _check_params(kernel, reduction, sigma, unit, circular)
    labels = check_classes(names if names is not None else (_format_value(x) for x in v),
                           len(v))
    dt = np.dtype(dtype)
    if equidistant:  # d depends on |i - j| only: a Toeplitz matrix built from its first row
        first = _kernel(_distance(v - v[0], circular, unit), kernel, reduction, sigma)
        S = _toeplitz(first.astype(dt))
    else:
        S = np.empty((len(v), len(v)), dtype=dt)
        for start in range(0, len(v), _BLOCK):  # row blocks keep temporaries small
            d = _distance(v[start:start + _BLOCK, None] - v[None, :], circular, unit)
            S[start:start + _BLOCK] = _kernel(d, kernel, reduction, sigma)
    np.fill_diagonal(S, 1)  # exact, even where two classes share a value
    meta = {
        "builder": "order",
        "params": {**params, "n_classes": len(v)},
        "values": v.tolist(),
        "sources": [],
    }
    return SimilarityMatrix(S, labels, meta, copy=False)


def _values(n_classes, values, names) -> tuple[np.ndarray, bool]:
    """The class values and whether they are equally spaced."""
    if values is not None:
        if n_classes is not None and n_classes != len(values):
            raise BuildError(f"n_classes={n_classes} but {len(values)} values were given")
        try:
            v = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            raise BuildError(f"class values must be numbers, got {list(values)[:5]}") from None
        if v.ndim != 1 or v.size == 0:
            raise BuildError("class values must be a non-empty list of numbers")
        bad = np.nonzero(~np.isfinite(v))[0]
        if bad.size:
            raise BuildError(f"class value at position {bad[0]} is {v[bad[0]]}, not finite")
        steps = np.diff(v)
        equi = v.size < 3 or bool(steps[0] != 0 and np.allclose(steps, steps[0], rtol=1e-12,
                                                                  atol=0))
        return v, equi
    if n_classes is None:
        if names is None:
            raise BuildError("give the number of classes, their values, or their names")
        n_classes = len(names)
    if int(n_classes) != n_classes or n_classes < 1:
        raise BuildError(f"number of classes must be a positive integer, got {n_classes}")
    if names is not None and len(names) != n_classes:
        raise BuildError(f"{len(names)} names for {n_classes} classes")
    return np.arange(int(n_classes), dtype=np.float64), True


def _distance(diff: np.ndarray, circular: float | None, unit: float) -> np.ndarray:
    d = np.abs(diff)
    if circular is not None:
        d = np.mod(d, circular)
        d = np.minimum(d, circular - d)
    return d / unit


def _toeplitz(first: np.ndarray) -> np.ndarray:
    """The symmetric Toeplitz matrix with first row ``first``, as one strided copy."""
    n = len(first)
    window = np.concatenate([first[::-1], first[1:]])
    return np.lib.stride_tricks.sliding_window_view(window, n)[::-1].copy()


def _check_params(kernel, reduction, sigma, unit, circular) -> dict:
    if kernel not in KERNELS:
        raise BuildError(f"kernel must be one of {', '.join(KERNELS)}, got {kernel!r}")
    if kernel == "exponential":
        if not 0 <= reduction < 1:
            raise BuildError(f"reduction factor r must be in [0, 1), got {reduction}")
        params = {"kernel": kernel, "reduction": float(reduction)}
    else:
        if sigma is None or not sigma > 0:
            raise BuildError(f"the gaussian kernel needs sigma > 0, got {sigma}")
        params = {"kernel": kernel, "sigma": float(sigma)}
    if not unit > 0:
        raise BuildError(f"unit must be > 0, got {unit}")
    if circular is not None and not circular > 0:
        raise BuildError(f"circular period must be > 0, got {circular}")
    return {**params, "unit": float(unit), "circular": circular}


def _kernel(d: np.ndarray, kernel: str, reduction: float, sigma: float | None) -> np.ndarray:
    if kernel == "exponential":
        if reduction == 0:
            return (d == 0).astype(d.dtype)  # 0 ** 0 == 1: r = 0 gives the identity
        return np.exp(d * np.log(reduction))
    return np.exp(-0.5 * np.square(d / sigma))
