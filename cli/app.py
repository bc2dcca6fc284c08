"""The root Typer app: every command group in one, and the ``simmatrix`` entry point.

Exit codes: 0 ok, 1 invalid matrix, 2 bad usage or unreadable input, 130 interrupted
(:func:`simmatrix.cli._common.run` maps errors to them).
"""

from __future__ import annotations

from typing import Annotated

import typer

from simmatrix import __version__

from . import build, catalogue, combine, data, matrix_commands, plot
from ._common import run

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


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; every expected failure is one line on stderr and a nonzero exit."""
    run(app, argv)
