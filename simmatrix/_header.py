"""The header a saved matrix carries (the .npy sidecar, the parquet schema metadata), and
the checks of one read back: shared by :mod:`simmatrix.io` and :mod:`simmatrix._parquet`.
"""

from __future__ import annotations

from typing import Any

from .errors import MatrixFileError
from .matrix import SimilarityMatrix

META_KEY = b"simmatrix"
FILE_VERSION = 1


def matrix_header(S: SimilarityMatrix, layout: str) -> dict[str, Any]:
    return {
        "format": "simmatrix",
        "format_version": FILE_VERSION,
        "layout": layout,
        "shape": list(S.shape),
        "dtype": str(S.dtype),
        "classes": list(S.classes),
        "metadata": S.metadata,
    }


_META_TYPES = {"builder": (str, type(None)), "interchangeable": list, "transforms": list,
               "sources": list, "orientation": str}


def header_parts(header: Any, where: str) -> tuple[tuple[str, ...] | None, dict[str, Any]]:
    """The class names and metadata of a sidecar or parquet header, their types checked."""
    if not isinstance(header, dict):
        raise MatrixFileError(f"{where} must be a JSON object, got {type(header).__name__}")
    classes = header.get("classes")
    if classes is not None:
        if not isinstance(classes, list) or not all(
                isinstance(c, (str, int)) and not isinstance(c, bool) for c in classes):
            raise MatrixFileError(f"{where}: 'classes' must be a list of names (strings)")
        classes = tuple(map(str, classes))
    metadata = header.get("metadata")
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise MatrixFileError(
            f"{where}: 'metadata' must be a JSON object, got {type(metadata).__name__}"
        )
    for key, types in _META_TYPES.items():
        if key in metadata and not isinstance(metadata[key], types):
            raise MatrixFileError(f"{where}: metadata {key!r} has the wrong type "
                                  f"({type(metadata[key]).__name__})")
    pairs = metadata.get("interchangeable", [])
    if not all(isinstance(p, list) and len(p) == 2 and all(isinstance(c, (str, int))
                                                          for c in p) for p in pairs):
        raise MatrixFileError(f"{where}: metadata 'interchangeable' must be a list of "
                              "[class, class] pairs")
    return classes, metadata
