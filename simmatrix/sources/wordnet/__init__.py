"""WordNet 3.0: installing it (``data``), its hypernym graph as numpy arrays (``graph``), the
similarity measures on that graph (``measures``) and the hypernym tree above classes (``tree``).
"""
