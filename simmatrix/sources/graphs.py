"""Reading class hierarchies into a :class:`networkx.DiGraph` with edges parent → child.

Forms accepted by :func:`read_hierarchy`, chosen by ``format`` or detected from the file:

``edges``
    One edge per line, ``parent child``: whitespace-separated (names without spaces), CSV
    (``.csv``, or every line has a comma) or TSV (``.tsv``, or the file has tabs). A header
    row ``parent,child`` or ``child,parent`` is recognised and sets the order; otherwise
    ``child_parent=True`` reads ``child parent``. A line with one name adds a lone node.
``json``
    A nested mapping ``{"entity": {"organism": {"animal": ["cat", "dog"]}}}``: a value is a
    mapping of children, a list of children (names or mappings), one child name, or
    ``null``/``{}``/``[]`` for a leaf. With ``child_parent=True`` a flat mapping
    ``{"cat": "animal", "dog": ["animal", "pet"]}`` maps children to their parent(s).
    CIFAR-100's label file (``{"fine_labels": [...], "coarse_labels": [...],
    "fine_to_coarse": {...}}``) is recognised as a two-level tree whose classes are the
    fine labels in their official order.
``graphml``
    A directed GraphML file (node ids are the names); ``child_parent=True`` flips the edges.
``indent``
    One node per line, its depth shown by a prefix of spaces, tabs, ``-``, ``.`` or ``|``
    (``entity`` / ``-- organism`` / ``---- animal``). The indent unit is the smallest
    non-zero prefix width; every width must be a multiple of it. A name listed twice gets
    two parents.

``#`` starts a comment line in the text forms. Lines are reported 1-based in errors.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .._files import parse_json, read_text
from ..errors import BuildError, MatrixFileError, require

FORMATS = ("edges", "json", "graphml", "indent")
_INDENT = re.compile(r"^([ \t\-.|]*)(.*?)\s*$")


def _nx():
    return require("networkx", "graphs")


def read_hierarchy(
    source: Any, format: str | None = None, child_parent: bool | None = None
) -> tuple[Any, dict[str, Any]]:
    """Read ``source`` into a DiGraph with edges parent → child.

    Parameters
    ----------
    source : path-like, networkx.DiGraph, mapping, or iterable of (parent, child) pairs
        A file in one of the forms above, or the graph itself.
    format : {"edges", "json", "graphml", "indent"}, optional
        The file form; detected from the extension and content when omitted.
    child_parent : bool, optional
        Pairs are ``child parent`` instead of ``parent child``. ``None`` means: as an
        ``edges`` header row says, else parent first.

    Returns
    -------
    graph : networkx.DiGraph
        Node names are str; successors keep the order of the input.
    info : dict
        ``format``, and ``classes`` when the source names its classes (CIFAR-100 form).

    Examples
    --------
    >>> g, info = read_hierarchy({"animal": ["cat", "dog"], "plant": {"rose": None}})
    >>> list(g.edges())
    [('animal', 'cat'), ('animal', 'dog'), ('plant', 'rose')]
    >>> info
    {'format': 'json'}
    """
    nx = _nx()
    if format is not None and format not in FORMATS:
        raise BuildError(f"unknown hierarchy format {format!r}; choose one of {', '.join(FORMATS)}")
    if isinstance(source, nx.Graph):
        return _from_graph(source, child_parent, "networkx"), {"format": "networkx"}
    if isinstance(source, Mapping):
        return _from_json_data(source, child_parent, "<mapping>")
    if isinstance(source, (str, os.PathLike)):
        return _from_file(Path(source), format, child_parent)
    if isinstance(source, Iterable):
        return _from_pairs(source, child_parent, "<pairs>"), {"format": "pairs"}
    raise BuildError(f"cannot read a hierarchy from a {type(source).__name__}")


def detect_format(path: Path, text: str | None) -> str:
    """The form of ``path``: by extension, else ``indent`` if a line is indented, else edges."""
    suffix = path.suffix.lower()
    if suffix in (".graphml", ".xml"):
        return "graphml"
    if suffix == ".json":
        return "json"
    if suffix in (".csv", ".tsv") or text is None:
        return "edges"
    if text.lstrip()[:1] in "{[":
        return "json"
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if any(ln[:1] in " \t-.|" for ln in lines[1:]) and not any("\t" in ln.lstrip() for ln in lines):
        return "indent"
    return "edges"


def _from_file(path: Path, format: str | None, child_parent: bool | None):
    where = str(path)
    if (format or detect_format(path, None)) == "graphml":  # by extension; text not needed
        return _from_graphml(path, child_parent), {"format": "graphml"}
    text = read_text(path, "hierarchy file")
    fmt = format or detect_format(path, text)
    if not text.strip():
        raise MatrixFileError(f"hierarchy file {where!r} is empty")
    if fmt == "json":
        data = parse_json(text, f"hierarchy file {where!r}")
        if isinstance(data, list):
            return _from_pairs(data, child_parent, where), {"format": "json"}
        if not isinstance(data, dict):
            raise BuildError(f"hierarchy file {where!r} must hold a JSON object")
        return _from_json_data(data, child_parent, where)
    if fmt == "indent":
        if child_parent:
            raise BuildError("child_parent has no meaning for an indented tree")
        return _from_indent(text, where), {"format": "indent"}
    return _from_edges(text, path, child_parent), {"format": "edges"}


def _from_graphml(path: Path, child_parent: bool | None):
    where = str(path)
    if not path.exists():
        raise MatrixFileError(f"hierarchy file {where!r} does not exist")
    if path.is_dir():
        raise MatrixFileError(f"hierarchy file {where!r} is a folder, not a file")
    try:
        g = _nx().read_graphml(path)
    except Exception as exc:  # networkx raises several kinds on a bad file
        raise MatrixFileError(f"cannot read GraphML {where!r}: {exc}") from None
    if not g.is_directed():
        raise BuildError(
            f"GraphML {where!r} is undirected; a hierarchy needs edgedefault=\"directed\""
        )
    return _from_graph(g, child_parent, where)


def _from_graph(g, child_parent: bool | None, where: str):
    nx = _nx()
    if not g.is_directed():
        raise BuildError(f"{where}: the graph is undirected; a hierarchy needs a DiGraph")
    if not child_parent and all(isinstance(n, str) for n in g.nodes):
        return g  # already in shape; nothing downstream modifies it
    names = {n: str(n) for n in g.nodes}
    if len(set(names.values())) != len(names):
        raise BuildError(f"{where}: two nodes have the same name as text")
    out = nx.DiGraph()
    out.add_nodes_from(names.values())
    for u, v in g.edges():
        a, b = (names[v], names[u]) if child_parent else (names[u], names[v])
        out.add_edge(a, b)
    return out


def _from_pairs(pairs: Iterable[Any], child_parent: bool | None, where: str):
    nx = _nx()
    g = nx.DiGraph()
    for i, pair in enumerate(pairs):
        if isinstance(pair, str) or len(pair) != 2:
            raise BuildError(f"{where}: item {i} is not a (parent, child) pair: {pair!r}")
        a, b = (str(pair[1]), str(pair[0])) if child_parent else (str(pair[0]), str(pair[1]))
        g.add_edge(a, b)
    return g


# -- edge lists ----------------------------------------------------------------------------
def _from_edges(text: str, path: Path, child_parent: bool | None):
    nx = _nx()
    rows = _split_rows(text, path)
    where = str(path)
    if rows:
        head = tuple(f.strip().lower() for f in rows[0][1])
        if head in (("parent", "child"), ("child", "parent")):
            says = head == ("child", "parent")
            if child_parent is not None and child_parent != says:
                raise BuildError(
                    f"{where}: the header says {','.join(head)} but child_parent={child_parent}"
                )
            child_parent = says
            rows = rows[1:]
    g = nx.DiGraph()
    for lineno, fields in rows:
        if len(fields) == 1:
            g.add_node(fields[0])
            continue
        if len(fields) != 2 or not all(fields):
            hint = "; names with spaces need CSV or TSV" if len(fields) > 2 else ""
            raise BuildError(
                f"{where}, line {lineno}: expected 'parent child', got {len(fields)} fields "
                f"{fields!r}{hint}"
            )
        a, b = (fields[1], fields[0]) if child_parent else (fields[0], fields[1])
        g.add_edge(a, b)
    if g.number_of_nodes() == 0:
        raise MatrixFileError(f"hierarchy file {where!r} has no edges")
    return g


def _split_rows(text: str, path: Path) -> list[tuple[int, list[str]]]:
    lines = [(i + 1, ln) for i, ln in enumerate(text.splitlines())
             if ln.strip() and not ln.lstrip().startswith("#")]
    suffix = path.suffix.lower()
    if suffix == ".tsv" or (suffix != ".csv" and any("\t" in ln for _, ln in lines)):
        delim = "\t"
    elif suffix == ".csv" or (lines and all("," in ln for _, ln in lines)):
        delim = ","
    else:
        return [(i, ln.split()) for i, ln in lines]
    out = []
    for i, ln in lines:
        fields = next(csv.reader(io.StringIO(ln), delimiter=delim))
        out.append((i, [f.strip() for f in fields]))
    return out


# -- nested JSON ---------------------------------------------------------------------------
def _from_json_data(data: Mapping[str, Any], child_parent: bool | None, where: str):
    if "fine_to_coarse" in data:
        return _from_cifar(data, where), {"format": "json", "form": "cifar",
                                          "classes": list(map(str, data.get("fine_labels") or
                                                              data["fine_to_coarse"]))}
    g = _nx().DiGraph()
    if child_parent:
        for child, parents in data.items():
            parents = parents if isinstance(parents, list) else [parents]
            if not parents or parents == [None]:
                g.add_node(str(child))
            for p in parents:
                if not isinstance(p, (str, int)):
                    raise BuildError(f"{where}: parent of {child!r} must be a name, got {p!r}")
                g.add_edge(str(p), str(child))
        return g, {"format": "json"}
    for name, children in data.items():
        g.add_node(str(name))
        _add_children(g, str(name), children, where)
    return g, {"format": "json"}


def _add_children(g, parent: str, children: Any, where: str) -> None:
    if children is None:
        return
    if isinstance(children, (str, int)):
        g.add_edge(parent, str(children))
    elif isinstance(children, Mapping):
        for name, sub in children.items():
            g.add_edge(parent, str(name))
            _add_children(g, str(name), sub, where)
    elif isinstance(children, list):
        for item in children:
            _add_children(g, parent, item, where)
    else:
        raise BuildError(f"{where}: children of {parent!r} must be names, a list or a mapping, "
                         f"got {children!r}")


def _from_cifar(data: Mapping[str, Any], where: str):
    nx = _nx()
    f2c = data["fine_to_coarse"]
    if not isinstance(f2c, Mapping):
        raise BuildError(f"{where}: 'fine_to_coarse' must map each fine label to a coarse one")
    g = nx.DiGraph()
    g.add_nodes_from(str(c) for c in data.get("coarse_labels", ()))
    fine = [str(f) for f in data.get("fine_labels") or f2c]
    missing = [f for f in fine if f not in f2c]
    if missing:
        raise BuildError(f"{where}: {len(missing)} fine labels have no coarse label: "
                         + ", ".join(repr(m) for m in missing[:10]))
    for f in fine:
        g.add_edge(str(f2c[f]), f)
    return g


# -- indented trees ------------------------------------------------------------------------
def _from_indent(text: str, where: str):
    nx = _nx()
    items = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        prefix, name = _INDENT.match(line).groups()
        if not name:
            raise BuildError(f"{where}, line {lineno}: no name after the indent {prefix!r}")
        marks = prefix.rstrip(" ") if prefix.strip() else prefix
        if " " in marks and "\t" in marks:
            raise BuildError(f"{where}, line {lineno}: the indent mixes tabs and spaces")
        items.append((lineno, len(marks), name))
    widths = [w for _, w, _ in items if w]
    unit = min(widths) if widths else 1
    g = nx.DiGraph()
    stack: list[str] = []
    for lineno, width, name in items:
        if width % unit:
            raise BuildError(f"{where}, line {lineno}: indent width {width} is not a multiple "
                             f"of the indent unit {unit}")
        level = width // unit
        if level > len(stack):
            raise BuildError(f"{where}, line {lineno}: {name!r} is indented {level} levels "
                             f"but the line before is at level {len(stack) - 1}")
        del stack[level:]
        if stack:
            g.add_edge(stack[-1], name)
        else:
            g.add_node(name)
        stack.append(name)
    if g.number_of_nodes() == 0:
        raise MatrixFileError(f"hierarchy file {where!r} has no nodes")
    return g
