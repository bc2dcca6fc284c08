"""Readers of outside knowledge: WordNet, word vectors, hierarchy files and class lists.

They know nothing of :class:`~simmatrix.SimilarityMatrix`: a builder
(:mod:`simmatrix.builders`) turns what they read into one.
"""
