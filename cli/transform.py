"""``simmatrix transform``: lower-bound, sharpen, symmetrise, map or top-k a built matrix.

Each option is one function of :mod:`simmatrix.transforms`; they run in one fixed order
(map-range, symmetrize, power, lower-bound, top-k), whatever the order on the command line,
and each is recorded in the saved file's ``metadata["transforms"]``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simmatrix import io, transforms
from simmatrix.errors import BuildError

from ._common import (
    POSITIVE,
    TOP_K,
    Dtype,
    DtypeOption,
    ForceOption,
    LowerBoundOption,
    OutOption,
    check_output,
    finish_build,
)
from ._help import examples
from .build_confusion import Symmetrize
from .build_embedding import Mapping as MapRange

app = typer.Typer()

ORDER = "map-range, symmetrize, power, lower-bound, top-k"


@app.command("transform", epilog=examples(
    "simmatrix transform cifar100-wordnet-wup -o wup-lb.npy --lower-bound 0.5",
    "simmatrix transform S.npy -o S-sharp.parquet --power 2 --top-k 10",
    "simmatrix transform cosines.npy -o S.npy --map-range affine --symmetrize mean",
))
def transform(
    file: Annotated[Path, typer.Argument(
        metavar="IN", help="A matrix file (.npy, .parquet, .csv) or catalogue name.",
        show_default=False)],
    out: OutOption,
    lower_bound: LowerBoundOption = 0.0,
    power: Annotated[float | None, typer.Option(
        "--power", "-p", callback=POSITIVE, help="S ** P: P > 1 sharpens (less credit for "
        "near misses), P < 1 softens.", show_default=False)] = None,
    top_k: Annotated[int | None, typer.Option(
        "--top-k", "-k", callback=TOP_K, help="Keep the diagonal and each row's K largest other "
        "entries (sparse when saved as .parquet).", show_default=False)] = None,
    symmetrize: Annotated[Symmetrize | None, typer.Option(
        "--symmetrize", help="Make S symmetric: mean (S + Sᵀ)/2 or max(S, Sᵀ).",
        show_default=False)] = None,
    map_range: Annotated[MapRange | None, typer.Option(
        "--map-range", help="Map raw values in [-1, 1] (cosines) to [0, 1]: clip negatives "
        "to 0, or affine (1 + s)/2. The input need not be valid with this option.",
        show_default=False)] = None,
    dtype: DtypeOption = Dtype.float64,
    force: ForceOption = False,
) -> None:
    """Transform IN and save it to OUT; steps run in the order map-range, symmetrize,
    power, lower-bound, top-k, and each is recorded in the file's metadata."""
    if not (lower_bound or power is not None or top_k is not None or symmetrize
            or map_range):
        raise BuildError("nothing to do: give at least one of --lower-bound, --power, "
                         "--top-k, --symmetrize or --map-range")
    check_output(out, force)
    S = io.load(file, validate=map_range is None)
    if map_range is not None:
        S = transforms.map_range(S, map_range.value)
    if symmetrize is not None:
        S = transforms.symmetrize(S, symmetrize.value)
    if power is not None:
        S = transforms.power(S, power)
    if lower_bound:
        S = transforms.lower_bound(S, lower_bound)
    if top_k is not None:
        S = transforms.top_k(S, top_k, sparse=out.suffix.lower() == ".parquet")
    finish_build(S, out, force=force, dtype=dtype)  # validates, then writes atomically

