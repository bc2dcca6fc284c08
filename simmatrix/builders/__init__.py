"""Builders turn knowledge into a SimilarityMatrix: pure functions, no I/O.

Each lives in its own module and imports its heavy dependency (nltk, gensim, networkx)
only when called. Readers of files (class lists, graphs, vectors, tables) are separate
functions so the builders themselves stay pure.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# Loaded on first use (PEP 562), so that `simmatrix build order` does not import the
# WordNet, embedding and hierarchy builders it never calls.
_LAZY = {
    "counts_from_pairs": "confusion",
    "from_confusion": "confusion",
    "embedding_matrix": "embedding",
    "hierarchy_matrix": "hierarchy",
    "order_matrix": "order",
    "from_table": "table",
    "wordnet_matrix": "wordnet",
}

__all__ = [
    "counts_from_pairs",
    "embedding_matrix",
    "from_confusion",
    "from_table",
    "hierarchy_matrix",
    "order_matrix",
    "wordnet_matrix",
]

if TYPE_CHECKING:  # for type checkers; never run
    from .confusion import counts_from_pairs, from_confusion
    from .embedding import embedding_matrix
    from .hierarchy import hierarchy_matrix
    from .order import order_matrix
    from .table import from_table
    from .wordnet import wordnet_matrix


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'simmatrix.builders' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
