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


# -- the caller's language ------------------------------------------------------------------
# Messages raised by the library name the *Python* argument to pass (``overwrite=True``); the
# CLI prints every message through :func:`for_cli`, which names the option instead
# (``--force``). One table, so both spellings of every argument live side by side.

#: Python keyword -> CLI option, where a message tells the caller what to pass.
CLI_OPTIONS = {
    "overwrite": "--force",
    "top_k": "--top-k",
    "dtype": "--dtype",
    "missing": "--missing",
    "oov": "--oov",
    "intersect": "--intersect",
    "n_classes": "--n-classes",
    "names": "--names",
    "classes": "--classes",
    "values": "--values",
    "circular": "--circular",
    "format": "--format",
    "order": "--order",
    "dest": "--dir",
    "senses": "--senses",
    "class_index": "--class-index",
}

#: Whole phrases whose CLI form is not ``--option value``.
CLI_PHRASES = {
    "neighbours(S, cls)": "--row CLASS",
    "mapping={class: target}": "a mapping file (--mapping)",
    "install_wordnet(source='/usr/share/wordnet')": (
        "simmatrix data wordnet --from /usr/share/wordnet"),
    "where the builder has one": "where the command has one",
}

import re as _re  # noqa: E402 - kept beside the one function that uses it

_KEYWORD = _re.compile(
    r"(?<![\w.'\"-])(" + "|".join(CLI_OPTIONS) + r")="
    r"(?:(True)\b|'([^']*)'|([A-Z][A-Z_]*|\d+(?:\.\d+)?)\b)?")


def _option(match: _re.Match) -> str:
    option = CLI_OPTIONS[match[1]]
    value = match[3] if match[3] is not None else match[4]
    return option if value is None else f"{option} {value}"


def for_cli(message: str) -> str:
    """``message`` with each Python argument it names spelled as the CLI option.

    >>> for_cli("'S.npy' already exists; pass overwrite=True to overwrite it")
    "'S.npy' already exists; pass --force to overwrite it"
    >>> for_cli("use top_k=K, dtype='float32' or order='given'")
    'use --top-k K, --dtype float32 or --order given'
    """
    for python, cli in CLI_PHRASES.items():
        message = message.replace(python, cli)
    return _KEYWORD.sub(_option, message)
