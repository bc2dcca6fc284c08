"""Builders turn knowledge into a SimilarityMatrix: pure functions, no I/O.

Each lives in its own module and imports its heavy dependency (nltk, gensim, networkx)
only when called.
"""

from .embedding import embedding_matrix
from .hierarchy import hierarchy_matrix
from .order import order_matrix

__all__ = ["embedding_matrix", "hierarchy_matrix", "order_matrix"]
