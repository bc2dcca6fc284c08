"""Reading class lists: the names a builder turns into rows of S.

Accepted forms, detected from the file itself:

- plain text, one name per line (blank lines and ``#`` comments skipped);
- CSV with an index and a name column (``0,apple``), with or without a header row;
- a JSON list (``["apple", "aquarium_fish"]``), or an object holding one under ``classes``,
  ``fine_labels`` (CIFAR-100's label file) or ``labels``;
- a JSON object of index → name, or of index → ``[wnid, name]`` as ImageNet's
  ``imagenet_class_index.json`` (``{"0": ["n01440764", "tench"], ...}``): the names are the
  second element unless ``key="id"`` asks for the first;
- inline, ``"a,b,c"``, for the CLI's ``--names``.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from .._files import parse_json, read_text
from ..errors import MatrixFileError
from ..matrix import check_classes

LIST_KEYS = ("classes", "fine_labels", "labels")


def parse_names(text: str) -> tuple[str, ...]:
    """Split an inline ``a,b,c`` list; surrounding spaces are dropped."""
    names = [n.strip() for n in text.split(",")]
    return check_classes(n for n in names if n)


def read_classes(path: str | os.PathLike, key: str = "name") -> tuple[str, ...]:
    """Read a class list from ``path`` in any of the forms above, in file order.

    Parameters
    ----------
    path : path-like
        The file.
    key : {"name", "id"}
        For ImageNet-style ``{"0": [wnid, name]}`` files: take the name or the id (wnid).
    """
    p = Path(path)
    text = read_text(p, "class list")
    if not text.strip():
        raise MatrixFileError(f"class list {str(p)!r} is empty")
    stripped = text.lstrip()
    if stripped[:1] in "[{":
        names = _from_json(text, p, key)
    elif p.suffix.lower() in (".csv", ".tsv"):
        names = _from_csv(text, p)
    else:
        names = [ln.strip() for ln in text.splitlines()]
        names = [n for n in names if n and not n.startswith("#")]
    return check_classes(names)


def _from_json(text: str, p: Path, key: str) -> list[str]:
    data = parse_json(text, f"class list {str(p)!r}")
    if isinstance(data, list):
        return [_pick(v, key, p) for v in data]
    if isinstance(data, dict):
        for list_key in LIST_KEYS:  # {"classes": [...]} or CIFAR-100's {"fine_labels": [...]}
            if isinstance(data.get(list_key), list):
                return [_pick(v, key, p) for v in data[list_key]]
        try:
            items = sorted(data.items(), key=lambda kv: int(kv[0]))
        except ValueError:
            raise MatrixFileError(
                f"class list {str(p)!r}: a JSON object must map indices to names"
            ) from None
        return [_pick(v, key, p) for _, v in items]
    raise MatrixFileError(f"class list {str(p)!r} must hold a JSON list or object")


def _pick(v, key: str, p: Path) -> str:
    if isinstance(v, (list, tuple)) and len(v) == 2:
        return str(v[1] if key == "name" else v[0])
    if isinstance(v, (str, int)):
        return str(v)
    raise MatrixFileError(f"class list {str(p)!r}: cannot read a class name from {v!r}")


def _from_csv(text: str, p: Path) -> list[str]:
    delim = "\t" if p.suffix.lower() == ".tsv" else ","
    rows = [r for r in csv.reader(io.StringIO(text), delimiter=delim) if r]
    if rows and len(rows[0]) >= 2 and not rows[0][0].strip().lstrip("-").isdigit():
        rows = rows[1:]  # a header row such as "index,name"
    if all(len(r) >= 2 for r in rows):
        return [r[1].strip() for r in rows]
    return [r[0].strip() for r in rows]
