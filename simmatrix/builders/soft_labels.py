"""dlordinal's ordinal soft labels as similarity kernels: each row rescaled so S_ii = 1.

dlordinal 2.7 (``dlordinal.soft_labelling``) turns a true class ``i`` of ``J`` ordered classes
into a distribution ``P[i]`` over the classes, peaked at ``i``. As a similarity,

    S[i, j] = P[i, j] / P[i, i]

(row ``i`` is the true class, as everywhere in simmatrix; rows of different classes are
scaled differently, so S need not be symmetric). The kernels, computed here from their
definitions with numpy and scipy (dlordinal is not needed):

- ``beta`` (Vargas et al. 2022): the [0, 1] interval cut into J equal parts, ``P[i, j]`` the
  mass of part ``j`` under a beta distribution ``B(p_i, q_i)`` of ``x ** a_i``; the published
  "standard" parameters exist for 3 to 14 classes.
- ``binomial`` (Liu et al. 2020): ``P[i] = Binomial(J - 1, p_i)``, ``p_i`` evenly spaced in
  [0.1, 0.9].
- ``poisson`` (Liu et al. 2020): ``P[i] = softmax(Poisson(i + 1).pmf(0 .. J-1))``.
- ``triangular`` (Vargas et al. 2023): the mass of each part under a triangular distribution
  whose tails put ``alpha`` (dlordinal's ``alpha2``, default 0.01) beyond each neighbour.
- ``geometric`` (Haas & Hüllermeier 2023): ``P[i, i] = 1 - alpha`` and ``alpha`` shared by the
  others in proportion to ``alpha ** |i - j|`` (default 0.1).

The interval grid is dlordinal's: ``linspace(1e-9, 1 - 1e-9, J + 1)``, so the values match
its generators to rounding. A rescaled entry can exceed 1 by rounding where two classes tie
for the mode (Poisson's ``pmf(i) == pmf(i + 1)``): such entries are set to 1. A kernel that
puts clearly more mass on another class than on the true one (the binomial beyond 10
classes, the geometric with ``alpha > 0.5``) is refused, since no row of S may exceed its
diagonal.
"""

from __future__ import annotations

import numpy as np

from ..errors import BuildError

SOFT_LABEL_KERNELS = ("beta", "binomial", "poisson", "triangular", "geometric")
DEFAULT_ALPHA = {"triangular": 0.01, "geometric": 0.1}
ROUNDING = 1e-9  # rescaled entries up to 1 + ROUNDING are rounding; beyond, an error

# Vargas, Gutiérrez & Hervás-Martínez (2022), "Unimodal regularisation based on beta
# distribution for deep ordinal regression", Pattern Recognition 122: the (p, q, a) of each
# class for J classes, as published (and as dlordinal's "standard" set holds them).
BETA_PARAMS = {
    3: [(1, 4, 1), (4, 4, 1), (4, 1, 1)],
    4: [(1, 6, 1), (6, 10, 1), (10, 6, 1), (6, 1, 1)],
    5: [(1, 8, 1), (6, 14, 1), (12, 12, 1), (14, 6, 1), (8, 1, 1)],
    6: [(1, 10, 1), (7, 20, 1), (15, 20, 1), (20, 15, 1), (20, 7, 1), (10, 1, 1)],
    7: [(1, 12, 1), (7, 26, 1), (16, 28, 1), (24, 24, 1), (28, 16, 1), (26, 7, 1),
        (12, 1, 1)],
    8: [(1, 14, 1), (7, 31, 1), (17, 37, 1), (27, 35, 1), (35, 27, 1), (37, 17, 1),
        (31, 7, 1), (14, 1, 1)],
    9: [(1, 16, 1), (8, 40, 1), (18, 47, 1), (30, 47, 1), (40, 40, 1), (47, 30, 1),
        (47, 18, 1), (40, 8, 1), (16, 1, 1)],
    10: [(1, 18, 1), (8, 45, 1), (19, 57, 1), (32, 59, 1), (45, 55, 1), (55, 45, 1),
         (59, 32, 1), (57, 19, 1), (45, 8, 1), (18, 1, 1)],
    11: [(1, 21, 1), (8, 51, 1), (20, 68, 1), (34, 73, 1), (48, 69, 1), (60, 60, 1),
         (69, 48, 1), (73, 34, 1), (68, 20, 1), (51, 8, 1), (21, 1, 1)],
    12: [(1, 23, 1), (8, 56, 1), (20, 76, 1), (35, 85, 1), (51, 85, 1), (65, 77, 1),
         (77, 65, 1), (85, 51, 1), (85, 35, 1), (76, 20, 1), (56, 8, 1), (23, 1, 1)],
    13: [(1, 25, 1), (8, 61, 1), (20, 84, 1), (36, 98, 1), (53, 100, 1), (70, 95, 1),
         (84, 84, 1), (95, 70, 1), (100, 53, 1), (98, 36, 1), (84, 20, 1), (61, 8, 1),
         (25, 1, 1)],
    14: [(1, 27, 1), (2, 17, 1), (5, 23, 1), (9, 27, 1), (13, 28, 1), (18, 28, 1),
         (23, 27, 1), (27, 23, 1), (28, 18, 1), (28, 13, 1), (27, 9, 1), (23, 5, 1),
         (17, 2, 1), (27, 1, 1)],
}


def soft_label_distributions(n_classes: int, kernel: str, alpha: float | None = None
                             ) -> np.ndarray:
    """dlordinal's soft labels: row ``i`` is the distribution for true class ``i``.

    Parameters
    ----------
    n_classes : int, at least 2 (3 for ``beta``)
    kernel : {"beta", "binomial", "poisson", "triangular", "geometric"}
    alpha : float in [0, 1], optional
        ``triangular``: the tail mass beyond each neighbour (dlordinal's ``alpha2``);
        ``geometric``: the mass off the true class. Other kernels take none.

    Returns
    -------
    ndarray of shape (n_classes, n_classes), float64; rows sum to 1 (up to dlordinal's
    1e-9 guards at 0 and 1 for the interval kernels).
    """
    J = _check(n_classes, kernel, alpha)
    a = DEFAULT_ALPHA.get(kernel) if alpha is None else float(alpha)
    if kernel == "beta":
        return _beta(J)
    if kernel == "binomial":
        from scipy.stats import binom

        return binom.pmf(np.arange(J)[None, :], J - 1, np.linspace(0.1, 0.9, J)[:, None])
    if kernel == "poisson":
        from scipy.special import softmax
        from scipy.stats import poisson

        return softmax(poisson.pmf(np.arange(J)[None, :], np.arange(1, J + 1)[:, None]), axis=1)
    if kernel == "triangular":
        return _triangular(J, a)
    return _geometric(J, a)


def soft_label_kernel(n_classes: int, kernel: str, alpha: float | None = None) -> np.ndarray:
    """The soft labels rescaled so the diagonal is 1: ``S[i, j] = P[i, j] / P[i, i]``.

    Returns
    -------
    ndarray of shape (n_classes, n_classes), float64, values in [0, 1], diagonal exactly 1.

    Examples
    --------
    >>> soft_label_kernel(3, "geometric", 0.2).round(4).tolist()
    [[1.0, 0.2083, 0.0417], [0.125, 1.0, 0.125], [0.0417, 0.2083, 1.0]]
    """
    P = soft_label_distributions(n_classes, kernel, alpha)
    diag = np.diagonal(P).copy()
    if not (diag > 0).all():
        i = int(np.flatnonzero(~(diag > 0))[0])
        raise BuildError(f"the {kernel} soft label of class {i} gives it probability "
                         f"{float(diag[i])!r}: it cannot be rescaled to a diagonal of 1")
    S = P / diag[:, None]
    over = S > 1.0 + ROUNDING
    if over.any():
        i, j = (int(x) for x in np.argwhere(over)[0])
        raise BuildError(
            f"the {kernel} soft label of class {i} of {n_classes} puts more mass on class {j} "
            f"than on class {i} (S[{i}, {j}] = {float(S[i, j])!r} after rescaling the diagonal to "
            f"1), so it is no similarity; {_hint(kernel)}"
        )
    np.clip(S, 0.0, 1.0, out=S)  # ties for the mode: 1 + 2e-16 is rounding
    np.fill_diagonal(S, 1.0)
    return S


def _hint(kernel: str) -> str:
    return {"binomial": "the binomial kernel holds for at most 10 classes",
            "geometric": "use a smaller alpha"}.get(kernel, "choose another kernel or alpha")


def _check(n_classes, kernel, alpha) -> int:
    if kernel not in SOFT_LABEL_KERNELS:
        raise BuildError(f"soft-label kernel must be one of {', '.join(SOFT_LABEL_KERNELS)}, "
                         f"got {kernel!r}")
    if int(n_classes) != n_classes or n_classes < 2:
        raise BuildError(f"the {kernel} kernel needs at least 2 classes, got {n_classes}")
    J = int(n_classes)
    if kernel == "beta" and J not in BETA_PARAMS:
        raise BuildError(f"the beta kernel has published parameters for {min(BETA_PARAMS)} to "
                         f"{max(BETA_PARAMS)} classes only, got {J}")
    if alpha is not None:
        if kernel not in DEFAULT_ALPHA:
            raise BuildError(f"alpha applies to the {' and '.join(DEFAULT_ALPHA)} kernels, "
                             f"not to {kernel}")
        if not 0 <= alpha <= 1 or (kernel == "triangular" and not 0 < alpha < 0.5):
            bound = "(0, 0.5)" if kernel == "triangular" else "[0, 1]"
            raise BuildError(f"alpha of the {kernel} kernel must be in {bound}, got {alpha!r}")
    return J


def _grid(J: int) -> np.ndarray:
    return np.linspace(1e-9, 1 - 1e-9, J + 1)


def _beta(J: int) -> np.ndarray:
    """Mass of each of the J parts of [0, 1] under ``B(p, q)`` of ``x ** a``, per class."""
    from scipy.special import betainc

    p, q, a = (np.array(col, dtype=np.float64)[:, None] for col in zip(*BETA_PARAMS[J]))
    cdf = betainc(p, q, _grid(J)[None, :] ** a)  # regularised incomplete beta = the CDF
    return np.diff(cdf, axis=1)


def _triangular(J: int, alpha: float) -> np.ndarray:
    """Triangular distributions (a_i, b_i, mode c_i) on [0, 1], ``alpha`` in each tail."""
    r = np.sqrt(2 * alpha)
    den = 2.0 * J * (1 - 2 * alpha)
    j = np.arange(1, J + 1, dtype=np.float64)
    lo = (2 * j - 2 - 4 * j * alpha + 2 * alpha) / den  # a_j is lo ± r/den, left of (j-1)/J
    hi = (2 * j - 4 * j * alpha + 2 * alpha) / den  # b_j is hi ± r/den, right of j/J
    a = np.where(lo + r / den < (j - 1) / J, lo + r / den, lo - r / den)
    b = np.where(hi + r / den > j / J, hi + r / den, hi - r / den)
    c = (a + b) / 2
    # the first and last classes are right and left triangles with their mode at 0 and 1
    c_first = (1 - 2 * alpha) * (2 * alpha - r)
    alpha1 = ((1 - np.sqrt(1 - 4 * c_first)) / 2) ** 2
    c_last = ((J - 1) / J) ** 2 * (1 - 2 * alpha) * (r * (r - 1))
    alpha3 = ((1 - np.sqrt(1 - 4 * c_last)) / 2) ** 2
    a[0], b[0], c[0] = 0.0, 1.0 / ((1 - np.sqrt(alpha1)) * J), 0.0
    shift = 1.0 / (J * (np.sqrt(alpha3) - 1))
    a[-1], b[-1], c[-1] = (1 + shift if 1 + shift > 0 else 1 - shift), 1.0, 1.0
    cdf = _triangular_cdf(_grid(J)[None, :], a[:, None], b[:, None], c[:, None])
    return np.diff(cdf, axis=1)


def _triangular_cdf(x, a, b, c):
    """The CDF of the triangular distribution, with dlordinal's convention at ``x == c``.

    dlordinal gives 1 at exactly the mode (a boundary its branches miss); the grid points
    never fall on a mode for the classes in between, and at the first and last classes the
    mode is 0 or 1, outside the grid, so this matches the standard CDF there too.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        left = (x - a) ** 2 / ((b - a) * (c - a))
        right = 1 - (b - x) ** 2 / ((b - a) * (b - c))
    return np.where(x <= a, 0.0, np.where((a < x) & (x < c), left,
                                          np.where((c < x) & (x < b), right, 1.0)))


def _geometric(J: int, alpha: float) -> np.ndarray:
    """``1 - alpha`` on the true class; ``alpha`` over the others as ``alpha ** |i - j|``."""
    if alpha == 0:
        return np.eye(J)
    d = np.abs(np.arange(J)[:, None] - np.arange(J)[None, :])
    w = np.where(d > 0, alpha ** d.astype(np.float64), 0.0)
    P = alpha * w / w.sum(axis=1, keepdims=True)
    np.fill_diagonal(P, 1 - alpha)
    return P


def soft_label_order_matrix(n_classes, *, values=None, names=None, kernel: str,
                            alpha: float | None = None, circular: float | None = None,
                            dtype: str = "float64"):
    """:func:`simmatrix.builders.order_matrix` with a soft-label kernel (same arguments).

    These kernels live on the class positions 0 .. J-1: ``values`` and ``circular`` do not
    apply; ``names`` (or ``n_classes``) give the classes.
    """
    from ..matrix import SimilarityMatrix, check_classes

    if values is not None or circular is not None:
        raise BuildError(f"the {kernel} kernel is defined on class positions 0 .. J-1: "
                         "values= and circular= do not apply; give n_classes= or names=")
    if n_classes is None:
        if names is None:
            raise BuildError("give the number of classes or their names")
        n_classes = len(names)
    if names is not None and len(names) != n_classes:
        raise BuildError(f"{len(names)} names for {n_classes} classes")
    S = soft_label_kernel(n_classes, kernel, alpha).astype(np.dtype(dtype))
    np.fill_diagonal(S, 1)
    labels = check_classes(names if names is not None else map(str, range(len(S))), len(S))
    used = DEFAULT_ALPHA.get(kernel) if alpha is None else float(alpha)
    params = {"kernel": kernel, **({"alpha": used} if kernel in DEFAULT_ALPHA else {}),
              "n_classes": len(S), "source": "dlordinal 2.7 soft_labelling, rescaled to S_ii = 1"}
    meta = {"builder": "order", "params": params, "values": list(range(len(S))),
            "sources": []}
    return SimilarityMatrix(S, labels, meta, copy=False)
