"""``simmatrix build ...``: one sub-command per builder, each in its own module."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from simmatrix._memory import ensure_dense_fits
from simmatrix.builders.order import KERNELS, order_matrix
from simmatrix.errors import BuildError, SimMatrixError
from simmatrix.sources.classlist import read_classes

from ._common import (
    Dtype,
    DtypeOption,
    ForceOption,
    LowerBoundOption,
    OutOption,
    check_output,
    finish_build,
)

app = typer.Typer(help="Build a similarity matrix from a source of knowledge.",
                  no_args_is_help=True)


def _parse_values(text: str) -> list[float]:
    """``1,2,5,10`` or an inclusive range ``START:STOP[:STEP]`` such as ``1:90``."""
    text = text.replace(" ", "")
    try:
        if ":" in text and "," not in text:
            parts = [float(x) for x in text.split(":")]
            if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] <= 0):
                raise ValueError
            if not all(np.isfinite(parts)):
                raise BuildError(f"--values {text!r}: a range needs finite START, STOP and STEP")
            start, stop, step = parts[0], parts[1], parts[2] if len(parts) == 3 else 1.0
            count = np.floor((stop - start) / step + 1e-9) + 1
            if not 1 <= count < 2**62:
                raise ValueError
            ensure_dense_fits(int(count), "float32", f"--values {text}")
            return (start + step * np.arange(int(count))).tolist()
        return [float(x) for x in text.split(",") if x]
    except SimMatrixError:
        raise
    except ValueError:
        raise BuildError(
            f"--values must be numbers separated by commas or a range START:STOP[:STEP], "
            f"got {text!r}"
        ) from None


@app.command("order")
def order(
    output: OutOption,
    classes: Annotated[
        int | None,
        typer.Option("--classes", "-n", min=1, help="Number of equidistant classes 0..N-1."),
    ] = None,
    values: Annotated[
        str | None,
        typer.Option(help="Class values: 1,2,5,10 (ages with gaps, bin centres) or a "
                     "range 1:90 (inclusive, optional :STEP)."),
    ] = None,
    names_file: Annotated[
        Path | None,
        typer.Option("--names-file", help="Class names, one per line (or CSV/JSON), in order."),
    ] = None,
    reduction: Annotated[
        float, typer.Option("--reduction", "-r", help="Reduction factor r in [0, 1): S = r^d.")
    ] = 0.8,
    kernel: Annotated[
        str, typer.Option(help=f"Kernel on the distance d: {' or '.join(KERNELS)}.")
    ] = "exponential",
    sigma: Annotated[
        float | None, typer.Option(help="Width of the gaussian kernel exp(-(d/sigma)^2/2).")
    ] = None,
    unit: Annotated[float, typer.Option(help="Distance that counts as one step.")] = 1.0,
    circular: Annotated[
        float | None,
        typer.Option(help="Period of a circular scale (24 for hours): d = min(d, P - d)."),
    ] = None,
    lower_bound: LowerBoundOption = 0.0,
    dtype: DtypeOption = Dtype.float64,
    force: ForceOption = False,
) -> None:
    """Ordered classes (ages, ratings, hours): S_ij = r^|v_i - v_j| (the paper's eq. 2)."""
    check_output(output, force)
    names = list(read_classes(names_file)) if names_file is not None else None
    vals = _parse_values(values) if values is not None else None
    S = order_matrix(classes, values=vals, names=names, reduction=reduction, kernel=kernel,
                     sigma=sigma, unit=unit, circular=circular, dtype=Dtype(dtype).value)
    finish_build(S, output, force=force, lower_bound=lower_bound, dtype=dtype)



# One module per builder; registered here in the order the help lists them.
from . import (  # noqa: E402
    build_confusion,
    build_embedding,
    build_hierarchy,
    build_table,
    build_wordnet,
)

app.command("wordnet")(build_wordnet.wordnet)
app.command("embedding")(build_embedding.embedding)
app.command("hierarchy")(build_hierarchy.hierarchy)
app.command("confusion")(build_confusion.confusion)
app.command("table")(build_table.table)
