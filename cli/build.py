"""``simmatrix build ...``: one sub-command per builder, each in its own module.

Only the builder named on the command line is imported (see :mod:`._lazy`).
"""

from __future__ import annotations

import typer

from ._lazy import LazyGroup


class BuildGroup(LazyGroup):
    # command -> module whose ``app`` defines it, in the order the help lists them
    lazy = {
        "order": "build_order",
        "wordnet": "build_wordnet",
        "embedding": "build_embedding",
        "text": "build_text",
        "hierarchy": "build_hierarchy",
        "confusion": "build_confusion",
        "table": "build_table",
    }


app = typer.Typer(name="build", cls=BuildGroup, no_args_is_help=True,
                  help="Build a similarity matrix from a source of knowledge.")
