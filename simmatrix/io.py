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
import io
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from ._files import (
    atomic_path,
    atomic_paths,
    large_csv_fields,
    open_regular,
    parse_json,
    read_text,
    regular_file,
)
from ._files import check_writable as check_paths
from ._header import header_parts, matrix_header
from ._memory import dense_bytes, ensure_fits
from ._stamp import file_stamp, is_unchanged
from .catalogue import resolve
from .errors import InvalidMatrixError, MatrixFileError
from .matrix import SimilarityMatrix, default_classes
from .validate import check

FORMATS = (".npy", ".parquet", ".csv")
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
    if fmt == ".npy":
        _save_npy(S, path, outs[1], overwrite, validate)
        return outs
    if validate:
        check(S)
    if fmt == ".parquet":
        with atomic_path(path, overwrite=overwrite) as tmp:
            _write_parquet(S, tmp)
    else:
        with atomic_path(path, overwrite=overwrite) as tmp:
            _write_csv(S, tmp, _dense_for(S, path))
    return outs


def _save_npy(S: SimilarityMatrix, path: Path, side: Path, overwrite: bool,
              validate: bool) -> None:
    """The array and its sidecar, moved into place together (sidecar, then array).

    The sidecar records the SHA-256 of the array's bytes, so a load catches a pair from two
    saves. Hashing costs about as much as writing the array, so it runs in a second thread
    (hashlib releases the GIL) while this one validates, writes and fsyncs the array.
    """
    import threading

    values = _dense_for(S, path)
    header = matrix_header(S, "npy")
    digest: list[str] = []
    hasher = threading.Thread(target=lambda: digest.append(_array_digest(values)),
                              name="simmatrix-sha256", daemon=True)
    hasher.start()
    if validate:
        check(S)
    with atomic_paths([side, path], overwrite=overwrite) as (tside, tarr):
        with open(tarr, "wb") as fh:
            np.save(fh, values, allow_pickle=False)
            fh.flush()
            os.fsync(fh.fileno())  # now, so the disk works while the hash finishes
        if validate:  # proof that this very file passed check(): loads may skip it
            header["validated"] = file_stamp(tarr)  # a rename keeps inode and mtime
        hasher.join()
        header["array_sha256"] = digest[0]
        tside.write_text(_sidecar_text(header), encoding="utf-8")


def _sidecar_text(header: dict) -> str:
    """The sidecar's JSON, one top-level key a line: readable, and written by json's C
    encoder (``indent`` falls back to the pure-Python one, 10× slower on 10,000 names)."""
    return "{\n" + ",\n".join(f" {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}"
                             for k, v in header.items()) + "\n}\n"


def _dense_for(S: SimilarityMatrix, path: Path) -> np.ndarray:
    n = len(S)
    if S.is_sparse:
        if dense_bytes(n, n, S.dtype.itemsize) > MAX_DENSE_BYTES:
            raise MatrixFileError(
                f"{n} classes are too many for a dense {path.suffix}; save sparse as .parquet"
            )
        ensure_fits(dense_bytes(n, n, S.dtype.itemsize), f"writing {path.name!r} densely "
                    f"({n}×{n} {S.dtype})", "save it as .parquet, which stays sparse")
    return S.to_dense()


def _array_digest(values: np.ndarray) -> str:
    """SHA-256 of an array's bytes in the order ``np.save`` writes them (C order, or
    Fortran order for a Fortran array), without a copy for either."""
    import hashlib

    h = hashlib.sha256()
    if not values.flags.c_contiguous:
        values = values.T if values.flags.f_contiguous else np.ascontiguousarray(values)
    flat = values.reshape(-1).view(np.uint8) if values.size else b""
    step = 1 << 26
    for start in range(0, len(flat), step):
        h.update(flat[start:start + step])
    return h.hexdigest()


def _write_parquet(S: SimilarityMatrix, tmp: Path) -> None:
    from ._parquet import write_parquet

    write_parquet(S, tmp, WIDE_MAX_CLASSES)


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
    rather than refused. File problems raise :class:`MatrixFileError`; complex values, which
    no similarity matrix holds, raise :class:`InvalidMatrixError`. Only regular files are
    read, and sizes claimed by a header are checked against the file and the memory
    available before anything is allocated.
    """
    path = resolve(path)
    return _read(path)[:3]


def _read(path: Path):
    """``read``'s work, plus whether the file proved it passed validation unchanged."""
    fmt = _format(path)
    regular_file(path, "matrix file")
    if path.stat().st_size == 0:
        raise MatrixFileError(f"'{path}' is empty (0 bytes)")
    if fmt == ".npy":
        return _read_npy(path)
    if fmt == ".parquet":
        return (*_read_parquet(path), False)
    return (*_read_csv(path), False)


def load(path: str | os.PathLike, *, validate: bool = True) -> SimilarityMatrix:
    """Load a matrix file (format by extension) or catalogue entry as a SimilarityMatrix.

    With ``validate=True`` (the default) a matrix that breaks the contract raises
    :class:`~simmatrix.errors.InvalidMatrixError`.
    """
    values, classes, metadata, proven = _read(resolve(path))
    try:
        S = SimilarityMatrix(values, classes, metadata, copy=False)
    except InvalidMatrixError as exc:
        raise InvalidMatrixError(f"'{path}': {exc}") from None
    if validate and not proven:
        try:
            check(S)
        except InvalidMatrixError as exc:
            raise InvalidMatrixError(f"'{path}': {exc}") from None
    return S


def was_validated(path: Path) -> bool:
    """True if ``path`` is a ``.npy`` whose sidecar proves it passed validation unchanged."""
    if path.suffix.lower() != ".npy":
        return False
    try:
        header = json.loads(sidecar_path(path).read_text(encoding="utf-8"))
        stamp = header.get("validated")
    except (OSError, ValueError, AttributeError):
        return False
    # Only a sidecar as save() writes it counts: with the array's digest beside the stamp.
    return isinstance(header.get("array_sha256"), str) and is_unchanged(path, stamp)


def check_values_dtype(dtype: np.dtype, where: str) -> None:
    """Refuse what no similarity matrix holds: objects, records, complex, text values."""
    if dtype.hasobject:
        raise MatrixFileError(
            f"{where} holds pickled Python objects; simmatrix never unpickles "
            "(allow_pickle=False): re-save it as a numeric array"
        )
    if dtype.names is not None:
        raise MatrixFileError(f"{where} holds a structured array, not a matrix")
    if np.issubdtype(dtype, np.complexfloating):
        raise InvalidMatrixError(
            f"{where} holds complex values ({dtype}); a similarity matrix is real: save the "
            "real part (or the modulus) explicitly"
        )
    if not (np.issubdtype(dtype, np.number) or dtype == np.bool_):
        raise MatrixFileError(f"{where} holds {dtype} values, not numbers")


def _npy_header(fh, path: Path, what: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    fmt = np.lib.format
    try:
        version = fmt.read_magic(fh)
        reader = getattr(fmt, "_read_array_header", None)
        if reader is not None:
            return reader(fh, version)
        if version == (1, 0):  # pragma: no cover - numpy without the private reader
            return fmt.read_array_header_1_0(fh)
        return fmt.read_array_header_2_0(fh)  # pragma: no cover
    except (ValueError, TypeError, SyntaxError, EOFError, OSError, UnicodeError) as exc:
        raise MatrixFileError(
            f"{what} '{path}' is not a .npy file (no valid NumPy header: "
            f"{' '.join(str(exc).split())}); re-save it with numpy.save"
        ) from None


def load_array(path: str | os.PathLike, what: str = "matrix file", *,
               text: bool = False) -> np.ndarray:
    """A numeric ``.npy`` array, checked from its header before anything is allocated.

    Never unpickles. Refuses a file that is not a regular file, has no valid NumPy header,
    holds objects, records, complex values or (unless ``text``) strings, is shorter than
    its header claims, or would not fit in the memory available; each as one error naming
    ``path``.
    """
    path = Path(path)
    with open_regular(path, what) as fh:
        shape, fortran, dtype = _npy_header(fh, path, what)
        if not (text and dtype.kind in "US"):
            check_values_dtype(dtype, f"{what} '{path}'")
        need = dense_bytes(int(np.prod(shape, dtype=object)), 1, dtype.itemsize)
        have = os.fstat(fh.fileno()).st_size - fh.tell()
        shown = "×".join(map(str, shape)) or "scalar"
        if have < need:
            raise MatrixFileError(
                f"{what} '{path}' is truncated: its header says {shown} {dtype} ({need} "
                f"bytes) but the file holds {have}; rebuild or re-copy it"
            )
        extra = 0 if dtype in (np.float32, np.float64) else dense_bytes(need // dtype.itemsize)
        ensure_fits(need + extra, f"loading '{path}' ({shown} {dtype})",
                    "load it on a larger machine, or build a smaller or sparse (top_k=K, "
                    ".parquet) matrix")
        fh.seek(0)
        try:
            return np.lib.format.read_array(fh, allow_pickle=False)
        except ValueError as exc:
            raise MatrixFileError(f"{what} '{path}' is not a readable .npy file: {exc}") \
                from None
        except (EOFError, OSError) as exc:
            raise MatrixFileError(f"{what} '{path}' is truncated or damaged: {exc}") from None


def _read_npy(path: Path):
    values = load_array(path)
    side = sidecar_path(path)
    if not os.path.lexists(side):
        n = values.shape[0] if values.ndim else 0
        return values, (default_classes(n) if values.ndim == 2 else None), {}, False
    where = f"sidecar '{side}'"
    header = parse_json(read_text(side, "sidecar"), where)
    classes, metadata = header_parts(header, where)
    if classes is None:
        raise MatrixFileError(f"{where} has no 'classes' list; is it a simmatrix sidecar?")
    if values.ndim >= 1 and len(classes) != values.shape[0]:
        raise InvalidMatrixError(
            f"{where} lists {len(classes)} classes but '{path}' has {values.shape[0]} rows "
            f"(shape {values.shape}): the two files do not belong together"
        )
    _check_claims(header, values, where, path)
    digest = header.get("array_sha256")
    # A sidecar whose stamp still matches the array was written with this very file: the
    # pair belongs together without hashing every byte again.
    unchanged = is_unchanged(path, header.get("validated"))
    if digest is not None and not unchanged and digest != _array_digest(values):
        raise InvalidMatrixError(
            f"{where} does not belong to '{path}': the array's SHA-256 differs from the one "
            "its sidecar records (files from two different saves?); rebuild the matrix, or "
            "delete the sidecar to load the bare array with classes 0..C-1"
        )
    # Proof of validation is the stamp beside the array's digest, as save() writes them.
    return values, classes, metadata, isinstance(digest, str) and unchanged


def _check_claims(header: dict, values: np.ndarray, where: str, path: Path) -> None:
    """A sidecar's ``shape`` and ``dtype``, where it states them, must be the array's."""
    shape, dtype = header.get("shape"), header.get("dtype")
    if shape is not None and shape != list(values.shape):
        raise InvalidMatrixError(
            f"{where} says shape {shape!r} but '{path}' is {'×'.join(map(str, values.shape))}:"
            " the two files do not belong together"
        )
    try:
        same = dtype is None or np.dtype(dtype).newbyteorder("=") == \
            values.dtype.newbyteorder("=")
    except (TypeError, ValueError):
        same = False
    if not same:
        raise InvalidMatrixError(f"{where} says dtype {dtype!r} but '{path}' holds "
                                 f"{values.dtype}: the two files do not belong together")


def _read_parquet(path: Path):
    from ._parquet import read_parquet

    return read_parquet(path)


def _read_csv(path: Path):
    """Rows parsed one at a time straight into a preallocated C×C array (a C-class CSV
    never becomes C² Python strings); the size is checked before that array exists."""
    size = path.stat().st_size
    try:
        with open_regular(path, "matrix file") as raw, large_csv_fields(size + 1), \
                io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as fh:
            return _parse_csv(path, csv.reader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise MatrixFileError(f"'{path}' is not a readable CSV file: {exc}") from None


def _parse_csv(path: Path, reader) -> tuple[np.ndarray, tuple[str, ...], dict]:
    header = next((r for r in reader if r), None)
    if header is None:
        raise MatrixFileError(f"'{path}' has no rows")
    names = header[1:]
    n = len(names)
    ensure_fits(dense_bytes(n, n, 8), f"loading '{path}' ({n}×{n} float64)",
                "load it on a larger machine, or save it as .npy or a sparse .parquet")
    values = np.empty((n, n), dtype=np.float64)
    labels: list[str] = []
    for r in reader:
        if not r:
            continue  # blank lines
        i = len(labels)
        if len(r) != n + 1:
            raise MatrixFileError(
                f"'{path}' line {reader.line_num}: {len(r) - 1} values for {n} columns"
            )
        if i >= n or r[0] != names[i]:
            raise InvalidMatrixError(
                f"'{path}' line {reader.line_num}: the first column's labels must equal the "
                "header's class names in the same order (one row per class)"
            )
        try:
            values[i] = r[1:]
        except ValueError:  # name the first cell that is not a number
            for j, cell in enumerate(r[1:]):
                try:
                    values[i, j] = float(cell)
                except ValueError:
                    raise MatrixFileError(f"'{path}' row {r[0]!r}, column {names[j]!r}: "
                                          f"{cell!r} is not a number") from None
        labels.append(r[0])
    if len(labels) != n:
        raise InvalidMatrixError(
            f"'{path}' has {len(labels)} rows for the {n} classes of its header; each class "
            "needs one row"
        )
    return values, tuple(labels), {}

