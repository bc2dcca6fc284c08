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

#: Values per row group: a 32nd of the matrix, between 1 and 64 MiB. pyarrow holds about two
#: blocks while it encodes and compresses one (and ~5 of a read block while decoding), so a
#: write peaks near 1.1× the matrix and a read, in quarter blocks, near 1.05×.
BLOCK_MIN, BLOCK_MAX, BLOCKS = 1 << 20, 64 << 20, 32
READ_BUFFER = 8 << 20  # bytes of compressed pages read at once (not whole column chunks)
READ_SPLIT = 4


def block_rows(n_rows: int, row_bytes: int) -> int:
    """Rows per row group for a matrix of ``n_rows`` rows of ``row_bytes`` bytes."""
    target = min(BLOCK_MAX, max(BLOCK_MIN, n_rows * row_bytes // BLOCKS))
    return max(1, min(n_rows, target // max(row_bytes, 1)))


def write_parquet(S: SimilarityMatrix, tmp: Path, wide_max: int) -> None:
    """Write ``S`` in row groups of :func:`block_rows` rows: pyarrow encodes and compresses
    one block at a time, so the peak is the matrix plus about two blocks."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if S.is_sparse:
        layout, schema, blocks = "long", None, None
    elif len(S) <= wide_max:
        layout = "wide"
        label = _label_column(S.classes)
        schema, blocks = _wide_schema(S, label), _wide_blocks(S)
    else:
        layout = "rows"
        schema, blocks = _rows_schema(S), _rows_blocks(S)
    header = matrix_header(S, layout)
    meta = {}
    if layout == "wide":
        header["label_column"] = label
        meta[b"pandas"] = json.dumps(_pandas_metadata(label), separators=(",", ":")).encode()
    meta[META_KEY] = json.dumps(header, ensure_ascii=False).encode()
    # No dictionary encoding: a dictionary of distinct floats makes the file larger than
    # the raw array; plain values + zstd is smaller than the .npy. Wide: each float column
    # split into byte streams, so its exponent bytes compress.
    options = dict(compression="zstd", compression_level=1, write_statistics=False,
                   use_dictionary=[] if S.is_sparse else False,
                   use_byte_stream_split=list(S.classes) if layout == "wide" else False)
    if layout == "long":
        table = _long_table(S).replace_schema_metadata(meta)
        pq.write_table(table, tmp, **options)
        return
    schema = schema.with_metadata(meta)
    done = 0
    with pq.ParquetWriter(tmp, schema, **options) as writer:
        for arrays in blocks:
            batch = pa.Table.from_arrays(arrays, schema=schema)
            writer.write_table(batch, row_group_size=max(batch.num_rows, 1))
            done += batch.num_rows
            del batch, arrays
            _release(done - 1, done, len(S))


def _long_table(S: SimilarityMatrix):
    import pyarrow as pa

    coo = S.values.tocoo()
    names = pa.array(S.classes, pa.string())
    return pa.table({
        "true_class": pa.DictionaryArray.from_arrays(pa.array(coo.row, pa.int32()), names),
        "predicted_class": pa.DictionaryArray.from_arrays(pa.array(coo.col, pa.int32()),
                                                          names),
        "similarity": pa.array(coo.data),
    })


def _row_ranges(S: SimilarityMatrix):
    n = len(S)
    step = block_rows(n, n * S.dtype.itemsize)
    return [(r, min(r + step, n)) for r in range(0, n, step)] or [(0, 0)]


def _label_column(classes) -> str:
    """A name for the column of row labels that no class uses: ``class``, ``__class__``..."""
    taken = set(classes)
    label, k = "class", 0
    while label in taken:
        label = "__class__" if k == 0 else f"__class_{k}__"
        k += 1
    return label


def _wide_schema(S: SimilarityMatrix, label: str):
    import pyarrow as pa

    kind = pa.from_numpy_dtype(S.dtype)
    return pa.schema([pa.field(label, pa.string(), nullable=False)]
                     + [pa.field(c, kind, nullable=False) for c in S.classes])


def _wide_blocks(S: SimilarityMatrix):
    """Per row block: the labels, then one float array per predicted class, cut from one
    transposed copy of the block (never of the whole matrix)."""
    import pyarrow as pa

    for r0, r1 in _row_ranges(S):
        columns = np.ascontiguousarray(S.values[r0:r1].T)  # row j = column j of the block
        yield [pa.array(S.classes[r0:r1], pa.string())] + [pa.array(c) for c in columns]


def _rows_kind(S: SimilarityMatrix):
    import pyarrow as pa

    return pa.list_(pa.field("item", pa.from_numpy_dtype(S.dtype), nullable=False), len(S))


def _rows_schema(S: SimilarityMatrix):
    import pyarrow as pa

    return pa.schema([pa.field("class", pa.string(), nullable=False),
                      pa.field("similarity", _rows_kind(S), nullable=False)])


def _rows_blocks(S: SimilarityMatrix):
    """``class`` and ``similarity`` per row block, its C values a fixed-size list taken
    from S's buffer without a copy (a block is copied only if S is not C-contiguous)."""
    import pyarrow as pa

    kind = _rows_kind(S)
    for r0, r1 in _row_ranges(S):
        flat = pa.array(np.ascontiguousarray(S.values[r0:r1]).reshape(-1))
        yield [pa.array(S.classes[r0:r1], pa.string()),
               pa.FixedSizeListArray.from_arrays(flat, type=kind)]


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


def _damaged(path: Path, exc: BaseException) -> MatrixFileError:
    return MatrixFileError(f"'{path}' is not a readable parquet file (truncated or damaged?): "
                           f"{' '.join(str(exc).split())}")


def read_parquet(path: Path):
    """Dense layouts are read a block of rows at a time into one preallocated array, after
    the schema, the row count and the memory needed have been checked."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path, buffer_size=READ_BUFFER, pre_buffer=False)
        schema = pf.schema_arrow
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise _damaged(path, exc) from None
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
    layout = header.get("layout", "wide")
    if layout not in ("wide", "rows", "long"):
        raise MatrixFileError(f"{where}: layout {layout!r} is none of the layouts simmatrix "
                              "writes (wide, rows, long); is the file damaged?")
    long = layout == "long" or (
        not header and {"true_class", "predicted_class", "similarity"} <= set(names))
    try:
        if long:
            return _from_long(path, pf.read(), classes, metadata)
        if header.get("layout") == "rows":
            return _from_rows(path, pf, classes, metadata)
        return _from_wide(path, pf, header, classes, metadata)
    except (pa.ArrowException, OSError) as exc:
        raise _damaged(path, exc) from None


def _float_dtype(path: Path, column: str, kind) -> np.dtype:
    """float32 for float32 (and narrower) values, else float64; refuse non-numbers."""
    import pyarrow.types as pt

    if not (pt.is_floating(kind) or pt.is_integer(kind) or pt.is_boolean(kind)):
        raise MatrixFileError(f"'{path}': column {column!r} holds {kind} values, not numbers")
    small = pt.is_boolean(kind) or (pt.is_floating(kind) and kind.bit_width <= 32) or (
        pt.is_integer(kind) and kind.bit_width <= 16)
    return np.dtype(np.float32 if small else np.float64)


def _allocate(path: Path, n: int, dtype: np.dtype, rows: int) -> np.ndarray:
    """The n×n result, once the matrix and one block of ``rows`` rows fit in memory."""
    need = dense_bytes(n, n, dtype.itemsize) + dense_bytes(rows, n, 8, copies=2)
    ensure_fits(need, f"loading '{path}' ({n}×{n} {dtype})",
                "load it on a larger machine, or build a smaller or sparse (top_k=K) matrix")
    return np.empty((n, n), dtype=dtype)


def _block_values(path: Path, column, name: str) -> np.ndarray:
    """A column of a batch as numbers, refusing missing values."""
    if column.null_count:
        raise MatrixFileError(f"'{path}': column {name!r} has {column.null_count} missing "
                              "values")
    return column.to_numpy(zero_copy_only=False)


RELEASES = 8  # times per matrix that freed blocks go back to the OS


def _release(before: int, after: int, n: int) -> None:
    """Hand freed block buffers back to the OS each time ``1/RELEASES`` of the ``n`` rows
    has passed: pyarrow's default allocator (mimalloc) keeps them resident, which grew a
    load's peak to 1.9× the matrix; releasing after every block made reads 3× slower."""
    import pyarrow as pa

    if n and (before * RELEASES) // n == (after * RELEASES) // n:
        return
    release = getattr(pa.default_memory_pool(), "release_unused", None)
    if release is not None:
        release()


def _from_rows(path: Path, pf, classes, metadata):
    import pyarrow.types as pt

    schema = pf.schema_arrow
    if classes is None:
        raise MatrixFileError(f"'{path}': its metadata says 'rows' layout but has no class list")
    n = len(classes)
    field = schema.field("similarity") if "similarity" in schema.names else None
    if field is None or "class" not in schema.names or not pt.is_fixed_size_list(field.type):
        raise MatrixFileError(f"'{path}': damaged rows layout (it needs a 'class' column and "
                              "a fixed-size list column 'similarity')")
    if field.type.list_size != n or pf.metadata.num_rows != n:
        raise MatrixFileError(
            f"'{path}': damaged rows layout: {pf.metadata.num_rows} rows of "
            f"{field.type.list_size} values for the {n} classes of its metadata")
    dtype = _float_dtype(path, "similarity", field.type.value_type)
    step = max(1, block_rows(n, n * 8) // READ_SPLIT)
    out = _allocate(path, n, dtype, step)
    r = 0
    for batch in pf.iter_batches(batch_size=step, columns=["class", "similarity"],
                                 use_threads=False):
        k = batch.num_rows
        lists = batch.column("similarity")
        if lists.null_count or r + k > n:
            raise MatrixFileError(f"'{path}': damaged rows layout (missing or extra rows)")
        if batch.column("class").to_pylist() != list(classes[r:r + k]):
            raise MatrixFileError(f"'{path}': its 'class' column differs from the class "
                                  "list in its metadata")
        out[r:r + k] = _block_values(path, lists.flatten(), "similarity").reshape(k, n)
        r += k
        del batch, lists
        _release(r - k, r, n)
    if r != n:
        raise MatrixFileError(f"'{path}': damaged rows layout: {r} rows for {n} classes")
    return out, classes, metadata


def _is_text(kind) -> bool:
    """A column of names: strings, or a dictionary of strings (a pandas categorical)."""
    import pyarrow.types as pt

    if pt.is_dictionary(kind):
        kind = kind.value_type
    return pt.is_string(kind) or pt.is_large_string(kind)


def _from_wide(path: Path, pf, header: dict[str, Any], classes, metadata):

    schema = pf.schema_arrow
    label = header.get("label_column")
    if label is not None and (not isinstance(label, str) or label not in schema.names):
        raise MatrixFileError(
            f"'{path}': the label column {label!r} named in its metadata is missing"
        )
    if label is None:  # a foreign wide table: the first string column holds the labels
        strings = [f.name for f in schema if _is_text(f.type)]
        if not strings:
            raise MatrixFileError(f"'{path}' has no column of class names")
        label = strings[0]
    labels = pf.read(columns=[label], use_threads=False).column(0)
    if labels.null_count:
        raise MatrixFileError(f"'{path}': {labels.null_count} rows have no class name")
    rows = [str(x) for x in labels.to_pylist()]
    cols = [c for c in schema.names if c != label]
    if sorted(rows) != sorted(cols):
        missing = sorted(set(rows) ^ set(cols))
        raise InvalidMatrixError(
            f"'{path}': row labels and column names differ: {missing[:10]}"
        )
    if classes is not None and list(classes) != rows:
        raise MatrixFileError(f"'{path}': class list in the metadata differs from the rows")
    dtypes = [_float_dtype(path, c, schema.field(c).type) for c in rows]
    dtype = np.result_type(*dtypes) if dtypes else np.dtype(np.float64)
    n = len(rows)
    step = max(1, block_rows(n, n * 8) // READ_SPLIT)
    out = _allocate(path, n, dtype, step)
    r = 0
    for batch in pf.iter_batches(batch_size=step, columns=rows, use_threads=False):
        k = batch.num_rows
        block = np.empty((n, k), dtype=dtype)  # row j = column j of S, for these k rows
        for j, name in enumerate(rows):
            block[j] = _block_values(path, batch.column(name), name)
        out[r:r + k] = block.T
        r += k
        del batch, block
        _release(r - k, r, n)
    return out, tuple(rows), metadata


def _from_long(path: Path, table, classes, metadata):
    import scipy.sparse as sp

    for name in ("true_class", "predicted_class", "similarity"):
        if name not in table.column_names:
            raise MatrixFileError(f"'{path}': the long layout needs a {name!r} column")
        if table.column(name).null_count:
            raise MatrixFileError(f"'{path}': column {name!r} has "
                                  f"{table.column(name).null_count} missing values")
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
    column = table.column("similarity")
    _float_dtype(path, "similarity", column.type)
    data = _block_values(path, column, "similarity")
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
