"""Reading and writing matrices: ``.npy`` (+ sidecar), ``.parquet`` and ``.csv``.

Layouts
-------
``.npy``
    The bare C×C array, what a training script reads with ``np.load``. Class names and
    metadata go in a JSON sidecar next to it, ``NAME.npy.json``. A bare ``.npy`` from
    elsewhere loads with classes ``"0" .. "C-1"``. Loading never unpickles.
``.parquet``, dense matrices up to 1,000 classes: *wide*
    One row per true class: a string column ``class`` (the pandas index) and one float
    column per predicted class, named after it. ``pandas.read_parquet`` gives a labelled
    C×C DataFrame, polars a table whose first column holds the labels. Plain values, zstd,
    no dictionary (a dictionary of distinct floats made files larger than the ``.npy``).
    Class names and metadata live in the file's key-value metadata under ``simmatrix``.
``.parquet``, dense matrices above 1,000 classes: *rows*
    One row per true class: ``class`` and ``similarity``, a fixed-size list of its C
    values (pandas: an array per row; polars: an ``Array(Float, C)`` column;
    ``np.stack(df["similarity"])`` is the matrix). A wide table pays parquet's per-column
    cost C times and compresses each short column alone: at C = 2,000 it was 4× slower to
    write and read than this layout and 60× larger on a banded matrix
    (``benchmarks/io.py``), and tables of thousands of columns are unwieldy in pandas anyway.
``.parquet``, sparse (top-k) matrices: *long*
    Three columns ``true_class``, ``predicted_class``, ``similarity``, one row per stored
    entry (diagonal included), so a 100,000-class top-k matrix never needs C² cells.
``.csv``
    For people: a header row ``class,<names...>`` and one row per class.

Every write goes to a temporary file in the target folder, then is renamed into place, so an
error or an interrupt never leaves a partial or empty output; existing files are only
replaced with ``overwrite=True``.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from ._files import atomic_path
from ._files import check_writable as check_paths
from ._stamp import file_stamp, is_unchanged
from .catalogue import resolve
from .errors import InvalidMatrixError, MatrixFileError
from .matrix import SimilarityMatrix, default_classes
from .validate import check

FORMATS = (".npy", ".parquet", ".csv")
META_KEY = b"simmatrix"
FILE_VERSION = 1
WIDE_MAX_CLASSES = 1000  # dense .parquet: a wide labelled table up to here, then rows
MAX_DENSE_BYTES = 4 << 30  # refuse to densify a sparse matrix into more than 4 GiB


def _format(path: Path) -> str:
    ext = path.suffix.lower()
    if ext not in FORMATS:
        shown = f"extension {ext!r}" if ext else "no extension"
        raise MatrixFileError(
            f"{str(path)!r} has {shown}; use one of {', '.join(FORMATS)}"
        )
    return ext


def sidecar_path(path: str | os.PathLike) -> Path:
    """Where the class names of ``x.npy`` live: ``x.npy.json``."""
    return Path(str(path) + ".json")


def _outputs(path: Path) -> list[Path]:
    return [path, sidecar_path(path)] if _format(path) == ".npy" else [path]


def check_writable(path: str | os.PathLike, overwrite: bool = False) -> list[Path]:
    """Raise :class:`MatrixFileError` unless ``path`` can be written; return the files."""
    outs = _outputs(Path(path))
    check_paths(outs, overwrite)
    return outs


def _header(S: SimilarityMatrix, layout: str) -> dict[str, Any]:
    return {
        "format": "simmatrix",
        "format_version": FILE_VERSION,
        "layout": layout,
        "shape": list(S.shape),
        "dtype": str(S.dtype),
        "classes": list(S.classes),
        "metadata": S.metadata,
    }


# -- writing --------------------------------------------------------------------------------
def save(
    S: SimilarityMatrix, path: str | os.PathLike, *, overwrite: bool = False,
    validate: bool = True,
) -> list[Path]:
    """Write ``S`` to ``path`` (format by extension), atomically. Returns the files written.

    ``validate=True`` (the default) refuses to write a matrix that breaks the contract.
    """
    path = Path(path)
    fmt = _format(path)
    outs = check_writable(path, overwrite)
    if validate:
        check(S)
    if fmt == ".npy":
        values = _dense_for(S, path)
        with atomic_path(outs[1]) as tmp:
            tmp.write_text(json.dumps(_header(S, "npy"), indent=1, ensure_ascii=False),
                           encoding="utf-8")
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            np.save(fh, np.ascontiguousarray(values), allow_pickle=False)
        if validate:
            record_validation(path, _header(S, "npy"))
    elif fmt == ".parquet":
        with atomic_path(path) as tmp:
            _write_parquet(S, tmp)
    else:
        with atomic_path(path) as tmp:
            _write_csv(S, tmp, _dense_for(S, path))
    return outs


def _dense_for(S: SimilarityMatrix, path: Path) -> np.ndarray:
    n = len(S)
    if S.is_sparse and n * n * S.dtype.itemsize > MAX_DENSE_BYTES:
        raise MatrixFileError(
            f"{n} classes are too many for a dense {path.suffix}; save sparse as .parquet"
        )
    return S.to_dense()


def _write_parquet(S: SimilarityMatrix, tmp: Path) -> None:
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
        header = _header(S, "long")
        pandas_meta = None
    elif len(S) <= WIDE_MAX_CLASSES:
        label = "class" if "class" not in S.classes else "__class__"
        table = _wide_table(S, label)
        header = _header(S, "wide")
        header["label_column"] = label
        pandas_meta = _pandas_metadata(label)
    else:
        table = _rows_table(S)
        header = _header(S, "rows")
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


def _write_csv(S: SimilarityMatrix, tmp: Path, values: np.ndarray) -> None:
    fmt = "%.9g" if values.dtype == np.float32 else "%.17g"
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["class", *S.classes])
        for name, row in zip(S.classes, values):
            w.writerow([name, *(fmt % v for v in row)])


# -- reading --------------------------------------------------------------------------------
def read(path: str | os.PathLike) -> tuple[Any, tuple[str, ...] | None, dict[str, Any]]:
    """Read ``(values, classes, metadata)`` without checking the values.

    ``path`` may also name a catalogue entry (``"ages-1-90-r0.8"``).

    This is what ``simmatrix validate`` uses, so that a broken matrix can be reported
    rather than refused. File problems raise :class:`MatrixFileError`.
    """
    path = resolve(path)
    fmt = _format(path)
    if not path.exists():
        raise MatrixFileError(f"'{path}' does not exist")
    if path.is_dir():
        raise MatrixFileError(f"'{path}' is a folder, not a matrix file")
    if path.stat().st_size == 0:
        raise MatrixFileError(f"'{path}' is empty (0 bytes)")
    if fmt == ".npy":
        return _read_npy(path)
    if fmt == ".parquet":
        return _read_parquet(path)
    return _read_csv(path)


def load(path: str | os.PathLike, *, validate: bool = True) -> SimilarityMatrix:
    """Load a matrix file (format by extension) or catalogue entry as a SimilarityMatrix.

    With ``validate=True`` (the default) a matrix that breaks the contract raises
    :class:`~simmatrix.errors.InvalidMatrixError`.
    """
    values, classes, metadata = read(path)
    try:
        S = SimilarityMatrix(values, classes, metadata, copy=False)  # a fresh array
    except InvalidMatrixError as exc:
        raise InvalidMatrixError(f"'{path}': {exc}") from None
    if validate and not was_validated(resolve(path)):
        try:
            check(S)
        except InvalidMatrixError as exc:
            raise InvalidMatrixError(f"'{path}': {exc}") from None
    return S


def record_validation(path: Path, header: dict[str, Any]) -> None:
    """Rewrite ``path``'s sidecar with ``header`` plus proof that the ``.npy`` as it is now
    passed validation (its :func:`~simmatrix._stamp.file_stamp`), so loads may skip it."""
    header = {**header, "validated": file_stamp(path)}
    with atomic_path(sidecar_path(path)) as tmp:
        tmp.write_text(json.dumps(header, indent=1, ensure_ascii=False), encoding="utf-8")


def was_validated(path: Path) -> bool:
    """True if ``path`` is a ``.npy`` whose sidecar proves it passed validation unchanged."""
    if path.suffix.lower() != ".npy":
        return False
    try:
        stamp = json.loads(sidecar_path(path).read_text(encoding="utf-8")).get("validated")
    except (OSError, ValueError, AttributeError):
        return False
    return is_unchanged(path, stamp)


def _read_npy(path: Path):
    with open(path, "rb") as fh:
        try:
            np.lib.format.read_magic(fh)
        except ValueError:
            raise MatrixFileError(
                f"'{path}' is not a .npy file (no NumPy header); a pickle or other format "
                "cannot be loaded"
            ) from None
    try:
        values = np.load(path, allow_pickle=False, mmap_mode=None)
    except ValueError as exc:
        if "allow_pickle" in str(exc) or "Object arrays" in str(exc):
            raise MatrixFileError(
                f"'{path}' holds pickled Python objects; simmatrix never unpickles "
                "(allow_pickle=False): re-save it as a numeric array"
            ) from None
        raise MatrixFileError(f"'{path}' is not a readable .npy file: {exc}") from None
    except (EOFError, OSError) as exc:
        raise MatrixFileError(f"'{path}' is truncated or damaged: {exc}") from None
    if not isinstance(values, np.ndarray) or values.dtype.hasobject:
        raise MatrixFileError(f"'{path}' does not hold a numeric array")
    if values.dtype.names is not None:
        raise MatrixFileError(f"'{path}' holds a structured array, not a matrix")
    side = sidecar_path(path)
    if not side.exists():
        n = values.shape[0] if values.ndim else 0
        return values, (default_classes(n) if values.ndim == 2 else None), {}
    try:
        header = json.loads(side.read_text(encoding="utf-8"))
        classes = header["classes"]
        metadata = header.get("metadata", {})
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise MatrixFileError(f"sidecar '{side}' is not a simmatrix JSON file: {exc}") from None
    if not isinstance(classes, list):
        raise MatrixFileError(f"sidecar '{side}': 'classes' must be a list")
    if values.ndim >= 1 and len(classes) != values.shape[0]:
        raise InvalidMatrixError(
            f"sidecar '{side}' lists {len(classes)} classes but '{path}' has "
            f"{values.shape[0]} rows (shape {values.shape})"
        )
    return values, tuple(map(str, classes)), metadata


def _read_parquet(path: Path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise MatrixFileError(
            f"'{path}' is not a readable parquet file (truncated or damaged?): "
            f"{' '.join(str(exc).split())}"
        ) from None
    meta = table.schema.metadata or {}
    header: dict[str, Any] = {}
    if META_KEY in meta:
        try:
            header = json.loads(meta[META_KEY])
        except ValueError:
            raise MatrixFileError(f"'{path}': damaged simmatrix metadata") from None
    if header.get("layout") == "long" or (
        not header and {"true_class", "predicted_class", "similarity"} <= set(table.column_names)
    ):
        return _from_long(path, table, header)
    if header.get("layout") == "rows":
        return _from_rows(path, table, header)
    return _from_wide(path, table, header)


def _from_rows(path: Path, table, header: dict[str, Any]):
    classes = header.get("classes")
    n = len(classes) if isinstance(classes, list) else -1
    try:
        flat = table.column("similarity").combine_chunks().flatten().to_numpy()
        values = flat.reshape(n, n)
        if table.num_rows != n:
            raise ValueError(f"{table.num_rows} rows for {n} classes")
    except (KeyError, ValueError, TypeError) as exc:
        raise MatrixFileError(f"'{path}': damaged rows layout: {exc}") from None
    return values, tuple(map(str, classes)), header.get("metadata", {})


def _from_wide(path: Path, table, header: dict[str, Any]):
    label = header.get("label_column")
    if label is None:  # a foreign wide table: the first string column holds the labels
        import pyarrow.types as pt

        strings = [f.name for f in table.schema if pt.is_string(f.type) or
                   pt.is_large_string(f.type)]
        if not strings:
            raise MatrixFileError(f"'{path}' has no column of class names")
        label = strings[0]
    rows = [str(x) for x in table.column(label).to_pylist()]
    cols = [c for c in table.column_names if c != label]
    if sorted(rows) != sorted(cols):
        missing = sorted(set(rows) ^ set(cols))
        raise InvalidMatrixError(
            f"'{path}': row labels and column names differ: {missing[:10]}"
        )
    values = _wide_values(path, table, rows)
    classes = header.get("classes", rows)
    if list(classes) != rows:
        raise MatrixFileError(f"'{path}': class list in the metadata differs from the rows")
    return values, tuple(rows), header.get("metadata", {})


def _wide_values(path: Path, table, rows: list[str]) -> np.ndarray:
    """The C×C array of a wide table: column ``rows[j]`` is column j of S."""
    import pyarrow.types as pt

    kinds = [table.schema.field(c).type for c in rows]
    bad = [c for c, t in zip(rows, kinds) if not (pt.is_integer(t) or pt.is_floating(t))]
    if bad:
        raise MatrixFileError(f"'{path}': the matrix columns are not numeric: {bad[:5]}")
    dtype = np.float32 if kinds and all(pt.is_float32(t) for t in kinds) else np.float64
    out = np.empty((len(rows), len(rows)), dtype=dtype)  # filled transposed: rows contiguous
    for j, c in enumerate(rows):
        out[j] = table.column(c).to_numpy()  # a null reads as NaN, which validation names
    return np.ascontiguousarray(out.T)


def _from_long(path: Path, table, header: dict[str, Any]):
    import scipy.sparse as sp

    classes = header.get("classes")
    t = table.column("true_class").to_pylist()
    p = table.column("predicted_class").to_pylist()
    if classes is None:
        classes = list(dict.fromkeys(t + p))
    index = {c: i for i, c in enumerate(classes)}
    try:
        rows = np.fromiter((index[c] for c in t), dtype=np.int64, count=len(t))
        cols = np.fromiter((index[c] for c in p), dtype=np.int64, count=len(p))
    except KeyError as exc:
        raise MatrixFileError(f"'{path}': class {exc} is not in the class list") from None
    data = table.column("similarity").to_numpy()
    n = len(classes)
    values = sp.csr_array((data, (rows, cols)), shape=(n, n))
    return values, tuple(map(str, classes)), header.get("metadata", {})


def _read_csv(path: Path):
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = [r for r in csv.reader(fh) if r]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise MatrixFileError(f"'{path}' is not a readable CSV file: {exc}") from None
    if not rows:
        raise MatrixFileError(f"'{path}' has no rows")
    header, body = rows[0][1:], rows[1:]
    labels = [r[0] for r in body]
    for k, r in enumerate(body, start=2):
        if len(r) != len(header) + 1:
            raise MatrixFileError(
                f"'{path}' line {k}: {len(r) - 1} values for {len(header)} columns"
            )
    if labels != header:
        raise InvalidMatrixError(
            f"'{path}': the first column's labels must equal the header's class names in "
            "the same order"
        )
    values = np.empty((len(body), len(header)), dtype=np.float64)
    for i, r in enumerate(body):
        for j, cell in enumerate(r[1:]):
            try:
                values[i, j] = float(cell)
            except ValueError:
                raise MatrixFileError(
                    f"'{path}' row {labels[i]!r}, column {header[j]!r}: {cell!r} is not a number"
                ) from None
    return values.reshape(len(body), len(header)), tuple(labels), {}
