"""Builders turn knowledge into a SimilarityMatrix: pure functions, no I/O.

Each lives in its own module and imports its heavy dependency (nltk, gensim, networkx)
only when called.
"""

from .order import order_matrix

__all__ = ["order_matrix"]
