"""``simmatrix build wordnet``: WordNet 3.0 similarities between classes (nltk's measures)."""

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
    class_list,
    finish_build,
    progress_bar,
    read_wordnet_classes,
    require_file,
)


class Measure(str, Enum):
    wup = "wup"
    path = "path"
    lch = "lch"
    res = "res"
    lin = "lin"
    jcn = "jcn"


def wordnet(
    output: OutOption,
    classes: Annotated[
        Path | None,
        typer.Option("--classes", "-c", help="Class list: names, wnids or synset names, one "
                     "per line, CSV, JSON, or imagenet_class_index.json (its wnids are used)."),
    ] = None,
    names: Annotated[
        str | None, typer.Option("--names", help="Inline class list: 'rose,tulip,n01440764'.")
    ] = None,
    measure: Annotated[Measure, typer.Option(help="nltk's similarity measure.")] = Measure.wup,
    ic: Annotated[
        str, typer.Option("--ic", help="Information content for res/lin/jcn: 'intrinsic' "
                          "(Seco et al. 2004, no corpus) or an nltk ic-*.dat file.")
    ] = "intrinsic",
    mapping: Annotated[
        Path | None,
        typer.Option(help="Per-class overrides, class<TAB>synset per line or a JSON object "
                     "(maple_tree<TAB>maple.n.02)."),
    ] = None,
    senses: Annotated[
        str, typer.Option("--senses", help="A name with several noun senses: 'context' "
                          "(the sense that fits the other classes) or 'first' (nltk's "
                          "first sense).")
    ] = "first",
    lower_bound: LowerBoundOption = 0.0,
    dtype: DtypeOption = Dtype.float64,
    force: ForceOption = False,
) -> None:
    """Similarities of WordNet 3.0 synsets: wup, path, lch, res, lin or jcn, equal to nltk's."""
    from simmatrix.builders.wordnet import IC_MEASURES, read_mapping, wordnet_matrix

    classes_ = class_list(classes, names, reader=read_wordnet_classes)
    check_output(output, force)
    overrides = read_mapping(mapping) if mapping else None  # names a missing file itself
    if measure.value in IC_MEASURES and ic != "intrinsic":
        require_file(Path(ic), "IC file")
    with progress_bar(f"wordnet {measure.value}") as progress:
        S = wordnet_matrix(classes_, measure.value, ic=ic, mapping=overrides,
                          senses=senses, progress=progress, dtype=dtype.value)
    finish_build(S, output, force=force, lower_bound=lower_bound, dtype=dtype)
