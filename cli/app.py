"""The root Typer app and the entry point that turns errors into one line and an exit code.

Exit codes: 0 ok, 1 invalid matrix, 2 bad usage or unreadable input, 130 interrupted.
"""

from __future__ import annotations

import importlib
import sys
from typing import Annotated

import typer

from simmatrix import __version__
from simmatrix.errors import MissingDependencyError, SimMatrixError

from . import build, catalogue, combine, data, matrix_commands, plot

# Newer typer ships its own copy of click and raises that copy's exceptions; older typer
# raises click's. Catch whichever are importable.
_CLICK_EXCEPTIONS = []
for _mod in ("typer._click.exceptions", "click.exceptions"):
    try:
        _CLICK_EXCEPTIONS.append(importlib.import_module(_mod))
    except ImportError:
        pass

app = typer.Typer(
    name="simmatrix",
    help="Build, validate, inspect and convert class-similarity matrices for SimLoss.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(build.app, name="build")
app.add_typer(catalogue.app, name="catalogue")
app.add_typer(data.app, name="data")
matrix_commands.register(app)
app.command("combine")(combine.combine)
app.command("plot")(plot.plot)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"simmatrix {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Build, validate, inspect and convert class-similarity matrices for SimLoss."""


def _one_line(message: str) -> str:
    return " ".join(str(message).split())


def _exc(name: str) -> tuple[type[BaseException], ...]:
    """The click exception ``name`` from click and from typer's copy of it."""
    found = {getattr(m, name, None) for m in _CLICK_EXCEPTIONS} - {None}
    return tuple(found) or (_Never,)


class _Never(Exception):
    """Stands in for an exception class this click version does not have."""


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; every expected failure is one line on stderr and a nonzero exit."""
    try:
        code = app(args=argv, standalone_mode=False, prog_name="simmatrix")
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
