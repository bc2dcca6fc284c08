"""``simmatrix build confusion``: a similarity matrix from a model's confusion matrix."""

from __future__ import annotations

import warnings
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from simmatrix.sources.classlist import read_classes

from ._common import (
    NON_NEGATIVE,
    Dtype,
    DtypeOption,
    ForceOption,
    LowerBoundOption,
    OutOption,
    check_output,
    finish_build,
    require_file,
    say,
)
from ._help import examples

app = typer.Typer()


class Symmetrize(str, Enum):
    mean = "mean"
    max = "max"


class Missing(str, Enum):
    error = "error"
    identity = "identity"


class Scale(str, Enum):
    diagonal = "diagonal"
    row_max = "row-max"


@app.command("confusion", epilog=examples(
    "simmatrix build confusion --matrix counts.csv -o S.npy",
    "simmatrix build confusion --pairs preds.csv --symmetrize mean -o S.npy",
    "simmatrix build confusion --matrix counts.npy -c classes.txt --smoothing 1 -o S.npy",
))
def confusion(
    out: OutOption,
    matrix: Annotated[Path | None, typer.Option(
        "--matrix", help="C×C counts, row = true class, column = predicted: .npy, or .csv "
        "with class names in the header row and first column.")] = None,
    pairs: Annotated[Path | None, typer.Option(
        "--pairs", help="Two-column CSV of true,predicted labels (names or indices).")] = None,
    labels: Annotated[Path | None, typer.Option(
        "--labels", help=".npy array of true labels (with --predictions).")] = None,
    predictions: Annotated[Path | None, typer.Option(
        "--predictions", help=".npy array of predicted labels (with --labels).")] = None,
    classes: Annotated[Path | None, typer.Option(
        "--classes", "-c", help="Class list (names and order); needed to name a .npy "
        "matrix.")] = None,
    smoothing: Annotated[float, typer.Option(
        "--smoothing", callback=NON_NEGATIVE,
        help="Additive smoothing α added to every count.")] = 0.0,
    symmetrize: Annotated[Symmetrize | None, typer.Option(
        "--symmetrize", help="Symmetrise S: mean or max of S_ij and S_ji.")] = None,
    scale: Annotated[Scale, typer.Option(
        "--scale", help="diagonal: min(1, P_ij / P_ii); row-max: P_ij / max_k P_ik.")]
        = Scale.diagonal,
    missing: Annotated[Missing, typer.Option(
        "--missing", help="A class never seen as a true label: error, or identity row.")]
        = Missing.error,
    force: ForceOption = False,
    lower_bound: LowerBoundOption = 0.0,
    dtype: DtypeOption = Dtype.float64,
) -> None:
    """Build S from a confusion matrix: row-normalise, scale the diagonal to 1."""
    from simmatrix.builders.confusion import ConfusionScalingWarning, build_confusion

    check_output(out, force)
    for path, what in ((matrix, "confusion matrix"), (pairs, "pairs file"),
                       (labels, "labels file"), (predictions, "predictions file"),
                       (classes, "class list")):
        if path is not None:
            require_file(path, what)
    names = read_classes(classes) if classes is not None else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConfusionScalingWarning)
        S = build_confusion(
            matrix=matrix, pairs=pairs, labels=labels, predictions=predictions, classes=names,
            smoothing=smoothing, scale=scale.value, missing=missing.value,
            symmetrize=symmetrize.value if symmetrize else None,
        )
    for w in caught:
        say(f"simmatrix: warning: {w.message}", err=True)
    finish_build(S, out, force=force, lower_bound=lower_bound, dtype=dtype)
