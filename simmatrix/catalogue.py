"""The catalogue: ready-made matrices shipped in ``matrices/``, found by name.

Each entry is a *recipe*: one ``simmatrix`` command line, run from the folder that holds
the catalogue, that rebuilds the shipped file from the project's own builders and the class
lists in ``matrices/sources/``. ``matrices/index.json`` is the machine-readable manifest
(name, classes, builder and parameters, command, file size, checksum of the values);
``matrices/README.md`` is the same table for people. Both are written by
``simmatrix catalogue build``, and a test rebuilds every entry and compares it with the
shipped file, so the catalogue cannot drift from the code.

Files are float32 parquet with zstd: the values of these builders repeat a lot (wup, LCA
heights, r^d), so a 1000×1000 matrix takes far less than its 4 MB in memory.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ._suggest import close_matches, did_you_mean
from .errors import MatrixFileError

INDEX = "index.json"


@dataclass(frozen=True)
class Recipe:
    """How one catalogue entry is made: a name, a description and a CLI command."""

    name: str
    description: str
    args: tuple[str, ...]  # after "simmatrix", with {out} for the output path
    extras: tuple[str, ...] = ()  # the optional dependencies the command needs

    @property
    def file(self) -> str:
        return f"{self.name}.parquet"

    def argv(self, out: str | os.PathLike) -> list[str]:
        return [a.replace("{out}", str(out)) for a in self.args]

    def command(self) -> str:
        return "simmatrix " + shlex.join(self.argv(self.file))


COMMON = ("--dtype", "float32", "-o", "{out}")

RECIPES: tuple[Recipe, ...] = (
    Recipe(
        "cifar10-wordnet-wup",
        "CIFAR-10, Wu-Palmer similarity on WordNet 3.0 (first noun senses, checked)",
        ("build", "wordnet", "--classes", "sources/cifar10.txt", "--senses", "first",
         "--measure", "wup", *COMMON),
        ("wordnet",),
    ),
    Recipe(
        "cifar100-wordnet-wup",
        "CIFAR-100, Wu-Palmer similarity on WordNet 3.0; 24 classes mapped to the sense the "
        "images show (sources/cifar100_wordnet.tsv)",
        ("build", "wordnet", "--classes", "sources/cifar100.json", "--mapping",
         "sources/cifar100_wordnet.tsv", "--senses", "first", "--measure", "wup", *COMMON),
        ("wordnet",),
    ),
    Recipe(
        "imagenet1k-wordnet-wup",
        "ImageNet-1k wnids, Wu-Palmer similarity on WordNet 3.0",
        ("build", "wordnet", "--classes", "sources/imagenet_class_index.json", "--measure",
         "wup", *COMMON),
        ("wordnet",),
    ),
    Recipe(
        "ages-1-90-r0.8",
        "Ages 1..90 as ordered classes, S = 0.8^|i-j| (the paper's UTKFace setting)",
        ("build", "order", "--values", "1:90", "--reduction", "0.8", *COMMON),
    ),
    Recipe(
        "cifar100-hierarchy-lca",
        "CIFAR-100 fine labels, LCA height on the 20-superclass tree: 0.5 within a "
        "superclass, 0 across superclasses",
        ("build", "hierarchy", "--graph", "sources/cifar100.json", "--measure", "lca-height",
         *COMMON),
        ("graphs",),
    ),
    Recipe(
        "imagenet1k-wordnet-lca",
        "ImageNet-1k wnids, LCA height on the WordNet 3.0 hypernym tree (first-listed "
        "hypernym kept, see sources/README.md)",
        ("build", "hierarchy", "--graph", "sources/imagenet_wordnet_tree.tsv", "--classes",
         "sources/imagenet_wnids.txt", "--measure", "lca-height", *COMMON),
        ("graphs",),
    ),
    Recipe(
        "cifar10-glove",
        "CIFAR-10, cosine of GloVe 6B 50d vectors, negatives clipped (all 10 covered)",
        ("build", "embedding", "--classes", "sources/cifar10.txt", "--vectors",
         "glove-6b-50d", *COMMON),
        ("embeddings",),
    ),
    Recipe(
        "cifar100-glove",
        "CIFAR-100, cosine of GloVe 6B 50d vectors, negatives clipped (all 100 covered; "
        "multi-word names use the mean of their words' vectors)",
        ("build", "embedding", "--classes", "sources/cifar100.json", "--vectors",
         "glove-6b-50d", *COMMON),
        ("embeddings",),
    ),
)


def recipes() -> dict[str, Recipe]:
    return {r.name: r for r in RECIPES}


def folder() -> Path:
    """The folder of the shipped catalogue (``matrices/``, installed as package data)."""
    override = os.environ.get("SIMMATRIX_CATALOGUE")
    if override:
        return Path(override)
    return Path(str(resources.files("simmatrix.matrices")))


def entries(root: str | os.PathLike | None = None) -> list[dict[str, Any]]:
    """The manifest: one dict per shipped matrix, each with a string ``name`` and ``file``.

    A malformed index (not JSON, wrong types, nested too deeply, not a regular file) is a
    one-line :class:`MatrixFileError` naming it.
    """
    from ._files import parse_json, read_text

    path = Path(root or folder()) / INDEX
    if not os.path.lexists(path):
        return []
    where = f"catalogue index {str(path)!r}"
    data = parse_json(read_text(path, "catalogue index"), where)
    found = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(found, list) or not all(
            isinstance(e, dict) and isinstance(e.get("name"), str)
            and isinstance(e.get("file"), str) for e in found):
        raise MatrixFileError(
            f"{where} is malformed: expected {{\"entries\": [{{\"name\": ..., \"file\": "
            "...}, ...]}; rebuild it with: simmatrix catalogue build"
        )
    return found


def entry_file(base: Path, file: str) -> Path:
    """The path of an index entry's ``file``, which must stay inside the catalogue folder.

    An index is data: ``../../etc/passwd.csv``, an absolute path or a symlink out of the
    folder is refused rather than followed.
    """
    inside = base.resolve()
    target = (base / file).resolve()
    if Path(file).is_absolute() or not target.is_relative_to(inside) or target == inside:
        raise MatrixFileError(
            f"catalogue index in {str(base)!r} names {file!r}, which is outside the "
            "catalogue folder; refusing to read it (rebuild the index: simmatrix catalogue "
            "build)"
        )
    return base / file


def find(name: str, root: str | os.PathLike | None = None) -> Path | None:
    """The file of catalogue entry ``name``, or None if there is no such entry."""
    base = Path(root or folder())
    for e in entries(base):
        if e["name"] == name:
            return entry_file(base, e["file"])
    return None


def resolve(source: str | os.PathLike) -> Path:
    """A path as given, or the file of a catalogue entry when ``source`` names one.

    An existing file wins over a catalogue name; a name that is neither is an error listing
    the catalogue.
    """
    p = Path(source)
    if p.exists() or p.suffix.lower() in (".npy", ".parquet", ".csv") or os.sep in str(source):
        return p
    found = find(str(source))
    if found is not None:
        return found
    names = [e["name"] for e in entries()]
    hint = did_you_mean(close_matches(str(source), names, cutoff=0.5))
    raise MatrixFileError(
        f"{str(source)!r} is neither a file nor a catalogue entry{hint} "
        "(see: simmatrix catalogue list)"
    )
