"""The root Typer app: every command group in one, and the ``simmatrix`` entry point.

A command's module is imported, and its click command built, only when the command line
names it (``simmatrix build order`` loads cli/build.py and cli/build_order.py, no other
builder): :data:`RootGroup.lazy` is the one table of what the root holds.

Exit codes: 0 ok, 1 invalid matrix, 2 bad usage or unreadable input, 130 interrupted
(:func:`simmatrix.cli._common.run` maps errors to them).
"""

from __future__ import annotations

from typing import Annotated

import typer

from simmatrix import __version__

from ._help import tidy_flag_help
from ._lazy import LazyGroup
from ._run import run

tidy_flag_help()


class RootGroup(LazyGroup):
    # command -> module whose ``app`` defines it (for a group: is it), in the help's order
    lazy = {
        "validate": "matrix_commands",
        "inspect": "matrix_commands",
        "report": "matrix_commands",
        "convert": "matrix_commands",
        "transform": "transform",
        "combine": "combine",
        "plot": "plot",
        "build": "build",
        "catalogue": "catalogue",
        "data": "data",
    }


app = typer.Typer(
    name="simmatrix",
    cls=RootGroup,
    help="Build, validate, inspect and convert class-similarity matrices for SimLoss.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
)


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
