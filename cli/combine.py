"""``simmatrix combine``: one matrix from several, classes aligned by name."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from simmatrix import io
from simmatrix.combine import combine as combine_matrices
from simmatrix.errors import BuildError
from simmatrix.matrix import fingerprint_file

from ._common import (
    Dtype,
    DtypeOption,
    ForceOption,
    LowerBoundOption,
    OutOption,
    check_number,
    check_output,
    finish_build,
    say,
)
from ._help import examples

app = typer.Typer()


class How(str, Enum):
    mean = "mean"
    product = "product"
    max = "max"
    min = "min"


def _parse_weights(text: str) -> list[float]:
    try:
        weights = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise BuildError(f"--weights must be comma-separated numbers, got {text!r}") from None
    for w in weights:
        check_number("--weights", w, 0)
    check_number("--weights (their sum)", sum(weights), 0, low_open=True)
    return weights


@app.command("combine", epilog=examples(
    "simmatrix combine wordnet.npy embedding.npy -o both.npy",
    "simmatrix combine a.npy b.npy --how product --weights 0.7,0.3 -o ab.npy",
    "simmatrix combine a.parquet b.parquet --intersect --lower-bound 0.3 -o ab.parquet",
))
def combine(
    inputs: Annotated[list[Path], typer.Argument(
        help="Two or more matrix files (.npy, .parquet, .csv).", show_default=False)],
    out: OutOption,
    how: Annotated[How, typer.Option(
        "--how", help="mean (weighted), product (weighted: geometric mean), max or min.")]
        = How.mean,
    weights: Annotated[str | None, typer.Option(
        "--weights", help="One weight per input, e.g. 0.7,0.3 (normalised to sum 1).")]
        = None,
    intersect: Annotated[bool, typer.Option(
        "--intersect", help="Keep only the classes every input has (instead of failing).")]
        = False,
    lower_bound: LowerBoundOption = 0.0,
    force: ForceOption = False,
    dtype: DtypeOption = Dtype.float64,
) -> None:
    """Combine matrices elementwise; classes are matched by name, not position.

    --lower-bound applies the paper's lower bound to the combined matrix."""
    if len(inputs) < 2:
        raise BuildError(f"combine needs at least two matrices, got {len(inputs)}")
    check_output(out, force)
    parsed = _parse_weights(weights) if weights is not None else None  # before any load
    # combine() validates every input and names it in the error; loading does not repeat it
    matrices = [io.load(p, validate=False) for p in inputs]
    S = combine_matrices(
        matrices, how=how.value, intersect=intersect,
        weights=parsed,
        labels=[p.name for p in inputs], sources=[fingerprint_file(p) for p in inputs],
    )
    dropped = S.metadata["dropped_classes"]
    if dropped:
        say(f"simmatrix: --intersect dropped {len(dropped)} classes not in every "
                   f"input; kept {len(S)}", err=True)
    finish_build(S, out, force=force, lower_bound=lower_bound, dtype=dtype)
