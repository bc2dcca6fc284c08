"""What every command shares: option types, error handling, and the one way to save a build.

A command is thin: it parses options, calls the library, and hands the result to
:func:`finish_build`, which applies the common transforms (lower bound, dtype), validates,
and writes atomically. Errors from the library are :class:`simmatrix.SimMatrixError`s;
:func:`run`, through which the entry point (:func:`simmatrix.cli.main`) and the catalogue's
recipes run the app, prints them as one line and exits with their code.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from simmatrix import io, transforms
from simmatrix._files import parse_json, read_text, regular_file
from simmatrix._text import escape, json_safe
from simmatrix.errors import BuildError
from simmatrix.matrix import SimilarityMatrix, check_classes
from simmatrix.sources.classlist import parse_names, read_classes

from ._run import run  # noqa: F401 - the entry point and catalogue recipes run through it


def _interval(low, high, low_open, high_open, integer) -> str:
    """``in [0, 1)``, ``a finite number > 0``, ``an integer >= 1``."""
    if low is not None and high is not None:
        return f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    what = "an integer" if integer else "a finite number"
    if low is not None:
        return f"{what} {'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f"{what} {'<' if high_open else '<='} {high:g}"
    return what


def range_problem(value: float, low: float | None = None, high: float | None = None, *,
                  low_open: bool = False, high_open: bool = False,
                  integer: bool = False) -> str | None:
    """What is wrong with ``value`` for the range (None if nothing): nan and ±inf never
    pass, whatever the bounds (a comparison with nan is always false, so typer's own
    ``min``/``max`` let it through)."""
    ok = math.isfinite(value) and not (
        (low is not None and (value < low or (low_open and value == low)))
        or (high is not None and (value > high or (high_open and value == high))))
    if ok:
        return None
    shown = repr(float(value)) if not integer else str(value)
    return f"{shown} is not {_interval(low, high, low_open, high_open, integer)}"


def check_number(option: str, value: float | None, low: float | None = None,
                 high: float | None = None, **kw: bool) -> None:
    """Refuse ``value`` of ``option`` outside the range: one line naming the option, the
    value and the valid range, exit 2. For values the command parses itself (``--values``,
    ``--weights``); options declared with :func:`in_range` are checked by the parser."""
    problem = None if value is None else range_problem(value, low, high, **kw)
    if problem:
        raise BuildError(f"{option}: {problem}")


def in_range(low: float | None = None, high: float | None = None, *, low_open: bool = False,
             high_open: bool = False, integer: bool = False):
    """A typer ``callback`` checking a numeric option when the command line is parsed,
    before anything is built: every numeric option of every command uses this one helper.

    The message is click's usage error, ``Invalid value for '--unit': inf is not a finite
    number > 0``, exit 2.
    """

    def check(value):
        if value is not None:
            problem = range_problem(value, low, high, low_open=low_open,
                                    high_open=high_open, integer=integer)
            if problem:
                raise typer.BadParameter(problem)
        return value

    return check


#: The ranges most options share.
POSITIVE = in_range(0, low_open=True)
NON_NEGATIVE = in_range(0)
COUNT = in_range(1, integer=True)  # a number of things: 1, 2, ...
TOP_K = in_range(0, integer=True)


class Dtype(str, Enum):
    float32 = "float32"
    float64 = "float64"


OutOption = Annotated[
    Path,
    typer.Option(
        "--output", "-o", help="Where to write the matrix: .npy (+ .npy.json sidecar), "
        ".parquet or .csv, chosen by extension.", show_default=False,
    ),
]
ForceOption = Annotated[
    bool, typer.Option("--force", "-f", help="Overwrite the output file if it exists.")
]
LowerBoundOption = Annotated[
    float,
    typer.Option(
        "--lower-bound", "-l", callback=in_range(0, 1, high_open=True),
        help="The paper's lower bound l in [0, 1): S = max(0, S - l) / (1 - l), diagonal 1.",
    ),
]
DtypeOption = Annotated[
    Dtype, typer.Option("--dtype", help="Floating-point type of the saved values.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


def check_output(out: Path, force: bool) -> None:
    """Fail early, before any long build, if ``out`` cannot be written."""
    io.check_writable(out, overwrite=force)


def finish_build(
    S: SimilarityMatrix,
    out: Path,
    *,
    force: bool = False,
    lower_bound: float = 0.0,
    dtype: Dtype | str = Dtype.float64,
    quiet: bool = False,
) -> SimilarityMatrix:
    """Apply the common transforms, validate (warnings shown, one line each), then save
    atomically; an invalid matrix is refused before anything is written."""
    from simmatrix.validate import validate

    if lower_bound:
        S = transforms.lower_bound(S, lower_bound)
    if S.dtype != getattr(dtype, "value", dtype):  # astype copies even to its own dtype
        S = S.astype(getattr(dtype, "value", dtype))
    report = validate(S)
    report.raise_if_invalid()
    for w in report.warnings:
        say(f"simmatrix: warning: {' '.join(str(w).split())}", err=True)
    written = io.save(S, out, overwrite=force, validate=False)
    if not quiet:
        shown = ", ".join(str(p) for p in written)
        say(f"wrote {len(S)}×{len(S)} matrix to {shown}", err=True)
    return S


def say(text: Any, err: bool = False) -> None:
    """Print a line (or lines) of output with anything a terminal would act on escaped.

    Every command prints through this (or :func:`echo_json`): names and metadata come from
    files, and a class name must not recolour the terminal or forge an output line. Show a
    single name with :func:`simmatrix._text.shown` so its own newlines are escaped too.
    """
    typer.echo(escape(text, keep_newlines=True), err=err)


def echo_json(obj: Any) -> None:
    """JSON on stdout; control characters in strings are JSON escapes, never raw."""
    say(json_safe(json.dumps(obj, indent=2, ensure_ascii=False, default=str)))


def require_file(path: Path, what: str = "input file") -> Path:
    """``path`` if it is an existing regular file (never a FIFO, which would hang a read)."""
    return regular_file(path, what)


@contextlib.contextmanager
def progress_bar(label: str):
    """A rich bar on stderr, driven by the builders' ``progress(done, total)`` callback.

    Yields None (no bar) when stderr is not a terminal, so logs stay clean.
    """
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task(label, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


ClassesOption = Annotated[
    Path | None,
    typer.Option("--classes", "-c", help="Class list: one name per line, CSV (index,name), "
                 "a JSON list, CIFAR-100's label file or imagenet_class_index.json.",
                 show_default=False),
]
NamesOption = Annotated[
    str | None,
    typer.Option("--names", help="Inline class list: a,b,c.", show_default=False),
]


def class_list(classes: Path | None, names: str | None, reader=read_classes) -> tuple[str, ...]:
    """The classes from exactly one of ``--classes FILE`` and ``--names a,b,c``."""
    if (classes is None) == (names is None):
        raise BuildError("give the classes with exactly one of --classes FILE or --names a,b,c")
    if classes is not None:
        return reader(require_file(classes, "class list"))
    return parse_names(names)


def read_wordnet_classes(path: Path) -> tuple[str, ...]:
    """A class list for WordNet: ImageNet's ``{"0": [wnid, name]}`` form gives its wnids, and
    so do lines ``wnid words`` (``n01440764 tench, Tinca tinca``: ``LOC_synset_mapping.txt``,
    ``words.txt``)."""
    text = read_text(require_file(path, "class list"), "class list").lstrip()
    if text.startswith("{"):
        data = parse_json(text, f"class list {str(path)!r}")
        first = next(iter(data.values()), None) if isinstance(data, dict) else None
        if isinstance(first, list) and len(first) == 2:
            return read_classes(path, key="id")
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if lines and all(_WNID_LINE.match(ln) for ln in lines):
        return check_classes([ln.split(None, 1)[0] for ln in lines])
    return read_classes(path)


_WNID_LINE = re.compile(r"^\s*[nv]\d{8}\s+\S")
