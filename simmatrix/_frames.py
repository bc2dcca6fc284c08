"""A SimilarityMatrix as a labelled pandas or polars table, and back.

Two layouts, the same as the ``.parquet`` file holds:

- ``"square"``: one row per true class, one column per predicted class. pandas: the index
  holds the true classes (named ``true_class``) and the columns axis is named
  ``predicted_class``; polars has no index, so a first column ``true_class`` holds them.
- ``"long"``: one row per stored entry, columns ``true_class``, ``predicted_class``,
  ``similarity`` (categorical, with the classes in matrix order as categories). A sparse
  (top-k) matrix becomes this by default; absent entries are 0.

pandas and polars are imported only here, when a conversion is asked for.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import InvalidMatrixError, quote_list, require
from .matrix import SimilarityMatrix

LONG = ("true_class", "predicted_class", "similarity")
LAYOUTS = ("auto", "square", "long")
META_ATTR = "simmatrix_metadata"


def _layout(S: SimilarityMatrix, layout: str) -> str:
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
    if layout == "auto":
        return "long" if S.is_sparse else "square"
    return layout


def _entries(S: SimilarityMatrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row, column and value of every stored entry (every entry when dense), row-major."""
    if S.is_sparse:
        coo = S.values.tocoo()
        order = np.lexsort((coo.col, coo.row))
        return coo.row[order], coo.col[order], coo.data[order]
    n = len(S)
    rows, cols = np.divmod(np.arange(n * n), n)
    return rows, cols, np.ascontiguousarray(S.values).reshape(-1)


# -- pandas --------------------------------------------------------------------------------
def to_pandas(S: SimilarityMatrix, layout: str = "auto"):
    """See :meth:`SimilarityMatrix.to_pandas`."""
    pd = require("pandas", "pandas")
    if _layout(S, layout) == "square":
        df = pd.DataFrame(S.to_dense(), copy=True,
                          index=pd.Index(S.classes, name="true_class", dtype=object),
                          columns=pd.Index(S.classes, name="predicted_class", dtype=object))
    else:
        rows, cols, vals = _entries(S)
        kind = pd.CategoricalDtype(list(S.classes), ordered=False)
        df = pd.DataFrame({
            "true_class": pd.Categorical.from_codes(rows, dtype=kind),
            "predicted_class": pd.Categorical.from_codes(cols, dtype=kind),
            "similarity": np.array(vals, copy=True),
        })
    df.attrs[META_ATTR] = S.metadata
    return df


def from_pandas(df: Any, classes: Any = None, metadata: Any = None) -> SimilarityMatrix:
    """See :meth:`SimilarityMatrix.from_pandas`."""
    if metadata is None:
        metadata = getattr(df, "attrs", {}).get(META_ATTR)
    if [str(c) for c in df.columns] == list(LONG):
        kind = df["true_class"].dtype
        categories = list(kind.categories) if hasattr(kind, "categories") else None
        return _from_long(df["true_class"].to_list(), df["predicted_class"].to_list(),
                          df["similarity"].to_numpy(), classes, metadata, categories)
    rows = [str(r) for r in df.index]
    cols = [str(c) for c in df.columns]
    values = df.to_numpy()
    return _from_square(rows, cols, values, classes, metadata)


# -- polars --------------------------------------------------------------------------------
def to_polars(S: SimilarityMatrix, layout: str = "auto"):
    """See :meth:`SimilarityMatrix.to_polars`."""
    pl = require("polars", "polars")
    if _layout(S, layout) == "square":
        if "true_class" in S:
            raise InvalidMatrixError(
                "a class is named 'true_class', the label column of the square polars table; "
                "use layout='long' or rename the class")
        dense = S.to_dense()
        columns = [pl.Series("true_class", S.classes, dtype=pl.String)]
        columns += [pl.Series(c, dense[:, j].copy()) for j, c in enumerate(S.classes)]
        return pl.DataFrame(columns)
    rows, cols, vals = _entries(S)
    kind = pl.Enum(list(S.classes))
    names = pl.Series(list(S.classes), dtype=pl.String)
    return pl.DataFrame([
        pl.Series("true_class", names.gather(rows), dtype=kind),
        pl.Series("predicted_class", names.gather(cols), dtype=kind),
        pl.Series("similarity", np.array(vals, copy=True)),
    ])


def from_polars(df: Any, classes: Any = None, metadata: Any = None) -> SimilarityMatrix:
    """See :meth:`SimilarityMatrix.from_polars`."""
    if list(df.columns) == list(LONG):
        return _from_long(df["true_class"].cast(str).to_list(),
                          df["predicted_class"].cast(str).to_list(),
                          df["similarity"].to_numpy(), classes, metadata,
                          categories=_enum_categories(df["true_class"]))
    if not df.columns or df.columns[0] not in ("true_class", "class"):
        raise InvalidMatrixError(
            "a square polars table needs its first column 'true_class' (or 'class') to hold "
            f"the true classes; got columns {quote_list(df.columns[:5])}")
    rows = [str(r) for r in df[df.columns[0]].to_list()]
    values = df.drop(df.columns[0]).to_numpy()
    return _from_square(rows, list(df.columns[1:]), values, classes, metadata)


def _enum_categories(series: Any) -> list[str] | None:
    categories = getattr(series.dtype, "categories", None)
    return None if categories is None else [str(c) for c in categories]


# -- shared --------------------------------------------------------------------------------
def _from_square(rows: list[str], cols: list[str], values: np.ndarray, classes: Any,
                 metadata: Any) -> SimilarityMatrix:
    """Columns matched to rows by name, then ``classes`` (if given) sets the order."""
    if len(set(cols)) != len(cols) or set(cols) != set(rows) or len(cols) != len(rows):
        only_rows = [r for r in rows if r not in set(cols)]
        only_cols = [c for c in cols if c not in set(rows)]
        raise InvalidMatrixError(
            "the table's row labels (true classes) and columns (predicted classes) must be "
            f"the same classes; {len(rows)} rows, {len(cols)} columns; only rows: "
            f"{quote_list(only_rows) or 'none'}; only columns: {quote_list(only_cols) or 'none'}")
    position = {c: j for j, c in enumerate(cols)}
    values = np.asarray(values)[:, [position[r] for r in rows]]
    S = SimilarityMatrix(values, rows, metadata, copy=False)
    return S if classes is None else S.select(classes)


def _from_long(true: Any, pred: Any, vals: np.ndarray, classes: Any, metadata: Any,
               categories: list[str] | None = None) -> SimilarityMatrix:
    """Sparse from one row per stored entry; classes in category order, else as first seen."""
    import scipy.sparse as sp

    true = [str(t) for t in true]
    pred = [str(p) for p in pred]
    names = [str(c) for c in classes] if classes is not None else categories
    if names is None:
        names = list(dict.fromkeys(true))
    names = [str(c) for c in names]
    index = {str(c): i for i, c in enumerate(names)}
    unknown = list(dict.fromkeys(c for c in (*true, *pred) if c not in index))
    if unknown:
        raise InvalidMatrixError(
            f"{len(unknown)} classes of the table are not among its true classes (or the "
            f"classes given): {quote_list(unknown)}")
    r = np.fromiter((index[t] for t in true), dtype=np.int64, count=len(true))
    c = np.fromiter((index[p] for p in pred), dtype=np.int64, count=len(pred))
    vals = np.asarray(vals)
    if vals.dtype not in (np.float32, np.float64):
        vals = vals.astype(np.float64)
    pairs = r * len(names) + c
    if len(np.unique(pairs)) != len(pairs):
        raise InvalidMatrixError("the long table names some (true_class, predicted_class) "
                                 "pair more than once")
    values = sp.csr_array((vals, (r, c)), shape=(len(names), len(names)))
    return SimilarityMatrix(values, names, metadata, copy=False)
