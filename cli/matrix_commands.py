"""Commands on an existing matrix file: validate, inspect, convert."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simmatrix import io
from simmatrix._text import shown
from simmatrix.errors import InvalidMatrixError, SimMatrixError
from simmatrix.matrix import SimilarityMatrix
from simmatrix.summary import summarize
from simmatrix.validate import validate as validate_matrix

from ._common import ForceOption, JsonOption, echo_json, say

FileArg = Annotated[Path, typer.Argument(help="A matrix file: .npy, .parquet or .csv.",
                                         show_default=False)]


def validate(
    file: FileArg,
    interchangeable: Annotated[
        list[str] | None,
        typer.Option("--interchangeable", "-i", help="A pair of classes that may have "
                     "similarity 1, as A,B (repeatable); silences their warning."),
    ] = None,
    json: JsonOption = False,
) -> None:
    """Check FILE against the SimLoss contract. Exit 0 valid, 1 invalid, 2 unreadable."""
    pairs = [_pair(p) for p in interchangeable or []]
    values, classes, metadata = io.read(file)
    try:
        S = SimilarityMatrix(values, classes, metadata, copy=False)
        report = validate_matrix(S, interchangeable=pairs)
    except InvalidMatrixError:  # structure broken: let validate() describe it
        report = validate_matrix(values, classes, interchangeable=pairs)
    if json:
        echo_json({"file": str(file), **report.to_dict()})
    else:
        for w in report.warnings:
            say(f"warning: {w}", err=True)
        if report.ok:
            st = report.stats
            sym = "symmetric" if st.get("symmetric", True) else "asymmetric"
            say(f"{shown(file)}: valid ({st['n_classes']} classes, {st['dtype']}, {sym})")
        else:
            for e in report.errors:
                say(f"{shown(file)}: {e}", err=True)
    if not report.ok:
        raise typer.Exit(1)


def _pair(text: str) -> tuple[str, str]:
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2 or not all(parts):
        raise SimMatrixError(f"--interchangeable takes two class names as A,B; got {text!r}")
    return parts[0], parts[1]


def inspect(
    file: FileArg,
    top_k: Annotated[int, typer.Option("--top-k", "-k", min=0,
                                       help="Most similar classes shown per class.")] = 3,
    limit: Annotated[int, typer.Option(min=0, help="Classes listed in the text output.")] = 20,
    json: JsonOption = False,
) -> None:
    """Shape, values, symmetry, nearest classes, and how far FILE is from plain cross-entropy."""
    S = io.load(file, validate=False)
    info = summarize(S, top_k=top_k)
    if json:
        echo_json({"file": str(file), **info})
        return
    _print_summary(file, info, limit)


def _print_summary(file: Path, info: dict, limit: int) -> None:
    v, mass = info["values"], info["off_diagonal_mass"]
    n = info["n_classes"]
    if n == 0:
        say(f"file       {shown(file)}\nshape      0 × 0 (no classes: nothing to train on)")
        return
    names = ", ".join(map(shown, info["classes"][:limit])) + (" ..." if n > limit else "")
    lines = [
        f"file       {shown(file)}",
        f"shape      {n} × {n}  {info['dtype']}{'  sparse' if info['sparse'] else ''}",
        f"builder    {shown(info['builder'] or 'unknown')}",
        f"classes    {names}",
        f"values     min {v['min']:.4g}  max {v['max']:.4g}  mean off-diagonal "
        f"{v['mean_off_diagonal']:.4g}  zeros off-diagonal {v['zero_fraction_off_diagonal']:.1%}",
        f"symmetric  {'yes' if info['symmetric'] else 'no'} (max |S - Sᵀ| "
        f"{info['max_asymmetry']:.3g})",
        f"vs. CE     off-diagonal mass per row: mean {mass['mean']:.4g}, max {mass['max']:.4g}; "
        f"{mass['identity_rows']} rows are plain cross-entropy",
        f"valid      {'yes' if info['validation']['valid'] else 'NO'}",
    ]
    for e in info["validation"]["errors"][:5]:
        lines.append(f"  error    {e}")
    for w in info["validation"]["warnings"]:
        lines.append(f"  warning  {w}")
    hist = v["histogram_off_diagonal"]
    total = max(1, sum(hist["counts"]))
    lines.append("histogram  off-diagonal values")
    for lo, hi, c in zip(hist["edges"], hist["edges"][1:], hist["counts"]):
        bar = "█" * round(40 * c / total)
        lines.append(f"  [{lo:.1f}, {hi:.1f}{']' if hi == 1 else ')'} {c:>10}  {bar}")
    if any(info["top_k"].values()):
        lines.append("nearest    (most similar predicted classes per true class)")
        for c in info["classes"][:limit]:
            near = ", ".join(f"{shown(d)} {s:.3g}" for d, s in info["top_k"][c])
            lines.append(f"  {shown(c)}: {near}")
        if n > limit:
            lines.append(f"  ... {n - limit} more (use --limit or --json)")
    say("\n".join(lines))


def convert(
    source: Annotated[Path, typer.Argument(help="Input matrix file.", show_default=False)],
    target: Annotated[Path, typer.Argument(help="Output file; format by extension.",
                                           show_default=False)],
    force: ForceOption = False,
) -> None:
    """Convert between .npy, .parquet and .csv (by extension); validates on the way."""
    io.check_writable(target, overwrite=force)
    S = io.load(source)
    if source.resolve() == target.resolve():
        raise SimMatrixError("input and output are the same file")
    written = io.save(S, target, overwrite=force)
    say(f"wrote {', '.join(map(str, written))}", err=True)


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)
    app.command("inspect")(inspect)
    app.command("convert")(convert)
