"""``simmatrix plot``: a heatmap of a matrix, or one class's neighbours as bars."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simmatrix import io
from simmatrix._files import atomic_path, check_writable
from simmatrix.errors import MatrixFileError
from simmatrix.plot import ORDERS, SCALES, heatmap, neighbours
from simmatrix.summary import find_row, human_names

from ._common import ForceOption, say
from ._help import examples

app = typer.Typer()

IMAGE_TYPES = (".png", ".svg", ".pdf")


@app.command("plot", epilog=examples(
    "simmatrix plot cifar100-wordnet-wup -o wup.png",
    "simmatrix plot S.npy -o S.svg --order cluster",
    "simmatrix plot S.npy --row tench --top 15 -o tench.png",
))
def plot(
    file: Annotated[Path, typer.Argument(help="A matrix file or catalogue name.",
                                         show_default=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="Image: .png, .svg or .pdf.",
                                         show_default=False)],
    row: Annotated[str | None, typer.Option(help="Draw this class's neighbours as bars (a "
                                            "class, or a wnid's human name: tench).")]
    = None,
    top: Annotated[int, typer.Option(min=1, help="Neighbours shown with --row.")] = 20,
    order: Annotated[str, typer.Option(help=f"Heatmap order: {', '.join(ORDERS)} (auto: "
                                       "a hierarchy's leaf order, clustered otherwise).")]
    = "auto",
    scale: Annotated[str, typer.Option(help=f"Colour scale: {' or '.join(SCALES)} "
                                       "(off-diagonal spans 0 to the largest off-diagonal "
                                       "value).")] = "off-diagonal",
    title: Annotated[str | None, typer.Option(help="Title of the picture (default: the "
                                              "matrix's builder, measure and transforms).")]
    = None,
    class_index: Annotated[Path | None, typer.Option(
        help="imagenet_class_index.json: human names for wnid classes with --row (default: "
             "WordNet's first lemma, when WordNet is installed).", show_default=False)] = None,
    force: ForceOption = False,
) -> None:
    """Draw FILE as a heatmap (classes clustered so structure shows) or one row as bars."""
    if output.suffix.lower() not in IMAGE_TYPES:
        raise MatrixFileError(
            f"'{output}': the picture must be one of {', '.join(IMAGE_TYPES)}"
        )
    check_writable([output], force)
    S = io.load(file)
    if row:
        names = human_names(S.classes, class_index, S.metadata)
        cls = S.classes[find_row(S, row, names)]  # a class, or a wnid's human name
        fig = neighbours(S, cls, top=top, title=title, names=names)
    else:
        fig = heatmap(S, order=order, title=title, scale=scale)
    with atomic_path(output, overwrite=force) as tmp:
        fig.savefig(tmp, format=output.suffix[1:].lower())
    say(f"wrote {output}", err=True)
