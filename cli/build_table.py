"""``simmatrix build table``: a similarity matrix from a hand-written table of scores."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from ._common import (
    Dtype,
    DtypeOption,
    ForceOption,
    LowerBoundOption,
    OutOption,
    check_output,
    finish_build,
    require_file,
)
from ._help import examples

app = typer.Typer()


class Rescale(str, Enum):
    global_ = "global"
    row = "row"


@app.command("table", epilog=examples(
    "simmatrix build table --table scores.csv --rescale global -o S.npy",
    "simmatrix build table --table scores.tsv --rescale row --lower-bound 0.2 -o S.parquet",
))
def table(
    out: OutOption,
    table_file: Annotated[Path, typer.Option(
        "--table", help="CSV/TSV: class names in the header row and the first column, any "
        "order; cell (a, b) scores predicting b for true class a, on any scale.",
        show_default=False)],
    rescale: Annotated[Rescale, typer.Option(
        "--rescale", help="Map scores to [0, 1] by the table's min and max (global) or each "
        "row's own (row). Required: there is no default.", show_default=False)],
    force: ForceOption = False,
    lower_bound: LowerBoundOption = 0.0,
    dtype: DtypeOption = Dtype.float64,
) -> None:
    """Build S from a labelled score table: rescale to [0, 1], diagonal 1, validate."""
    from simmatrix.builders.table import build_table

    check_output(out, force)
    S = build_table(require_file(table_file, "score table"), rescale=rescale.value)
    finish_build(S, out, force=force, lower_bound=lower_bound, dtype=dtype)
