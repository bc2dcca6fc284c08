"""``simmatrix data ...``: install the data builders read (WordNet 3.0 for nltk)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simmatrix._files import atomic_path, check_writable
from simmatrix.errors import MatrixFileError

from ._common import (
    ClassesOption,
    ForceOption,
    JsonOption,
    NamesOption,
    class_list,
    echo_json,
    read_wordnet_classes,
    say,
)
from ._help import examples
from .build_wordnet import (
    DEFAULT_SENSES,
    MappingOption,
    Senses,
    SensesOption,
    SensesOutOption,
    read_checked_mapping,
    report_senses,
)

app = typer.Typer(name="data", help="Install data that builders need.", no_args_is_help=True)


@app.command("wordnet", epilog=examples(
    "simmatrix data wordnet",
    "simmatrix data wordnet --from /usr/share/wordnet",
))
def wordnet(
    dir: Annotated[
        Path | None,
        typer.Option("--dir", help="nltk data folder to install into (default: the first "
                     "writable one nltk searches, usually ~/nltk_data)."),
    ] = None,
    source: Annotated[
        Path | None,
        typer.Option("--from", help="A WordNet 3.0 database folder to copy (default: Debian's "
                     "/usr/share/wordnet when installed, else nltk's downloader)."),
    ] = None,
    download: Annotated[
        bool, typer.Option("--download", help="Use nltk's downloader (needs the internet).")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Reinstall if present.")] = False,
    json_out: JsonOption = False,
) -> None:
    """Install WordNet 3.0 where nltk finds it; offline from a local database folder."""
    from simmatrix.sources.wordnet.data import install_wordnet

    r = install_wordnet(dir, source, download=download, force=force)
    if json_out:
        echo_json({"action": r.action, "folder": str(r.folder), "source": r.source,
                   "version": r.version, "on_nltk_path": r.on_nltk_path})
        return
    verb = {"present": "already installed in", "copied": "copied into",
            "downloaded": "downloaded into"}[r.action]
    say(f"WordNet {r.version} {verb} {r.folder} (from {r.source})")
    if not r.on_nltk_path:
        say(f"note: nltk does not search {r.folder.parent.parent}; "
                   f"set NLTK_DATA={r.folder.parent.parent}", err=True)


@app.command("wordnet-tree", epilog=examples(
    "simmatrix data wordnet-tree --names tench,goldfish,shark -o tree.tsv",
    "simmatrix data wordnet-tree -c classes.txt -o tree.tsv --senses-out senses.tsv",
    "simmatrix data wordnet-tree -c classes.txt -o tree.tsv --mapping senses.tsv",
))
def wordnet_tree(
    output: Annotated[Path, typer.Option(
        "--output", "-o", show_default=False,
        help="Where to write the tree: a .tsv file of parent<TAB>child lines.")],
    classes: ClassesOption = None,
    names: NamesOption = None,
    dag: Annotated[bool, typer.Option("--dag", help="Keep every hypernym (a DAG) instead of "
                                      "each synset's first-listed one (a tree).")] = False,
    mapping: MappingOption = None,
    senses: SensesOption = Senses(DEFAULT_SENSES),
    senses_out: SensesOutOption = None,
    force: ForceOption = False,
) -> None:
    """Write the WordNet hypernym tree above the classes as parent<TAB>child lines (.tsv).

    Classes may be wnids, synset names or plain names; a name's sense is chosen as for
    build wordnet (--senses context: the sense that fits the other classes).
    """
    from simmatrix.sources.wordnet.tree import tree_edges

    if output.suffix.lower() != ".tsv":
        raise MatrixFileError(f"'{output}': the tree is written as .tsv (parent<TAB>child)")
    graph, resolved = _resolve(output, classes, names, mapping, senses, senses_out, force)
    edges = tree_edges(graph, resolved, tree=not dag)
    with atomic_path(output, overwrite=force) as tmp:
        tmp.write_text("parent\tchild\n" + "".join(f"{p}\t{c}\n" for p, c in edges),
                       encoding="utf-8")
    say(f"wrote {len(edges)} edges to {output}", err=True)
    report_senses({r.cls: r.as_json() for r in resolved}, senses_out, force)


@app.command("wordnet-glosses", epilog=examples(
    "simmatrix data wordnet-glosses --names tiger,lion,seal,whale -o desc.txt",
    "simmatrix data wordnet-glosses -c classes.txt -o desc.txt --senses-out senses.tsv",
    "simmatrix build text -c classes.txt --descriptions desc.txt -o S.npy",
))
def wordnet_glosses(
    output: Annotated[Path, typer.Option(
        "--output", "-o", show_default=False,
        help="Where to write the descriptions for build text --descriptions: 'class: text' "
             "lines, or JSON / CSV / TSV by extension (.json, .csv, .tsv).")],
    classes: ClassesOption = None,
    names: NamesOption = None,
    mapping: MappingOption = None,
    senses: SensesOption = Senses(DEFAULT_SENSES),
    senses_out: SensesOutOption = None,
    force: ForceOption = False,
) -> None:
    """Write each class's WordNet gloss as its description, for build text --descriptions.

    "mouse: any of numerous small rodents ...": the sentence model reads the sense the
    list means, not the word's commonest one. Classes may be wnids, synset names or plain
    names; a name's sense is chosen as for build wordnet (--senses context: the sense that
    fits the other classes).
    """
    from simmatrix.sources.text import write_descriptions
    from simmatrix.sources.wordnet.glosses import resolved_descriptions

    _, resolved = _resolve(output, classes, names, mapping, senses, senses_out, force)
    write_descriptions(resolved_descriptions(resolved), output, overwrite=force)
    say(f"wrote {len(resolved)} descriptions to {output}", err=True)
    report_senses({r.cls: r.as_json() for r in resolved}, senses_out, force)


def _resolve(output, classes, names, mapping, senses, senses_out, force):
    """The WordNet graph and the classes' synsets, for the data commands that write them
    out: the outputs are checked first, then the class list and the mapping against it."""
    from simmatrix.sources.wordnet.graph import load_graph
    from simmatrix.sources.wordnet.resolve import resolve_classes

    check_writable([output] + ([senses_out] if senses_out is not None else []), force)
    class_names = class_list(classes, names, reader=read_wordnet_classes)
    overrides = read_checked_mapping(mapping, class_names)
    graph = load_graph()
    return graph, resolve_classes(class_names, graph, mapping=overrides, senses=senses.value)
