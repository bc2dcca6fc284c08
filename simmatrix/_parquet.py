"""The .parquet layouts: dense wide table (up to WIDE_MAX_CLASSES), one row per class with a
fixed-size list (above), and the long top-k form; written and read back with pyarrow.

Imported by :mod:`simmatrix.io` only when a .parquet file is written or read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ._files import parse_json
from ._header import FILE_VERSION, META_KEY, header_parts, matrix_header
from ._memory import dense_bytes, ensure_fits
from .errors import InvalidMatrixError, MatrixFileError
from .matrix import SimilarityMatrix


def write_parquet(S: SimilarityMatrix, tmp: Path, wide_max: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if S.is_sparse:
        coo = S.values.tocoo()
        names = pa.array(S.classes, pa.string())
        table = pa.table({
            "true_class": pa.DictionaryArray.from_arrays(pa.array(coo.row, pa.int32()), names),
            "predicted_class": pa.DictionaryArray.from_arrays(pa.array(coo.col, pa.int32()),
                                                              names),
            "similarity": pa.array(coo.data),
        })
        header = matrix_header(S, "long")
        pandas_meta = None
    elif len(S) <= wide_max:
        label = _label_column(S.classes)
        table = _wide_table(S, label)
        header = matrix_header(S, "wide")
        header["label_column"] = label
        pandas_meta = _pandas_metadata(label)
    else:
        table = _rows_table(S)
        header = matrix_header(S, "rows")
        pandas_meta = None
    meta = {META_KEY: json.dumps(header, ensure_ascii=False).encode()}
    if pandas_meta is not None:
        meta[b"pandas"] = json.dumps(pandas_meta, separators=(",", ":")).encode()
    table = table.replace_schema_metadata(meta)
    # No dictionary encoding: a dictionary of distinct floats makes the file larger than
    # the raw array; plain values + zstd is smaller than the .npy.
    wide = header["layout"] == "wide"
    # Wide: each float column split into byte streams, so its exponent bytes compress.
    pq.write_table(table, tmp, compression="zstd", compression_level=1,
                   use_dictionary=[] if S.is_sparse else False, write_statistics=False,
                   use_byte_stream_split=list(S.classes) if wide else False)


def _label_column(classes) -> str:
    """A name for the column of row labels that no class uses: ``class``, ``__class__``..."""
    taken = set(classes)
    label, k = "class", 0
    while label in taken:
        label = "__class__" if k == 0 else f"__class_{k}__"
        k += 1
    return label


def _wide_table(S: SimilarityMatrix, label: str):
    """One required float column per predicted class, cut from one transposed copy."""
    import pyarrow as pa

    columns = np.ascontiguousarray(S.values.T)  # row j = column j of S, contiguous
    kind = pa.from_numpy_dtype(columns.dtype)
    schema = pa.schema([pa.field(label, pa.string(), nullable=False)]
                       + [pa.field(c, kind, nullable=False) for c in S.classes])
    arrays = [pa.array(S.classes, pa.string())] + [pa.array(col) for col in columns]
    return pa.Table.from_arrays(arrays, schema=schema)


def _rows_table(S: SimilarityMatrix):
    """``class`` and ``similarity``: one row per true class, its C values as a fixed-size
    list, taken from S's buffer without a copy."""
    import pyarrow as pa

    n = len(S)
    kind = pa.list_(pa.field("item", pa.from_numpy_dtype(S.dtype), nullable=False), n)
    flat = pa.array(np.ascontiguousarray(S.values).reshape(-1))
    schema = pa.schema([pa.field("class", pa.string(), nullable=False),
                        pa.field("similarity", kind, nullable=False)])
    return pa.Table.from_arrays(
        [pa.array(S.classes, pa.string()), pa.FixedSizeListArray.from_arrays(flat, type=kind)],
        schema=schema)


def _pandas_metadata(label: str) -> dict[str, Any]:
    """The ``pandas`` schema metadata that makes ``label`` the DataFrame's index.

    Only the index column is described: pandas reads the float columns' types from the
    file itself, and listing C columns here (and again in the stored Arrow schema) cost
    ~100 bytes a class.
    """
    return {
        "index_columns": [label],
        "column_indexes": [],
        "columns": [{"name": label, "field_name": label, "pandas_type": "unicode",
                     "numpy_type": "object", "metadata": None}],
        "creator": {"library": "simmatrix", "version": str(FILE_VERSION)},
        "pandas_version": "2.0.0",
    }


def read_parquet(path: Path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except (pa.ArrowException, OSError) as exc:
        raise MatrixFileError(
            f"'{path}' is not a readable parquet file (truncated or damaged?): "
            f"{' '.join(str(exc).split())}"
        ) from None
    names = schema.names
    dups = sorted({c for c in names if names.count(c) > 1}) if len(set(names)) < len(names) \
        else []
    if dups:
        raise MatrixFileError(f"'{path}' has duplicated columns {dups[:5]}; each class "
                              "must have one column")
    meta = schema.metadata or {}
    header: dict[str, Any] = {}
    where = f"'{path}' simmatrix metadata"
    if META_KEY in meta:
        header = parse_json(meta[META_KEY], where)
    classes, metadata = header_parts(header, where)
    long = header.get("layout") == "long" or (
        not header and {"true_class", "predicted_class", "similarity"} <= set(names))
    n = len(classes) if classes is not None else (len(names) if not long else 0)
    if not long:
        ensure_fits(dense_bytes(n, n, 8, copies=2), f"loading '{path}' ({n}×{n})",
                    "load it on a larger machine, or build a smaller or sparse (top_k=K) "
                    "matrix")
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise MatrixFileError(
            f"'{path}' is not a readable parquet file (truncated or damaged?): "
            f"{' '.join(str(exc).split())}"
        ) from None
    if long:
        return _from_long(path, table, classes, metadata)
    if header.get("layout") == "rows":
        return _from_rows(path, table, classes, metadata)
    return _from_wide(path, table, header, classes, metadata)


def _numeric_column(path: Path, table, name: str) -> np.ndarray:
    import pyarrow.types as pt

    col = table.column(name)
    if not (pt.is_floating(col.type) or pt.is_integer(col.type) or pt.is_boolean(col.type)):
        raise MatrixFileError(
            f"'{path}': column {name!r} holds {col.type} values, not numbers"
        )
    if col.null_count:
        raise MatrixFileError(f"'{path}': column {name!r} has {col.null_count} missing values")
    return col.to_numpy()


def _from_rows(path: Path, table, classes, metadata):
    n = len(classes) if classes is not None else -1
    try:
        flat = table.column("similarity").combine_chunks().flatten().to_numpy()
        if table.num_rows != n:
            raise ValueError(f"{table.num_rows} rows for {n} classes")
        values = flat.reshape(n, n)
    except (KeyError, ValueError, TypeError) as exc:
        raise MatrixFileError(f"'{path}': damaged rows layout: {exc}") from None
    return values, classes, metadata


def _from_wide(path: Path, table, header: dict[str, Any], classes, metadata):
    import pyarrow.types as pt

    label = header.get("label_column")
    if label is not None and (not isinstance(label, str) or label not in table.column_names):
        raise MatrixFileError(
            f"'{path}': the label column {label!r} named in its metadata is missing"
        )
    if label is None:  # a foreign wide table: the first string column holds the labels
        strings = [f.name for f in table.schema if pt.is_string(f.type) or
                   pt.is_large_string(f.type)]
        if not strings:
            raise MatrixFileError(f"'{path}' has no column of class names")
        label = strings[0]
    labels = table.column(label)
    if labels.null_count:
        raise MatrixFileError(f"'{path}': {labels.null_count} rows have no class name")
    rows = [str(x) for x in labels.to_pylist()]
    cols = [c for c in table.column_names if c != label]
    if sorted(rows) != sorted(cols):
        missing = sorted(set(rows) ^ set(cols))
        raise InvalidMatrixError(
            f"'{path}': row labels and column names differ: {missing[:10]}"
        )
    values = _wide_values(path, table, rows)
    if classes is not None and list(classes) != rows:
        raise MatrixFileError(f"'{path}': class list in the metadata differs from the rows")
    return values, tuple(rows), metadata


def _wide_values(path: Path, table, rows: list[str]) -> np.ndarray:
    """The C×C array of a wide table: column ``rows[j]`` is column j of S."""
    cols = [_numeric_column(path, table, c) for c in rows]
    dtype = np.result_type(*cols, np.float32) if cols else np.float64
    out = np.empty((len(rows), len(rows)), dtype=dtype)  # filled transposed: rows contiguous
    for j, col in enumerate(cols):
        out[j] = col
    return np.ascontiguousarray(out.T)


def _from_long(path: Path, table, classes, metadata):
    import scipy.sparse as sp

    for name in ("true_class", "predicted_class", "similarity"):
        if name not in table.column_names:
            raise MatrixFileError(f"'{path}': the long layout needs a {name!r} column")
    t = table.column("true_class").to_pylist()
    p = table.column("predicted_class").to_pylist()
    if classes is None:
        classes = tuple(map(str, dict.fromkeys(t + p)))
    index = {c: i for i, c in enumerate(classes)}
    try:
        rows = np.fromiter((index[str(c)] for c in t), dtype=np.int64, count=len(t))
        cols = np.fromiter((index[str(c)] for c in p), dtype=np.int64, count=len(p))
    except KeyError as exc:
        raise MatrixFileError(f"'{path}': class {exc} is not in the class list") from None
    data = _numeric_column(path, table, "similarity")
    n = len(classes)
    key = rows * max(n, 1) + cols
    if len(np.unique(key)) != len(key):
        order = np.argsort(key, kind="stable")
        dup = order[1:][key[order][1:] == key[order][:-1]][0]
        raise InvalidMatrixError(
            f"'{path}': entry ({classes[rows[dup]]!r}, {classes[cols[dup]]!r}) appears more "
            "than once; each pair of classes may have one similarity"
        )
    values = sp.csr_array((data, (rows, cols)), shape=(n, n))
    return values, tuple(classes), metadata
