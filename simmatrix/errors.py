"""One exception family for everything a user can get wrong.

Every error simmatrix raises on bad input is a :class:`SimMatrixError`, which subclasses
:class:`ValueError`, so ``except ValueError`` keeps working for callers who do not know
simmatrix.  The CLI maps the subclasses to exit codes: :class:`InvalidMatrixError` is 1 (the
matrix breaks the SimLoss contract), everything else is 2 (bad usage or unreadable input).
"""

from __future__ import annotations


class SimMatrixError(ValueError):
    """Base class of every error simmatrix raises on bad input."""

    exit_code = 2


class InvalidMatrixError(SimMatrixError):
    """The values or class names break the contract of a similarity matrix."""

    exit_code = 1


class MatrixFileError(SimMatrixError):
    """A file cannot be read or written (missing, truncated, wrong format, exists)."""


class BuildError(SimMatrixError):
    """A builder got inputs it cannot turn into a matrix (unknown class, bad parameter)."""


class MissingDependencyError(ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


def require(module: str, extra: str):
    """Import ``module`` or raise :class:`MissingDependencyError` naming ``extra``."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise MissingDependencyError(
            f"{module} is needed for this; install it with: pip install \"simmatrix[{extra}]\""
        ) from exc


def quote_list(items, limit: int = 10) -> str:
    """Format names for an error message: ``'a', 'b', 'c'`` and ``... (N more)``."""
    items = list(items)
    shown = ", ".join(repr(str(x)) for x in items[:limit])
    if len(items) > limit:
        shown += f", ... ({len(items) - limit} more)"
    return shown


class TooLargeError(SimMatrixError):
    """An operation would need more memory than the machine has; refused before allocating."""
