"""The WordNet 3.0 hypernym graph above a list of classes, as parent → child edges.

This is the taxonomy the hierarchy builder turns into S (LCA height, Wu–Palmer on the
graph, ...). Every noun synset of WordNet 3.0 has one or more hypernym (``@``) and instance
hypernym (``@i``) pointers, so the graph above a set of classes is a DAG. ``tree=True``
keeps a tree by a fixed rule: each synset keeps only its **first-listed** hypernym pointer in
``data.noun`` (hypernyms and instance hypernyms in the file's order). The pointers are read
from ``data.noun`` itself, not through nltk, whose order of ``hypernyms()`` is not stable
between processes, so the same classes always give the same tree.

Nodes are wnids (``n`` + the 8-digit offset); a class keeps its own name (as given) as its
node, so ``--classes`` of the hierarchy builder finds it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from ..._files import read_text
from ...errors import BuildError, MatrixFileError


def hypernym_pointers(data_noun_text: str) -> dict[int, list[int]]:
    """Offset → hypernym and instance-hypernym offsets, in ``data.noun``'s order."""
    out: dict[int, list[int]] = {}
    for line in data_noun_text.splitlines():
        if not line or line.startswith(" "):
            continue  # the licence header lines start with two spaces
        f = line.split(" | ", 1)[0].split()
        i = 4 + 2 * int(f[3], 16)
        ptrs = (f[i + 1 + 4 * k: i + 5 + 4 * k] for k in range(int(f[i])))
        out[int(f[0])] = [int(p[1]) for p in ptrs if p[0] in ("@", "@i") and p[2] == "n"]
    return out


def read_data_noun(root: str | Path) -> str:
    """``data.noun`` of the WordNet nltk reads: a ``corpora/wordnet`` folder or ``wordnet.zip``."""
    root = Path(root)
    if not root.is_file():
        return read_text(root / "data.noun", "WordNet data file")
    import zipfile

    try:
        with zipfile.ZipFile(root) as zf:
            return zf.read("wordnet/data.noun").decode("utf-8")
    except (OSError, KeyError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        raise MatrixFileError(f"cannot read data.noun from {str(root)!r}: {exc}") from None


def wnid(offset: int) -> str:
    return f"n{offset:08d}"


def hypernym_edges(
    classes: Iterable[str], *, tree: bool = True, mapping: Mapping[str, str] | None = None,
    senses: str | None = None,
) -> list[tuple[str, str]]:
    """Sorted ``(parent, child)`` edges of the hypernym graph above ``classes``.

    Parameters
    ----------
    classes : iterable of str
        Names, wnids or synset names (resolved as the WordNet builder does); nouns only.
    tree : bool
        Keep only each synset's first-listed hypernym (a tree), or all of them (a DAG).
    mapping : mapping of str to str, optional
        Per-class overrides, as for the WordNet builder.
    senses : {"context", "first"}
        How a plain name with several noun senses is resolved (see
        :func:`~simmatrix.sources.wordnet.resolve.resolve_classes`; None: its default).
    """
    from .graph import load_graph
    from .resolve import resolve_classes

    graph = load_graph()
    from .resolve import DEFAULT_SENSES

    resolved = resolve_classes(list(classes), graph, mapping=mapping,
                               senses=senses or DEFAULT_SENSES)
    return tree_edges(graph, resolved, tree=tree)


def tree_edges(graph, resolved, *, tree: bool = True) -> list[tuple[str, str]]:
    """:func:`hypernym_edges` for classes already resolved (``resolve_classes``)."""
    if any(r.pos != "n" for r in resolved):
        raise BuildError("a hypernym tree needs noun classes; verbs have no single root")
    offsets = graph.n.offsets
    label: dict[int, str] = {}
    for r in resolved:
        off = int(offsets[r.index])
        if off in label:
            raise BuildError(f"classes {label[off]!r} and {r.cls!r} are the same synset "
                             f"({r.synset}); a tree needs distinct classes")
        label[off] = r.cls
    pointers = hypernym_pointers(read_data_noun(graph.root))
    edges, seen, todo = set(), set(), list(label)
    while todo:
        child = todo.pop()
        if child in seen:
            continue
        seen.add(child)
        parents = pointers.get(child, [])
        for parent in parents[:1] if tree else parents:
            edges.add((label.get(parent, wnid(parent)), label.get(child, wnid(child))))
            todo.append(parent)
    return sorted(edges)
