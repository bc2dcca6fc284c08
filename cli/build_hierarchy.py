"""``simmatrix build hierarchy``: S from a taxonomy tree or DAG (networkx)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from ._common import (
    POSITIVE,
    TOP_K,
    Dtype,
    DtypeOption,
    ForceOption,
    LowerBoundOption,
    NamesOption,
    OutOption,
    check_output,
    class_list,
    finish_build,
    require_file,
)
from ._help import examples

app = typer.Typer()


class Measure(str, Enum):
    lca_height = "lca-height"
    wup = "wup"
    path = "path"
    soft = "soft"
    mbm = "mbm"
    mbm_soft = "mbm-soft"


class GraphFormat(str, Enum):
    edges = "edges"
    json = "json"
    graphml = "graphml"
    indent = "indent"


class DagPolicy(str, Enum):
    longest = "longest"
    shortest = "shortest"


@app.command("hierarchy", epilog=examples(
    "simmatrix build hierarchy --graph tree.json -o S.npy",
    "simmatrix build hierarchy -g edges.csv --names cat,dog,rose --measure wup -o S.npy",
    "simmatrix build hierarchy -g tree.graphml -c classes.txt --top-k 10 -o S.parquet",
))
def hierarchy(
    graph: Annotated[
        Path,
        typer.Option("--graph", "-g", help="The hierarchy: parent-child edge list (text, CSV, "
                     "TSV), nested JSON (or CIFAR-100's label file), GraphML, or an indented "
                     "tree.", show_default=False),
    ],
    output: OutOption,
    format: Annotated[
        GraphFormat | None,
        typer.Option("--format", help="Form of --graph; detected from the extension and "
                     "content when omitted."),
    ] = None,
    child_parent: Annotated[
        bool | None,
        typer.Option("--child-parent/--parent-child", help="Order of the names on an edge "
                     "line (or of a JSON child → parent map). Default: as a header row "
                     "says, else parent first.", show_default=False),
    ] = None,
    classes: Annotated[
        Path | None,
        typer.Option("--classes", "-c", help="Class list (text, CSV, JSON), in row order; "
                     "internal nodes allowed. Default: the leaves in depth-first order."),
    ] = None,
    names: NamesOption = None,
    measure: Annotated[
        Measure, typer.Option("--measure", "-m", help="lca-height: 1 - height(lca)/H; wup: "
                              "nltk's Wu-Palmer (root at depth 1); path: 1/(1+d); soft: "
                              "exp(-beta height(lca)/H); mbm: 1 - d/H and mbm-soft: "
                              "exp(-beta d/H) with d = H - depth(lca) (Bertinetto et al. 2020).")
    ] = Measure.lca_height,
    beta: Annotated[
        float, typer.Option("--beta", callback=POSITIVE,
                            help="Sharpness of --measure soft and mbm-soft (> 0).")
    ] = 4.0,
    dag_policy: Annotated[
        DagPolicy, typer.Option("--dag-policy", help="Depth of a node with several paths "
                                "from the root (a DAG): the longest or the shortest path.")
    ] = DagPolicy.longest,
    top_k: Annotated[
        int | None,
        typer.Option("--top-k", "-k", callback=TOP_K, help="Keep the diagonal and the K largest "
                     "other entries per row, sparse (save as .parquet for many classes)."),
    ] = None,
    lower_bound: LowerBoundOption = 0.0,
    dtype: DtypeOption = Dtype.float64,
    force: ForceOption = False,
) -> None:
    """Class similarity from a hierarchy: the lowest common ancestor of each pair of classes."""
    from simmatrix.builders.hierarchy import hierarchy_matrix

    check_output(output, force)
    require_file(graph, "hierarchy file")
    rows = list(class_list(classes, names)) if classes or names is not None else None
    S = hierarchy_matrix(
        graph, rows, measure=measure.value, beta=beta, dag_policy=dag_policy.value,
        top_k=top_k, format=format.value if format else None, child_parent=child_parent,
    )
    finish_build(S, output, force=force, lower_bound=lower_bound, dtype=dtype)
