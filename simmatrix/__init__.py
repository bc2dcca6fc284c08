"""simmatrix: class-similarity matrices for SimLoss.

``import simmatrix`` stays light: it imports nothing but its version. Every public name below
is loaded on first use (a module ``__getattr__``, PEP 562), so ``simmatrix --version`` and
``import simmatrix`` do not pay for numpy; torch, jax, gensim, nltk and matplotlib are imported
only inside the functions that need them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from ._version import __version__

# public name -> the submodule that defines it ("" when the name is the submodule itself)
_LAZY = {
    "BuildError": "errors",
    "InvalidMatrixError": "errors",
    "MatrixFileError": "errors",
    "MissingDependencyError": "errors",
    "SimMatrixError": "errors",
    "ORIENTATION": "matrix",
    "SimilarityMatrix": "matrix",
    "ValidationReport": "validate",
    "check": "validate",
    "load": "io",
    "save": "io",
    "LogSimilarity": "log_similarity",
    "simloss": "loss",
    "simloss_grad_hess": "boosting",
    "bayes_decision": "decision",
    "decision": "",
    "losses": "",
    "metrics": "",
}
# submodules that ``import simmatrix`` used to load, still reachable as attributes
_SUBMODULES = {"boosting", "catalogue", "errors", "io", "log_similarity", "loss", "matrix",
               "transforms", "validate"}

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

if TYPE_CHECKING:  # for type checkers and IDEs; never run
    from . import decision, losses, metrics
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


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name not in _LAZY:
        raise AttributeError(f"module 'simmatrix' has no attribute {name!r}")
    module = importlib.import_module(f".{_LAZY[name] or name}", __name__)
    value = module if not _LAZY[name] else getattr(module, name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | _SUBMODULES)
