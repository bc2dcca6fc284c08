"""simmatrix: class-similarity matrices for SimLoss.

``import simmatrix`` stays light: torch, jax, gensim, nltk and matplotlib are imported only
inside the functions that need them.
"""

from ._version import __version__
from .errors import (
    BuildError,
    InvalidMatrixError,
    MatrixFileError,
    MissingDependencyError,
    SimMatrixError,
)
from .io import load, save
from .matrix import ORIENTATION, SimilarityMatrix, as_matrix
from .validate import ValidationReport, check

__all__ = [
    "__version__",
    "BuildError",
    "InvalidMatrixError",
    "MatrixFileError",
    "MissingDependencyError",
    "ORIENTATION",
    "SimMatrixError",
    "SimilarityMatrix",
    "ValidationReport",
    "as_matrix",
    "check",
    "load",
    "save",
]
