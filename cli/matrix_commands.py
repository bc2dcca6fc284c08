"""Commands on an existing matrix file: validate, inspect, convert."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simmatrix import io
from simmatrix._text import escape, shown
from simmatrix.errors import InvalidMatrixError, SimMatrixError
from simmatrix.matrix import SimilarityMatrix
from simmatrix.summary import find_row, human_names, nearest_in_row, summarize
from simmatrix.validate import validate as validate_matrix

from ._common import ForceOption, JsonOption, echo_json, say
from ._help import examples

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
    row: Annotated[str | None, typer.Option(help="Show this class's nearest classes (a class, "
                                            "or the human name of a wnid: tench).")] = None,
    class_index: Annotated[Path | None, typer.Option(
        help="imagenet_class_index.json: human names for wnid classes (default: WordNet's "
             "first lemma, when WordNet is installed).", show_default=False)] = None,
    json: JsonOption = False,
) -> None:
    """Shape, values, symmetry, nearest classes, and how far FILE is from plain cross-entropy.

    Classes that are ImageNet wnids (n01440764) are shown with their human name (tench).
    """
    S = io.load(file, validate=False)
    names = human_names(S.classes, class_index, S.metadata)
    picked = find_row(S, row, names) if row is not None else None
    info = summarize(S, top_k=top_k)
    if names:
        info["human_names"] = names
    if picked is not None:
        near = nearest_in_row(S, picked, max(top_k, 1) if top_k else 10)
        info["row"] = {"class": S.classes[picked], "name": names.get(S.classes[picked]),
                       "nearest": [[S.classes[j], names.get(S.classes[j]), round(v, 6)]
                                   for j, v in near]}
    if json:
        echo_json({"file": str(file), **info})
        return
    _print_summary(file, info, limit, names)


def _print_summary(file: Path, info: dict, limit: int, names: dict[str, str]) -> None:
    def label(c: str) -> str:  # "n01440764 (tench)" where a human name is known
        return f"{shown(c)} ({shown(names[c])})" if c in names else shown(c)

    v, mass = info["values"], info["off_diagonal_mass"]
    n = info["n_classes"]
    if n == 0:
        say(f"file       {shown(file)}\nshape      0 × 0 (no classes: nothing to train on)")
        return
    listed = ", ".join(map(label, info["classes"][:limit])) + (" ..." if n > limit else "")
    lines = [
        f"file       {shown(file)}",
        f"shape      {n} × {n}  {info['dtype']}{'  sparse' if info['sparse'] else ''}",
        f"builder    {shown(info['builder'] or 'unknown')}",
        *_provenance(info["metadata"]),
        f"classes    {listed}",
        f"values     min {v['min']:.4g}  max {v['max']:.4g}  mean off-diagonal "
        f"{v['mean_off_diagonal']:.4g}  zeros off-diagonal {v['zero_fraction_off_diagonal']:.1%}",
        f"symmetric  {'yes' if info['symmetric'] else 'no'} (max |S - Sᵀ| "
        f"{info['max_asymmetry']:.3g}){_sparse_note(info)}",
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
        last = hi == hist["edges"][-1]
        lines.append(f"  [{lo:.3g}, {hi:.3g}{']' if last else ')'} {c:>10}  {bar}")
    if any(info["top_k"].values()):
        lines.append("nearest    (most similar predicted classes per true class)")
        for c in info["classes"][:limit]:
            near = ", ".join(f"{label(d)} {s:.3g}" for d, s in info["top_k"][c]) \
                or "(none above 0)"
            lines.append(f"  {label(c)}: {near}")
        if n > limit:
            lines.append(f"  ... {n - limit} more (use --limit or --json)")
    if "row" in info:
        r = info["row"]
        lines.append(f"row        {label(r['class'])}: most similar predicted classes")
        for d, _, s in r["nearest"]:
            lines.append(f"  {label(d)} {s:.4g}")
        if not r["nearest"]:
            lines.append("  (none above 0: this row is plain cross-entropy)")
    say("\n".join(lines))


def _sparse_note(info: dict) -> str:
    """Why a top-k matrix is asymmetric: the definition is the dense one (validate's)."""
    if info["sparse"] and not info["symmetric"]:
        return "; entries not stored count as 0, so a pair kept in one row only is asymmetric"
    return ""


def _provenance(meta: dict) -> list[str]:
    """Text lines for how the matrix was made: parameters, transforms, chosen synsets.

    Everything comes from the file, so every piece is printed through ``escape``.
    """
    lines = []
    params = meta.get("params")
    if isinstance(params, dict) and params:
        text = "  ".join(f"{k} {v}" for k, v in params.items() if v is not None)
        lines.append(f"params     {escape(text)}")
    steps = [t for t in meta.get("transforms") or [] if isinstance(t, dict)]
    if steps:
        text = ", ".join(
            f"{t.get('name', '?')}(" + ", ".join(f"{k}={v}" for k, v in t.items()
                                                  if k != "name") + ")" for t in steps)
        lines.append(f"transforms {escape(text)}")
    synsets = meta.get("synsets")
    if isinstance(synsets, dict) and synsets:
        first = list(synsets.items())[:5]
        more = f" ... {len(synsets) - 5} more (--json)" if len(synsets) > 5 else ""
        text = ", ".join(f"{c} → {v.get('synset', '?') if isinstance(v, dict) else v}"
                         for c, v in first)
        lines.append(f"synsets    {escape(text)}{more}")
    return lines


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


def report(
    file: Annotated[Path, typer.Argument(help="A matrix file or catalogue name.",
                                         show_default=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="The page to write (.html).",
                                         show_default=False)],
    order: Annotated[str, typer.Option(help="Heatmap order: auto, cluster, tree or given "
                                       "(auto: a hierarchy's leaf order, clustered "
                                       "otherwise).")] = "auto",
    class_index: Annotated[Path | None, typer.Option(
        help="imagenet_class_index.json: human names for wnid classes (default: WordNet's "
             "first lemma, when WordNet is installed).", show_default=False)] = None,
    force: ForceOption = False,
) -> None:
    """Write one self-contained HTML page about FILE: heatmap, search, validation, provenance.

    The page opens offline (no network, no external scripts or fonts). Invalid matrices get
    a page too, with their errors listed.
    """
    from simmatrix._files import check_writable
    from simmatrix.plot import ORDERS
    from simmatrix.report import write_report

    if output.suffix.lower() not in (".html", ".htm"):
        raise SimMatrixError(f"'{output}': the report is an HTML page; name it *.html")
    if order not in ORDERS:
        raise SimMatrixError(f"--order must be one of {', '.join(ORDERS)}, got {order!r}")
    check_writable([output], force)
    S = io.load(file, validate=False)
    names = human_names(S.classes, class_index, S.metadata)
    write_report(S, output, overwrite=force, source=str(file), order=order, names=names)
    say(f"wrote {output}", err=True)


app = typer.Typer()
app.command("validate", epilog=examples(
    "simmatrix validate S.npy",
    "simmatrix validate S.parquet --json",
    "simmatrix validate S.npy -i couch,sofa",
))(validate)
app.command("inspect", epilog=examples(
    "simmatrix inspect cifar100-wordnet-wup",
    "simmatrix inspect S.parquet --top-k 5 --limit 50",
    "simmatrix inspect S.npy --json",
    "simmatrix inspect imagenet1k-wordnet-wup --row tench",
))(inspect)
app.command("report", epilog=examples(
    "simmatrix report cifar100-wordnet-wup -o cifar100.html",
    "simmatrix report S.parquet -o S.html --force",
    "simmatrix report cifar100-hierarchy-lca -o lca.html --order cluster",
))(report)
app.command("convert", epilog=examples(
    "simmatrix convert S.npy S.parquet",
    "simmatrix convert cifar10-glove cifar10-glove.csv --force",
))(convert)
