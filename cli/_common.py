"""What every command shares: option types, error handling, and the one way to save a build.

A command is thin: it parses options, calls the library, and hands the result to
:func:`finish_build`, which applies the common transforms (lower bound, dtype), validates,
and writes atomically. Errors from the library are :class:`simmatrix.SimMatrixError`s;
:func:`run`, through which the entry point (:func:`simmatrix.cli.main`) and the catalogue's
recipes run the app, prints them as one line and exits with their code.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import sys
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from simmatrix import io, transforms
from simmatrix.errors import BuildError, MatrixFileError, MissingDependencyError, SimMatrixError
from simmatrix.matrix import SimilarityMatrix
from simmatrix.sources.classlist import parse_names, read_classes


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
        "--lower-bound", "-l", min=0.0, max=1.0,
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
    """Apply the common transforms, then save atomically (io.save validates first)."""
    if lower_bound:
        S = transforms.lower_bound(S, lower_bound)
    S = S.astype(getattr(dtype, "value", dtype))
    written = io.save(S, out, overwrite=force)  # validates before writing anything
    if not quiet:
        shown = ", ".join(str(p) for p in written)
        typer.echo(f"wrote {len(S)}×{len(S)} matrix to {shown}", err=True)
    return S


def echo_json(obj: Any) -> None:
    typer.echo(json.dumps(obj, indent=2, ensure_ascii=False, default=str))


def require_file(path: Path, what: str = "input file") -> Path:
    if not path.exists():
        raise MatrixFileError(f"{what} {str(path)!r} does not exist")
    if path.is_dir():
        raise MatrixFileError(f"{what} {str(path)!r} is a folder, not a file")
    return path


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
    """A class list for WordNet: ImageNet's ``{"0": [wnid, name]}`` form gives its wnids."""
    text = path.read_text(encoding="utf-8-sig", errors="replace").lstrip()
    if text.startswith("{"):
        try:
            first = next(iter(json.loads(text).values()), None)
        except (json.JSONDecodeError, AttributeError):
            first = None
        if isinstance(first, list) and len(first) == 2:
            return read_classes(path, key="id")
    return read_classes(path)


# -- the way every run ends ------------------------------------------------------------------
# Newer typer ships its own copy of click and raises that copy's exceptions; older typer
# raises click's. Catch whichever are importable.
_CLICK_EXCEPTIONS = []
for _mod in ("typer._click.exceptions", "click.exceptions"):
    try:
        _CLICK_EXCEPTIONS.append(importlib.import_module(_mod))
    except ImportError:
        pass


def _one_line(message: str) -> str:
    return " ".join(str(message).split())


def _exc(name: str) -> tuple[type[BaseException], ...]:
    """The click exception ``name`` from click and from typer's copy of it."""
    found = {getattr(m, name, None) for m in _CLICK_EXCEPTIONS} - {None}
    return tuple(found) or (_Never,)


class _Never(Exception):
    """Stands in for an exception class this click version does not have."""


def run(command: Callable[..., Any], argv: list[str] | None) -> NoReturn:
    """Run ``command`` (the root app) on ``argv`` and exit: every expected failure is one
    line on stderr and a nonzero exit code, never a traceback."""
    try:
        code = command(args=argv, standalone_mode=False, prog_name="simmatrix")
    except SimMatrixError as exc:
        typer.echo(f"simmatrix: error: {_one_line(exc)}", err=True)
        code = exc.exit_code
    except MissingDependencyError as exc:
        typer.echo(f"simmatrix: error: {_one_line(exc)}", err=True)
        code = 2
    except _exc("NoArgsIsHelpError") as exc:
        # A bare group (``simmatrix build``): show its help, as click does, and exit 2.
        typer.echo(exc.ctx.get_help() if exc.ctx else "", err=True)
        code = 2
    except _exc("UsageError") as exc:
        where = f" (see: {exc.ctx.command_path} --help)" if exc.ctx else ""
        typer.echo(f"simmatrix: error: {_one_line(exc.format_message())}{where}", err=True)
        code = 2
    except _exc("Abort"):
        typer.echo("simmatrix: interrupted; no output was written", err=True)
        code = 130
    except KeyboardInterrupt:
        typer.echo("simmatrix: interrupted; no output was written", err=True)
        code = 130
    except _exc("ClickException") as exc:
        typer.echo(f"simmatrix: error: {_one_line(exc.format_message())}", err=True)
        code = exc.exit_code
    except OSError as exc:
        typer.echo(f"simmatrix: error: {_one_line(exc)}", err=True)
        code = 2
    sys.exit(code if isinstance(code, int) else 0)
