"""Score-table builder: a hand-written labelled table of scores becomes a similarity matrix.

A table is a CSV (or TSV) file with a header row of class names and a first column of class
names, in any order; cell ``(row a, column b)`` is the score of predicting ``b`` when the true
class is ``a``::

    ,c1,c2,c3,c4
    c1,2,1,0,-1
    c2,1,2,0.5,-1
    c3,0,0.5,2,0
    c4,-1,-1,0,2

Scores may be on any scale (−1..2 above). :func:`from_table` rescales them to [0, 1] —
globally or per row, chosen explicitly — sets the diagonal to 1, and the result is checked
by :func:`simmatrix.validate.check` when it is saved. The reader :func:`read_labelled_csv` is
shared with the confusion-matrix builder (a labelled count matrix has the same layout).
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._files import csv_rows, read_text
from ..errors import BuildError, MatrixFileError, quote_list
from ..matrix import SimilarityMatrix, fingerprint_file

RESCALES = ("global", "row")
_MAX_CELLS_LISTED = 5


@dataclass(frozen=True)
class LabelledTable:
    """A square table read from a file, columns already reordered to match the rows.

    ``values`` has shape (n, n) with ``NaN`` where a diagonal cell was left blank;
    ``classes`` are the row labels in file order.
    """

    classes: tuple[str, ...]
    values: np.ndarray
    path: str


def read_labelled_csv(path: str | os.PathLike, what: str = "table") -> LabelledTable:
    """Read a CSV/TSV with class names in the header row and in the first column.

    The first header cell is ignored (it may be blank or say ``true\\pred``). Columns are
    reordered to the row order. A blank diagonal cell is allowed (it becomes ``NaN``; builders
    set the diagonal anyway); every other cell must be a number.

    Raises
    ------
    MatrixFileError
        The file is missing, empty, or a row has the wrong number of cells.
    BuildError
        Duplicate labels, labels that are not in both the header and the first column
        (all named at once), or cells that are not numbers (named by position).
    """
    p = Path(path)
    rows = csv_rows(read_text(p, what), p)
    if len(rows) < 2:
        raise MatrixFileError(
            f"{what} {str(p)!r} needs a header row of class names and at least one row; "
            f"got {len(rows)} non-blank line(s)"
        )
    header, body = rows[0][1:], rows[1:]
    short = [i + 2 for i, r in enumerate(body) if len(r) != len(header) + 1]
    if short:
        raise MatrixFileError(
            f"{what} {str(p)!r}: the header has {len(header)} class names but line(s) "
            f"{', '.join(map(str, short[:10]))} have a different number of cells"
        )
    row_names = [r[0] for r in body]
    _check_labels(row_names, header, p, what)
    cells = np.array([r[1:] for r in body], dtype=object)
    column = {name: j for j, name in enumerate(header)}
    order = np.array([column[name] for name in row_names], dtype=np.intp)
    cells = cells[:, order]  # columns in row order
    values = _parse_cells(cells, tuple(row_names), p, what)
    return LabelledTable(tuple(row_names), values, str(p))


def _check_labels(rows: list[str], cols: list[str], p: Path, what: str) -> None:
    problems = []
    for where, names in (("header row", cols), ("first column", rows)):
        empty = sum(1 for n in names if not n)
        if empty:
            problems.append(f"{empty} empty class name(s) in the {where}")
        dups = [n for n, k in Counter(names).items() if k > 1 and n]
        if dups:
            problems.append(f"duplicated in the {where}: {quote_list(dups)}")
    row_set, col_set = set(rows), set(cols)
    only_cols = [n for n in cols if n and n not in row_set]
    only_rows = [n for n in rows if n and n not in col_set]
    if only_cols:
        problems.append(f"in the header row but not the first column: {quote_list(only_cols)}")
    if only_rows:
        problems.append(f"in the first column but not the header row: {quote_list(only_rows)}")
    if problems:
        raise BuildError(f"{what} {str(p)!r}: class labels do not match; " + "; ".join(problems))


def _parse_cells(cells: np.ndarray, names: tuple[str, ...], p: Path, what: str) -> np.ndarray:
    n = len(names)
    blank = cells == ""
    diag = np.eye(n, dtype=bool)
    filled = np.where(blank & diag, "nan", cells)
    try:
        x = filled.astype(np.float64)
    except ValueError:
        pass
    else:
        bad = np.argwhere(np.isinf(x) | (np.isnan(x) & ~blank))  # written "nan" / "inf"
        if len(bad) == 0:
            return x
        i, j = bad[0]
        raise BuildError(
            f"{what} {str(p)!r}: row {names[i]!r}, column {names[j]!r} is {cells[i, j]!r}; "
            f"every cell must be a finite number ({len(bad)} are not); leave a diagonal "
            "cell empty if it is unknown"
        )
    bad = []
    for i, j in np.argwhere(~diag | ~blank):  # only reached on bad input: list them all
        try:
            float(cells[i, j])
        except ValueError:
            bad.append(f"row {names[i]!r}, column {names[j]!r}: {cells[i, j]!r} is not a number")
    shown = "; ".join(bad[:_MAX_CELLS_LISTED])
    more = f" (and {len(bad) - _MAX_CELLS_LISTED} more)" if len(bad) > _MAX_CELLS_LISTED else ""
    count = f"{len(bad)} cells are" if len(bad) > 1 else "1 cell is"
    raise BuildError(f"{what} {str(p)!r}: {count} not a number: {shown}{more}")


def rescale_scores(scores: Any, how: str) -> np.ndarray:
    """Map scores to [0, 1]: ``(x − lo) / (hi − lo)`` over the whole table or per row.

    Parameters
    ----------
    scores : array of shape (n_classes, n_classes)
        Any finite scores; ``NaN`` marks a blank (diagonal) cell, which is ignored.
    how : {"global", "row"}
        ``"global"``: ``lo``, ``hi`` are the smallest and largest score in the table, so
        equal scores give equal similarities everywhere. ``"row"``: per row ``i``,
        ``lo_i``, ``hi_i`` are that row's extremes, so every row spans [0, 1].

    Returns
    -------
    array of shape (n_classes, n_classes), float64, NaN kept where the input had NaN.

    Examples
    --------
    >>> rescale_scores([[2.0, 1.0], [-1.0, 2.0]], "global").tolist()
    [[1.0, 0.6666666666666666], [0.0, 1.0]]
    """
    if how not in RESCALES:
        raise BuildError(f"rescale must be 'global' or 'row', got {how!r}")
    x = np.asarray(scores, dtype=np.float64)
    if np.isinf(x).any():
        raise BuildError("scores must be finite; the table holds an infinite value")
    axis = None if how == "global" else 1
    lo = np.nanmin(x, axis=axis, keepdims=True)
    hi = np.nanmax(x, axis=axis, keepdims=True)
    span = hi - lo
    if how == "global" and not span.item() > 0:
        raise BuildError(f"cannot rescale: every score in the table is {lo.item():g}")
    flat = np.nonzero(~(span[:, 0] > 0))[0] if how == "row" else []
    if len(flat):
        raise BuildError(
            f"cannot rescale per row: {len(flat)} row(s) hold one score only "
            f"(rows {', '.join(map(str, flat[:10]))}); use rescale='global'"
        )
    return (x - lo) / span


def from_table(
    scores: Any,
    classes: Any = None,
    *,
    rescale: str,
    sources: list[dict[str, Any]] | None = None,
) -> SimilarityMatrix:
    """Turn a table of arbitrary scores into a similarity matrix.

    .. math:: S_{ij} = (x_{ij} - lo) / (hi - lo) \\ (i \\ne j), \\quad S_{ii} = 1

    Parameters
    ----------
    scores : array of shape (n_classes, n_classes) or LabelledTable
        Row = true class, column = predicted class. Diagonal cells may be ``NaN`` (blank).
    classes : sequence of str, optional
        Row names (taken from a :class:`LabelledTable`).
    rescale : {"global", "row"}
        Required, no default: see :func:`rescale_scores`. The diagonal cells take part in
        ``lo``/``hi`` when they are filled in, so a table whose diagonal holds the top score
        keeps off-diagonal pairs below 1.
    sources : list of dict, optional
        Provenance (file fingerprints) stored in ``metadata["sources"]``.

    Examples
    --------
    >>> S = from_table([[2, 1], [-1, 2]], ["a", "b"], rescale="global")
    >>> S.values.tolist()
    [[1.0, 0.6666666666666666], [0.0, 1.0]]
    """
    if isinstance(scores, LabelledTable):
        classes = scores.classes if classes is None else classes
        if sources is None:
            sources = [fingerprint_file(scores.path)]
        scores = scores.values
    x = np.asarray(scores, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] != x.shape[1]:
        raise BuildError(f"a score table must be square, got shape {x.shape}")
    off = ~np.eye(len(x), dtype=bool)
    if np.isnan(x[off]).any():
        i, j = np.argwhere(np.isnan(x) & off)[0]
        raise BuildError(f"score table has a blank off-diagonal cell at [{i}, {j}]")
    vals = rescale_scores(x, rescale)
    np.fill_diagonal(vals, 1.0)
    lo, hi = float(np.nanmin(x)), float(np.nanmax(x))
    meta = {
        "builder": "table",
        "params": {"rescale": rescale},
        "sources": sources or [],
        "score_range": [lo, hi],
    }
    return SimilarityMatrix(vals, classes, meta)


def build_table(path: str | os.PathLike, *, rescale: str) -> SimilarityMatrix:
    """Read a labelled score table (see :func:`read_labelled_csv`) and build ``S`` from it."""
    return from_table(read_labelled_csv(path, "score table"), rescale=rescale)
