"""simmatrix: class-similarity matrices for SimLoss.

``import simmatrix`` stays light: torch, jax, gensim, nltk and matplotlib are imported only
inside the functions that need them.
"""

from . import decision, losses, metrics
from ._version import __version__
from .boosting import simloss_grad_hess
from .decision import bayes_decision
from .errors import (
    BuildError,
    InvalidMatrixError,
    MatrixFileError,
    MissingDependencyError,
    SimMatrixError,
)
from .io import load, save
from .log_similarity import LogSimilarity
from .loss import simloss
from .matrix import ORIENTATION, SimilarityMatrix
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
    "check",
    "load",
    "save",
    "LogSimilarity",
    "simloss",
    "simloss_grad_hess",
    "bayes_decision",
    "decision",
    "losses",
    "metrics",
]
