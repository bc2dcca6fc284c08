"""Builders turn knowledge into a SimilarityMatrix: pure functions, no I/O.

Each lives in its own module and imports its heavy dependency (nltk, gensim, networkx)
only when called. Readers of files (class lists, graphs, vectors, tables) are separate
functions so the builders themselves stay pure.
"""

from .confusion import counts_from_pairs, from_confusion
from .embedding import embedding_matrix
from .hierarchy import hierarchy_matrix
from .order import order_matrix
from .table import from_table
from .wordnet import wordnet_matrix

__all__ = [
    "counts_from_pairs",
    "embedding_matrix",
    "from_confusion",
    "from_table",
    "hierarchy_matrix",
    "order_matrix",
    "wordnet_matrix",
]
