"""The :class:`SimilarityMatrix` type: values, class names and provenance, immutable.

Orientation: row ``i`` is the *true* class, column ``j`` the *predicted* class, so
``S[y, c]`` is the credit SimLoss gives for predicting ``c`` when the label is ``y``.
Most builders give symmetric matrices; a matrix built from a confusion matrix need not be.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from ._version import __version__
from .errors import InvalidMatrixError, quote_list

ORIENTATION = "rows are true classes, columns are predicted classes"

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _is_sparse(values: Any) -> bool:
    # Only a scipy object can be a scipy sparse array: skip importing scipy.sparse otherwise.
    if not type(values).__module__.startswith("scipy.sparse"):
        return False
    import scipy.sparse as sp

    return sp.issparse(values)


def _freeze(obj: Any) -> Any:
    """A JSON-able deep copy of metadata (tuples become lists, numpy scalars plain)."""
    return json.loads(json.dumps(obj, default=_json_default))


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    raise TypeError(f"metadata value {obj!r} is not JSON-serialisable")


def _refuse_complex(dtype: np.dtype) -> None:
    if np.issubdtype(dtype, np.complexfloating):
        raise InvalidMatrixError(
            f"values are complex ({dtype}); a similarity matrix is real: pass the real part "
            "or the modulus explicitly"
        )


def default_classes(n: int) -> tuple[str, ...]:
    """Class names ``"0" .. "n-1"`` for a matrix that came without names."""
    return tuple(str(i) for i in range(n))


def check_classes(classes: Iterable[Any], n: int | None = None) -> tuple[str, ...]:
    """Return ``classes`` as a tuple of str, or raise if empty, duplicated or miscounted."""
    names = tuple(c if type(c) is str else str(c) for c in classes)
    if (n is None or len(names) == n) and len(set(names)) == len(names) and all(
        c and not c.isspace() for c in names
    ):
        return names  # the common case in one C-level pass; the loops below name problems
    empty = [i for i, c in enumerate(names) if not c.strip()]
    if empty:
        raise InvalidMatrixError(
            f"class names must be non-empty; {len(empty)} empty at position(s) "
            f"{', '.join(map(str, empty[:10]))}"
        )
    seen: dict[str, int] = {}
    dups = []
    for c in names:
        seen[c] = seen.get(c, 0) + 1
        if seen[c] == 2:
            dups.append(c)
    if dups:
        raise InvalidMatrixError(f"class names must be unique; duplicated: {quote_list(dups)}")
    if n is not None and len(names) != n:
        raise InvalidMatrixError(f"{len(names)} class names for a matrix with {n} rows")
    return names


class SimilarityMatrix:
    """An immutable C×C class-similarity matrix with class names and provenance.

    Parameters
    ----------
    values : array of shape (n_classes, n_classes)
        Similarities in [0, 1] with a diagonal of 1. Row = true class, column = predicted
        class. A ``scipy.sparse`` array is kept sparse (absent entries are 0).
    classes : sequence of str, optional
        Unique, non-empty class names; ``"0" .. "C-1"`` when omitted.
    metadata : mapping, optional
        Provenance: ``builder``, ``params``, ``sources`` (fingerprints), ``transforms``.
    copy : bool
        Copy ``values`` (the default). Builders that own a fresh array pass ``False`` to
        avoid a second C×C buffer; the array is made read-only either way.

    The structure (2-D, square, names) is checked here; the values are checked by
    :func:`simmatrix.validate`, so a broken matrix can still be loaded and reported.

    Examples
    --------
    >>> import numpy as np
    >>> S = SimilarityMatrix(np.array([[1.0, 0.5], [0.5, 1.0]]), ["rose", "tulip"])
    >>> S["rose", "tulip"]
    0.5
    >>> S.shape, len(S)
    ((2, 2), 2)
    """

    __slots__ = ("_values", "_classes", "_metadata", "_index", "_derived")

    def __init__(
        self,
        values: Any,
        classes: Sequence[Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
        *,
        copy: bool = True,
    ) -> None:
        if _is_sparse(values):
            import scipy.sparse as sp

            arr = sp.csr_array(values, copy=copy)
            _refuse_complex(arr.dtype)
            if arr.dtype not in _FLOAT_DTYPES:
                arr = arr.astype(np.float64)
            arr.sort_indices()
            for part in (arr.data, arr.indices, arr.indptr):
                part.flags.writeable = False
        else:
            arr = np.array(values, copy=True) if copy else np.asarray(values)
            _refuse_complex(arr.dtype)
            if arr.dtype not in _FLOAT_DTYPES:
                if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
                    raise InvalidMatrixError(f"values must be numeric, got dtype {arr.dtype}")
                arr = arr.astype(np.float64)
            arr.flags.writeable = False
        if arr.ndim != 2:
            raise InvalidMatrixError(f"a similarity matrix must be 2-D, got shape {arr.shape}")
        if arr.shape[0] != arr.shape[1]:
            raise InvalidMatrixError(
                f"a similarity matrix must be square, got shape {arr.shape[0]}×{arr.shape[1]}"
            )
        n = arr.shape[0]
        names = default_classes(n) if classes is None else check_classes(classes, n)
        meta = _freeze(dict(metadata or {}))
        meta.setdefault("orientation", ORIENTATION)
        meta.setdefault("simmatrix_version", __version__)
        self._values = arr
        self._classes = names
        self._metadata = meta
        self._index = {c: i for i, c in enumerate(names)}
        self._derived: dict[str, Any] = {}  # views computed once (e.g. log S for the loss)

    # -- the three parts -------------------------------------------------------------------
    @property
    def values(self):
        """The C×C array (read-only numpy array, or a scipy sparse CSR array)."""
        return self._values

    @property
    def classes(self) -> tuple[str, ...]:
        return self._classes

    @property
    def metadata(self) -> dict[str, Any]:
        """A copy of the provenance record (changing it does not change the matrix)."""
        return _freeze(self._metadata)

    # -- array behaviour -------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        return self._values.shape

    @property
    def dtype(self) -> np.dtype:
        return self._values.dtype

    @property
    def is_sparse(self) -> bool:
        return not isinstance(self._values, np.ndarray)

    def __len__(self) -> int:
        return self._values.shape[0]

    def __array__(self, dtype=None, copy=None):
        arr = self.to_dense()
        if dtype is not None and arr.dtype != dtype:
            return arr.astype(dtype)
        if copy:
            return arr.copy()
        return arr

    def to_dense(self) -> np.ndarray:
        """The values as a dense numpy array (read-only view when already dense)."""
        if self.is_sparse:
            return self._values.toarray()
        return self._values

    def __repr__(self) -> str:
        builder = self._metadata.get("builder", "?")
        shown = ", ".join(self._classes[:4]) + (", ..." if len(self) > 4 else "")
        kind = "sparse " if self.is_sparse else ""
        return (
            f"SimilarityMatrix({len(self)} classes [{shown}], {kind}{self.dtype}, "
            f"builder={builder!r})"
        )

    # -- lookup by name ----------------------------------------------------------------------
    def index(self, name: Any) -> int:
        """Position of class ``name``; raises :class:`KeyError` naming it if absent."""
        try:
            return self._index[str(name)]
        except KeyError:
            raise KeyError(f"unknown class {str(name)!r}") from None

    def __contains__(self, name: Any) -> bool:
        return str(name) in self._index

    def __getitem__(self, key: tuple[Any, Any]) -> float:
        """``S["rose", "tulip"]``: similarity of true class ``rose`` to prediction ``tulip``."""
        if not (isinstance(key, tuple) and len(key) == 2):
            raise KeyError("index a SimilarityMatrix by two class names: S['rose', 'tulip']")
        i, j = (self.index(k) for k in key)
        return float(self._values[i, j])

    def row(self, name: Any) -> np.ndarray:
        """The similarities of true class ``name`` to every class, in class order."""
        i = self.index(name)
        if self.is_sparse:
            return self._values[[i], :].toarray()[0]
        return self._values[i].copy()

    # -- deriving new matrices -------------------------------------------------------------
    def select(self, classes: Iterable[Any]) -> SimilarityMatrix:
        """Re-order and/or restrict to ``classes`` (by name). Unknown names are all listed."""
        names = check_classes(classes)
        missing = [c for c in names if c not in self._index]
        if missing:
            raise KeyError(f"{len(missing)} unknown classes: {quote_list(missing)}")
        idx = np.array([self._index[c] for c in names], dtype=np.intp)
        vals = self._values[idx][:, idx]
        return self.replace(values=vals, classes=names)

    def replace(self, values=None, classes=None, metadata=None) -> SimilarityMatrix:
        """A new matrix with some parts replaced; the others are shared (they are read-only)."""
        return SimilarityMatrix(
            self._values if values is None else values,
            self._classes if classes is None else classes,
            self._metadata if metadata is None else metadata,
            copy=False,
        )

    def with_step(self, name: str, **params: Any) -> dict[str, Any]:
        """Metadata with one more entry in ``transforms`` (used by :mod:`simmatrix.transforms`)."""
        meta = self.metadata
        meta.setdefault("transforms", []).append({"name": name, **params})
        return meta

    def astype(self, dtype: Any) -> SimilarityMatrix:
        dtype = np.dtype(dtype)
        if dtype not in _FLOAT_DTYPES:
            raise InvalidMatrixError(f"dtype must be float32 or float64, got {dtype}")
        return self.replace(values=self._values.astype(dtype))

    # -- tables (pandas, polars; see simmatrix/_frames.py) -----------------------------------
    def to_pandas(self, layout: str = "auto"):
        """The matrix as a labelled ``pandas.DataFrame``, the table its .parquet file holds.

        Parameters
        ----------
        layout : {"auto", "square", "long"}
            ``"square"``: index = true classes (named ``true_class``), columns = predicted
            classes (axis named ``predicted_class``), a copy of the values in their dtype.
            ``"long"``: one row per stored entry, columns ``true_class``, ``predicted_class``
            (categorical, categories in class order) and ``similarity``. ``"auto"`` (the
            default): square when dense, long when sparse (top-k: absent entries are 0).

        Returns
        -------
        pandas.DataFrame
            ``df.attrs["simmatrix_metadata"]`` holds the provenance.

        Examples
        --------
        >>> S = SimilarityMatrix([[1.0, 0.5], [0.25, 1.0]], ["rose", "tulip"])
        >>> df = S.to_pandas()
        >>> float(df.loc["rose", "tulip"]), float(df.loc["tulip", "rose"])
        (0.5, 0.25)
        """
        from ._frames import to_pandas

        return to_pandas(self, layout)

    @classmethod
    def from_pandas(cls, df: Any, classes: Sequence[Any] | None = None,
                    metadata: Mapping[str, Any] | None = None) -> SimilarityMatrix:
        """A matrix from a ``pandas.DataFrame`` in either layout of :meth:`to_pandas`.

        Parameters
        ----------
        df : pandas.DataFrame
            Square: index = true classes, one column per predicted class (matched to the
            rows by name, in any order), e.g. ``pandas.read_parquet`` of a wide .parquet
            file. Long: exactly the columns ``true_class``, ``predicted_class``,
            ``similarity``; the result is sparse (absent pairs are 0).
        classes : sequence of str, optional
            The class order of the result (default: the rows' order; for a long table the
            categories' order, else the order true classes first appear).
        metadata : mapping, optional
            Provenance; default ``df.attrs["simmatrix_metadata"]`` when present.

        Returns
        -------
        SimilarityMatrix
        """
        from ._frames import from_pandas

        return from_pandas(df, classes, metadata)

    def to_polars(self, layout: str = "auto"):
        """The matrix as a ``polars.DataFrame``: as :meth:`to_pandas`, but polars has no
        index, so the square layout's first column ``true_class`` holds the true classes.

        Parameters
        ----------
        layout : {"auto", "square", "long"}
            As in :meth:`to_pandas`; the long layout's class columns are ``polars.Enum``.

        Returns
        -------
        polars.DataFrame
        """
        from ._frames import to_polars

        return to_polars(self, layout)

    @classmethod
    def from_polars(cls, df: Any, classes: Sequence[Any] | None = None,
                    metadata: Mapping[str, Any] | None = None) -> SimilarityMatrix:
        """A matrix from a ``polars.DataFrame`` in either layout of :meth:`to_polars`.

        Parameters
        ----------
        df : polars.DataFrame
            Square: a first column ``true_class`` (or ``class``, as ``polars.read_parquet``
            gives it for a wide .parquet file) and one column per predicted class. Long:
            exactly ``true_class``, ``predicted_class``, ``similarity`` (sparse result).
        classes : sequence of str, optional
            The class order of the result.
        metadata : mapping, optional
            Provenance.

        Returns
        -------
        SimilarityMatrix
        """
        from ._frames import from_polars

        return from_polars(df, classes, metadata)

    # -- comparison and fingerprints -------------------------------------------------------
    def fingerprint(self) -> str:
        """sha256 of the classes and the float64 values: equal matrices, equal prints."""
        h = hashlib.sha256()
        h.update(json.dumps(self._classes).encode())
        h.update(np.ascontiguousarray(self.to_dense(), dtype="<f8").tobytes())
        return h.hexdigest()

    def equals(self, other: SimilarityMatrix, atol: float = 0.0) -> bool:
        """Same classes in the same order and values within ``atol``."""
        return (
            isinstance(other, SimilarityMatrix)
            and self._classes == other._classes
            and np.allclose(self.to_dense(), other.to_dense(), rtol=0, atol=atol)
        )

    __hash__ = None  # type: ignore[assignment]


def fingerprint_file(path: Any) -> dict[str, Any]:
    """Provenance of a source file: name, size and sha256 of its bytes."""
    import os

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return {"path": os.path.basename(str(path)), "bytes": os.path.getsize(path),
            "sha256": h.hexdigest()}
