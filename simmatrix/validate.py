"""The SimLoss contract, checked in one place.

A similarity matrix for SimLoss must be square and 2-D, finite, with every value in [0, 1]
and a diagonal of exactly 1, and one unique, non-empty name per row. Two more things are
*reported* rather than required:

- an off-diagonal 1 means "predicting j for true class i is no mistake at all"; that is
  right only for classes declared interchangeable, so other 1s are a warning naming them;
- symmetry is reported, not required: a matrix built from a confusion matrix is asymmetric
  (row = true class, column = predicted class).

:func:`validate` returns a :class:`ValidationReport`; :func:`check` raises
:class:`~simmatrix.errors.InvalidMatrixError` with the first errors.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ._tiles import dense_pass, value_range
from .errors import InvalidMatrixError, SimMatrixError
from .matrix import SimilarityMatrix, check_classes

MAX_LISTED = 5  # entries named per kind of problem; the count says how many more


@dataclass
class ValidationReport:
    """What :func:`validate` found: ``errors`` break the contract, ``warnings`` do not."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {"valid": self.ok, **asdict(self)}

    def raise_if_invalid(self) -> None:
        if self.errors:
            more = f" (and {len(self.errors) - 1} more problems)" if len(self.errors) > 1 else ""
            raise InvalidMatrixError(self.errors[0] + more)


def _fmt(x: float) -> str:
    """The shortest text that reads back as ``x`` in its own precision.

    ``1.0000000000000002`` stays visible (it is why a matrix fails), and a float32 1.2
    prints as ``1.2``, not ``1.2000000476837158``.
    """
    x = x if isinstance(x, np.floating) else np.float64(x)
    return str(x)


def _entries(
    rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, what: str, limit: int = MAX_LISTED
) -> list[str]:
    """``S[3, 7] = 1.2 is outside [0, 1]`` for the first few, then a count."""
    out = [f"S[{i}, {j}] = {_fmt(v)} {what}" for i, j, v in zip(rows[:limit], cols[:limit],
                                                                   vals[:limit])]
    if len(rows) > limit:
        out[-1] += f" ({len(rows) - limit} more entries like this)"
    return out


def validate(
    S: Any,
    classes: Sequence[Any] | None = None,
    *,
    interchangeable: Iterable[tuple[str, str]] = (),
    sym_atol: float = 1e-6,
) -> ValidationReport:
    """Check ``S`` against the SimLoss contract and collect every problem.

    Parameters
    ----------
    S : SimilarityMatrix or array of shape (n_classes, n_classes)
    classes : sequence of str, optional
        Names for a plain array (a SimilarityMatrix carries its own).
    interchangeable : iterable of (str, str)
        Class pairs that may have similarity 1 (for example synonyms). Pairs stored in
        ``metadata["interchangeable"]`` count too.
    sym_atol : float
        Tolerance of the symmetry report.

    Returns
    -------
    ValidationReport

    Examples
    --------
    >>> import numpy as np
    >>> validate(np.array([[1.0, 1.2], [0.2, 1.0]])).errors
    ['S[0, 1] = 1.2 is outside [0, 1]']
    """
    report = ValidationReport()
    metadata: dict[str, Any] = {}
    if isinstance(S, SimilarityMatrix):
        values, names, metadata = S.values, S.classes, S.metadata
    else:
        values, names = S, classes
    sparse = not isinstance(values, np.ndarray) and hasattr(values, "tocoo")
    if not sparse:
        values = np.asarray(values)
        if not (np.issubdtype(values.dtype, np.number) or values.dtype == np.bool_):
            report.errors.append(f"values must be numeric, got dtype {values.dtype}")
            return report
    if values.ndim != 2:
        report.errors.append(f"a similarity matrix must be 2-D, got shape {values.shape}")
        return report
    n, m = values.shape
    if n != m:
        report.errors.append(f"a similarity matrix must be square, got shape {n}×{m}")
        return report
    if names is not None:
        try:
            names = check_classes(names, n)
        except SimMatrixError as exc:
            report.errors.append(str(exc))
            names = None
    report.stats.update(n_classes=n, dtype=str(values.dtype), sparse=bool(sparse))
    if n == 0:
        report.errors.append("the matrix has no classes (shape 0×0)")
        return report
    pairs = {tuple(map(str, p)) for p in interchangeable}
    pairs |= {tuple(map(str, p)) for p in metadata.get("interchangeable", [])}
    if sparse:
        coo = values.tocoo()
        rows, cols, vals = coo.row, coo.col, np.asarray(coo.data, dtype=np.float64)
        diag = np.asarray(values.diagonal(), dtype=np.float64)
        _check_values(report, vals, rows, cols)
        _check_diagonal(report, diag)
        _check_ones(report, vals, rows, cols, names, pairs)
        return report
    vals = values if values.dtype.kind == "f" else values.astype(np.float64)
    diag = np.diagonal(vals)
    tiles = dense_pass(vals)
    _check_values(report, vals, None, None, (tiles.lo, tiles.hi))
    _check_diagonal(report, diag)
    n_ones = tiles.ones - int(np.count_nonzero(diag == 1))
    _check_ones(report, vals, None, None, names, pairs, n_ones)
    _report_stats(report, tiles, diag, sym_atol)
    return report


def _check_values(report, vals, rows, cols, bounds=None) -> None:
    # fast path: the range (NaN propagates into it); locate entries only on failure
    lo, hi = bounds if bounds is not None else value_range(vals)
    if np.isfinite(lo) and np.isfinite(hi) and 0 <= lo and hi <= 1:
        return
    finite = np.isfinite(vals)
    if not finite.all():
        where = np.nonzero(~finite)
        r, c = (where if rows is None else (rows[where[0]], cols[where[0]]))
        report.errors += _entries(r, c, vals[~finite], "is not finite")
    bad = finite & ((vals < 0) | (vals > 1))
    if bad.any():
        where = np.nonzero(bad)
        r, c = (where if rows is None else (rows[where[0]], cols[where[0]]))
        report.errors += _entries(r, c, vals[bad], "is outside [0, 1]")


def _check_diagonal(report, diag) -> None:
    off = np.nonzero(diag != 1)[0]
    off = off[np.isfinite(diag[off])]  # non-finite diagonals are already reported
    if len(off):
        report.errors += _entries(off, off, diag[off], "is not 1 (the diagonal must be exactly 1)")


def _check_ones(report, vals, rows, cols, names, pairs, n_ones=None) -> None:
    if rows is None:
        if n_ones == 0:
            report.stats["off_diagonal_ones"] = 0
            return
        ones = np.argwhere(vals == 1)
        ones = ones[ones[:, 0] != ones[:, 1]]
        r, c = ones[:, 0], ones[:, 1]
    else:
        mask = (vals == 1) & (rows != cols)
        r, c = rows[mask], cols[mask]
    listed = []
    for i, j in zip(r, c):
        a, b = (names[i], names[j]) if names is not None else (str(i), str(j))
        if (a, b) not in pairs and (b, a) not in pairs:
            listed.append((int(i), int(j), a, b))
    if listed:
        shown = ", ".join(f"S[{i}, {j}] ({a!r}, {b!r})" for i, j, a, b in listed[:MAX_LISTED])
        more = f" and {len(listed) - MAX_LISTED} more" if len(listed) > MAX_LISTED else ""
        report.warnings.append(
            f"{len(listed)} off-diagonal entries equal 1, so SimLoss never penalises those "
            f"mistakes: {shown}{more}; declare such classes interchangeable if that is meant"
        )
    report.stats["off_diagonal_ones"] = len(listed)


def _report_stats(report, t, diag, sym_atol) -> None:
    n = len(diag)
    diag = np.nan_to_num(diag.astype(np.float64), posinf=0.0, neginf=0.0)
    n_off = n * n - n
    report.stats.update(
        symmetric=t.asym <= sym_atol,
        max_asymmetry=t.asym,
        min=t.lo_finite,
        max=t.hi_finite,
        mean_off_diagonal=(t.total - float(diag.sum())) / n_off if n_off else 0.0,
        zero_fraction_off_diagonal=(t.zeros - int(np.count_nonzero(diag == 0))) / n_off
        if n_off else 0.0,
    )


def check(S: Any, classes: Sequence[Any] | None = None, **kwargs: Any) -> Any:
    """Raise :class:`InvalidMatrixError` if ``S`` breaks the contract; return ``S`` otherwise.

    >>> import numpy as np
    >>> check(np.array([[1.0, 0.0], [0.0, 0.5]]))
    Traceback (most recent call last):
    ...
    simmatrix.errors.InvalidMatrixError: S[1, 1] = 0.5 is not 1 (the diagonal must be exactly 1)
    """
    if not kwargs and _passes_fast(S, classes):
        return S
    validate(S, classes, **kwargs).raise_if_invalid()
    return S


def _passes_fast(S: Any, classes: Sequence[Any] | None) -> bool:
    """True when a dense ``S`` surely meets the contract, from one pass over its values.

    ``check`` needs only the errors, not the warnings or the statistics: the range (NaN
    propagates into the min and max) and the diagonal decide. Anything else goes the
    full way, which also writes the messages.
    """
    if isinstance(S, SimilarityMatrix):
        if S.is_sparse:
            return False
        values = S.values  # its structure and class names were checked when it was made
    elif isinstance(S, np.ndarray) and classes is None and S.dtype.kind == "f":
        values = S
    else:
        return False
    if values.ndim != 2 or values.shape[0] != values.shape[1] or values.shape[0] == 0:
        return False
    lo, hi = value_range(values)
    return bool(0 <= lo and hi <= 1 and np.all(np.diagonal(values) == 1))
