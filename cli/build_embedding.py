"""``simmatrix build embedding``: S from the cosine similarity of class-name word vectors."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from simmatrix.errors import quote_list

from ._common import (
    COUNT,
    TOP_K,
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
    say,
)
from ._help import examples

app = typer.Typer()


class VectorFormat(str, Enum):
    word2vec = "word2vec"
    word2vec_bin = "word2vec-bin"
    glove = "glove"
    fasttext = "fasttext"
    gensim = "gensim"


class Oov(str, Enum):
    error = "error"
    drop = "drop"
    identity = "identity"


class Mapping(str, Enum):
    clip = "clip"
    affine = "affine"


#: Options every cosine-based builder (embedding, text) shares.
CosineMapOption = Annotated[
    Mapping,
    typer.Option("--map", help="Cosine → [0, 1]: clip negatives to 0 (the paper), or "
                 "affine (1 + cos) / 2."),
]
BlockTopKOption = Annotated[
    int | None,
    typer.Option("--top-k", "-k", callback=TOP_K, help="Keep each class's K nearest classes, "
                 "computed in blocks and saved sparse (for 100,000+ classes).",
                 show_default=False),
]


@app.command("embedding", epilog=examples(
    "simmatrix build embedding --names apple,pear,truck -o S.npy",
    "simmatrix build embedding -c classes.txt --map affine -o S.parquet",
    "simmatrix build embedding -c big.txt --top-k 10 -o S.parquet",
))
def embedding(
    output: OutOption,
    classes: ClassesOption = None,
    names: NamesOption = None,
    vectors: Annotated[
        str,
        typer.Option("--vectors", "-v", help="A vectors file, or glove-6b-50d (built in with "
                     "the 'embeddings' extra)."),
    ] = "glove-6b-50d",
    format: Annotated[
        VectorFormat | None,
        typer.Option("--format", help="The vectors file's format (default: read from the "
                     "file's first bytes).", show_default=False),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option("--limit", callback=COUNT, help="Use only the first N words of the vectors.",
                     show_default=False),
    ] = None,
    oov: Annotated[
        Oov,
        typer.Option("--oov", help="Classes without a vector: error (list them all), drop "
                     "them from the matrix, or identity (only their diagonal is 1)."),
    ] = Oov.error,
    mapping: CosineMapOption = Mapping.clip,
    lower_bound: LowerBoundOption = 0.0,
    top_k: BlockTopKOption = None,
    dtype: DtypeOption = Dtype.float64,
    force: ForceOption = False,
) -> None:
    """Build S from the cosine similarity of the class names' word vectors."""
    from simmatrix.builders.embedding import check_dense_size, embedding_matrix
    from simmatrix.sources.vectors import load_vectors

    class_names = class_list(classes, names)
    check_output(output, force)
    if top_k is None:
        check_dense_size(len(class_names))
    wv = load_vectors(vectors, format=format.value if format else None, limit=limit)
    with progress_bar("top-k blocks") as progress:
        S = embedding_matrix(
            class_names, wv, oov=oov.value, mapping=mapping.value, top_k=top_k,
            dtype=dtype.value, progress=progress,
        )
    _report(S)
    finish_build(S, output, force=force, lower_bound=lower_bound, dtype=dtype)


def _report(S) -> None:
    meta = S.metadata
    hows: dict[str, int] = {}
    for form in meta["forms"].values():
        hows[form["how"]] = hows.get(form["how"], 0) + 1
    found = ", ".join(f"{n} by {how}" for how, n in sorted(hows.items()))
    oov = meta["oov"]
    extra = ""
    if oov["dropped"]:
        extra = f"; dropped {len(oov['dropped'])} without a vector: {quote_list(oov['dropped'])}"
    elif oov["identity"]:
        extra = (f"; {len(oov['identity'])} without a vector keep only their diagonal: "
                 f"{quote_list(oov['identity'])}")
    say(f"embedding: {len(meta['forms'])} classes found ({found}){extra}", err=True)
