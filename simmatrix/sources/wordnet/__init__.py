"""WordNet 3.0: installing it (``data``), its hypernym graph as numpy arrays (``graph``), the
similarity measures on that graph (``measures``), the hypernym tree above classes (``tree``),
class names to synsets (``resolve``, ``senses``, ``qualifiers``) and their glosses as class
descriptions (``glosses``).
"""
