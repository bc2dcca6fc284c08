"""The root Typer app: every command group in one, and the ``simmatrix`` entry point.

Exit codes: 0 ok, 1 invalid matrix, 2 bad usage or unreadable input, 130 interrupted
(:func:`simmatrix.cli._common.run` maps errors to them).
"""

from __future__ import annotations

from typing import Annotated

import typer

from simmatrix import __version__

from . import build, catalogue, combine, data, matrix_commands, plot, transform
from ._common import run
from ._help import examples, tidy_flag_help

tidy_flag_help()

app = typer.Typer(
    name="simmatrix",
    help="Build, validate, inspect and convert class-similarity matrices for SimLoss.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
)
app.add_typer(build.app, name="build")
app.add_typer(catalogue.app, name="catalogue")
app.add_typer(data.app, name="data")
matrix_commands.register(app)
app.command("transform", epilog=examples(
    "simmatrix transform cifar100-wordnet-wup -o wup-lb.npy --lower-bound 0.5",
    "simmatrix transform S.npy -o S-sharp.parquet --power 2 --top-k 10",
    "simmatrix transform cosines.npy -o S.npy --map-range affine --symmetrize mean",
))(transform.transform)
app.command("combine", epilog=examples(
    "simmatrix combine wordnet.npy embedding.npy -o both.npy",
    "simmatrix combine a.npy b.npy --how product --weights 0.7,0.3 -o ab.npy",
    "simmatrix combine a.parquet b.parquet --intersect --lower-bound 0.3 -o ab.parquet",
))(combine.combine)
app.command("plot", epilog=examples(
    "simmatrix plot cifar100-wordnet-wup -o wup.png",
    "simmatrix plot S.npy -o S.svg --order cluster",
    "simmatrix plot S.npy --row tench --top 15 -o tench.png",
))(plot.plot)


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
