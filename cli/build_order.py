"""``simmatrix build order``: ordered classes (ages, ratings, hours), S_ij = r^|v_i - v_j|."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from simmatrix._memory import ensure_dense_fits
from simmatrix.builders.order import KERNELS, order_matrix
from simmatrix.errors import BuildError, SimMatrixError

from ._common import (
    COUNT,
    POSITIVE,
    Dtype,
    DtypeOption,
    ForceOption,
    LowerBoundOption,
    NamesOption,
    OutOption,
    check_number,
    check_output,
    class_list,
    finish_build,
    in_range,
)
from ._help import examples

app = typer.Typer()


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
        vals = [float(x) for x in text.split(",") if x]
    except SimMatrixError:
        raise
    except ValueError:
        raise BuildError(
            f"--values must be numbers separated by commas or a range START:STOP[:STEP], "
            f"got {text!r}"
        ) from None
    for v in vals:
        check_number("--values", v)
    if vals and not np.isfinite(max(vals) - min(vals)):
        raise BuildError(f"--values {text!r}: the largest minus the smallest value overflows "
                         "float64; rescale the values (only their differences matter)")
    return vals


@app.command("order", epilog=examples(
    "simmatrix build order --n-classes 10 --reduction 0.8 -o S.npy",
    "simmatrix build order --values 1:90 -o ages.parquet",
    "simmatrix build order --values 0:23 --circular 24 -c hours.txt -o S.npy",
))
def order(
    output: OutOption,
    n_classes: Annotated[
        int | None,
        typer.Option("--n-classes", "-n", callback=COUNT,
                     help="Number of equidistant classes 0..N-1.", show_default=False),
    ] = None,
    values: Annotated[
        str | None,
        typer.Option(help="Class values: 1,2,5,10 (ages with gaps, bin centres) or a "
                     "range 1:90 (inclusive, optional :STEP).", show_default=False),
    ] = None,
    classes: Annotated[
        str | None,
        typer.Option("--classes", "-c", "--names-file", metavar="<path>",
                     help="Class names in order: one per line, CSV or JSON.",
                     show_default=False),
    ] = None,
    names: NamesOption = None,
    reduction: Annotated[
        float, typer.Option("--reduction", "-r", callback=in_range(0, 1, high_open=True),
                            help="Reduction factor r in [0, 1): S = r^d.")
    ] = 0.8,
    kernel: Annotated[
        str, typer.Option(help=f"Kernel on the distance d: {', '.join(KERNELS)} (the last "
                          f"five: dlordinal's soft labels, rescaled so S_ii = 1).")
    ] = "exponential",
    sigma: Annotated[
        float | None, typer.Option(callback=POSITIVE,
                                   help="Width of the gaussian kernel exp(-(d/sigma)^2/2).")
    ] = None,
    alpha: Annotated[
        float | None,
        typer.Option(callback=in_range(0, 1), help="The triangular kernel's tail mass (0.01) "
                     "or the geometric "
                     "kernel's off-diagonal mass (0.1).", show_default=False),
    ] = None,
    unit: Annotated[float, typer.Option(callback=POSITIVE,
                                         help="Distance that counts as one step.")] = 1.0,
    circular: Annotated[
        float | None,
        typer.Option(callback=POSITIVE,
                     help="Period of a circular scale (24 for hours): d = min(d, P - d)."),
    ] = None,
    lower_bound: LowerBoundOption = 0.0,
    dtype: DtypeOption = Dtype.float64,
    force: ForceOption = False,
) -> None:
    """Ordered classes (ages, ratings, hours): S_ij = r^|v_i - v_j| (the paper's eq. 2)."""
    if sigma is not None and kernel != "gaussian":
        raise BuildError(f"--sigma applies to --kernel gaussian, not to {kernel!r}; drop it "
                         "or add --kernel gaussian")
    check_output(output, force)
    labels = _order_names(classes, names)
    vals = _parse_values(values) if values is not None else None
    S = order_matrix(n_classes, values=vals, names=labels, reduction=reduction, kernel=kernel,
                     sigma=sigma, unit=unit, circular=circular, dtype=Dtype(dtype).value,
                     alpha=alpha)
    finish_build(S, output, force=force, lower_bound=lower_bound, dtype=dtype)


def _order_names(classes: str | None, names: str | None) -> list[str] | None:
    """The class names of ``build order``: ``--classes FILE`` or ``--names a,b,c``."""
    if classes is None and names is None:
        return None
    if classes is not None and classes.strip().isdigit() and not Path(classes).exists():
        raise BuildError(f"--classes takes a class-list file (as in every command); for "
                         f"{classes.strip()} equidistant classes use --n-classes "
                         f"{classes.strip()}")
    return list(class_list(Path(classes) if classes is not None else None, names))
