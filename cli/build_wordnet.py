"""``simmatrix build wordnet``: WordNet 3.0 similarities between classes (nltk's measures).

Also the options and the review table that ``build wordnet`` and ``data wordnet-tree``
share: ``--senses``, ``--mapping`` (checked against the class list) and ``--senses-out``.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from simmatrix.sources.wordnet.resolve import DEFAULT_SENSES

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
    say,
)
from ._help import examples

app = typer.Typer()


class Senses(str, Enum):
    context = "context"
    first = "first"


SensesOption = Annotated[
    Senses, typer.Option("--senses", help="A name with several noun senses: 'context' (the "
                         "sense that fits the other classes, with WordNet's tagged "
                         "frequencies as a prior) or 'first' (nltk's first sense).")
]
SensesOutOption = Annotated[
    Path | None,
    typer.Option("--senses-out", help="Also write every class's synset as a class<TAB>synset "
                 "file (comments: how it was chosen, gloss); edit a line and rebuild with "
                 "--mapping FILE.", show_default=False),
]
MappingOption = Annotated[
    Path | None,
    typer.Option("--mapping", help="Per-class overrides, class<TAB>synset per line or a JSON "
                 "object (maple_tree<TAB>maple.n.02); every class must be in the list."),
]


def read_checked_mapping(mapping: Path | None, classes) -> dict[str, str] | None:
    """The ``--mapping`` file, refused (naming the file) if it names a class not listed."""
    from simmatrix.sources.wordnet.resolve import check_mapping, read_mapping

    if mapping is None:
        return None
    overrides = read_mapping(mapping)  # names a missing or malformed file itself
    check_mapping(overrides, classes, source=mapping)
    return overrides


SHOWN_ROWS = 40  # longer review tables go to --senses-out


def report_senses(synsets, senses_out: Path | None, force: bool) -> None:
    """Print the choices to review (not the first sense, or a close call) to stderr as a
    short table, and write the full mapping to ``senses_out`` when given."""
    from simmatrix._text import shown
    from simmatrix.sources.wordnet.resolve import reported, write_senses

    review = reported(synsets)
    if review:
        say(f"{len(review)} of {len(synsets)} names took a sense chosen from the other "
            "classes (not the first) or a close call; check them"
            + ("" if senses_out else ", or write all with --senses-out FILE") + ":", err=True)
        width = min(24, max(len(shown(c)) for c in review))
        for cls in review[:SHOWN_ROWS]:
            info = synsets[cls]
            gloss = " ".join(str(info["gloss"]).split())
            gloss = gloss if len(gloss) <= 56 else gloss[:55] + "…"
            runner = f" (runner-up {info['runner_up']})" if info.get("runner_up") else ""
            say(f"  {shown(cls):<{width}}  {info['synset']:<24}  {gloss}{runner}", err=True)
        if len(review) > SHOWN_ROWS:
            say(f"  ... and {len(review) - SHOWN_ROWS} more (all are in the matrix's metadata"
                + (f" and in {senses_out}" if senses_out else "; --senses-out FILE lists them")
                + ")", err=True)
    if senses_out is not None:
        write_senses(synsets, senses_out, overwrite=force)
        say(f"wrote the {len(synsets)} classes' synsets to {senses_out}", err=True)


class Measure(str, Enum):
    wup = "wup"
    path = "path"
    lch = "lch"
    res = "res"
    lin = "lin"
    jcn = "jcn"


@app.command("wordnet", epilog=examples(
    "simmatrix build wordnet --names rose,tulip,oak -o S.npy",
    "simmatrix build wordnet -c classes.txt --measure lin --lower-bound 0.5 -o S.parquet",
))
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
    mapping: MappingOption = None,
    senses: SensesOption = Senses(DEFAULT_SENSES),
    senses_out: SensesOutOption = None,
    lower_bound: LowerBoundOption = 0.0,
    dtype: DtypeOption = Dtype.float64,
    force: ForceOption = False,
) -> None:
    """Similarities of WordNet 3.0 synsets: wup, path, lch, res, lin or jcn, equal to nltk's."""
    from simmatrix._files import check_writable
    from simmatrix.builders.wordnet import IC_MEASURES, wordnet_matrix

    classes_ = class_list(classes, names, reader=read_wordnet_classes)
    check_output(output, force)
    if senses_out is not None:
        check_writable([senses_out], force)
    overrides = read_checked_mapping(mapping, classes_)
    if measure.value in IC_MEASURES and ic != "intrinsic":
        require_file(Path(ic), "IC file")
    with progress_bar(f"wordnet {measure.value}") as progress:
        S = wordnet_matrix(classes_, measure.value, ic=ic, mapping=overrides,
                          senses=senses.value, progress=progress, dtype=dtype.value)
    finish_build(S, output, force=force, lower_bound=lower_bound, dtype=dtype)
    report_senses(S.metadata["synsets"], senses_out, force)
