"""WordNet similarity matrices: classes → synsets → nltk's measures for all pairs at once.

Each class is resolved to one WordNet 3.0 synset by
:func:`simmatrix.sources.wordnet.resolve.resolve_classes` (a wnid, a synset name, or a
plain name whose sense is chosen from the other classes; re-exported here). The chosen
synset, its gloss and how it was chosen are recorded per class in ``metadata["synsets"]``,
so a user can check that ``mouse`` meant the animal.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import numpy as np

from ..errors import BuildError, MatrixFileError
from ..matrix import SimilarityMatrix, fingerprint_file
from ..sources.wordnet.resolve import (  # noqa: F401  (re-exported: the builder's API)
    DEFAULT_SENSES,
    SENSES,
    Resolved,
    lemma_forms,
    read_mapping,
    resolve_classes,
    write_senses,
)

MEASURES = ("wup", "path", "lch", "res", "lin", "jcn")
IC_MEASURES = ("res", "lin", "jcn")  # need information content


def raw_similarity(graph, resolved: list[Resolved], measure: str = "wup", *,
                   ic: str | os.PathLike = "intrinsic", dtype=np.float64, block: int = 2048,
                   progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """nltk's own values for all pairs: ``out[i, j] = <measure>_similarity(s_i, s_j)``.

    Returns
    -------
    ndarray of shape (n_classes, n_classes)
        Equal to nltk's ``path/wup/lch_similarity`` (``simulate_root=True``) and to
        ``res/lin/jcn_similarity`` with the given information content; not yet in [0, 1].
    """
    tax = graph[resolved[0].pos]
    table = information_content(tax, ic) if measure in IC_MEASURES else None
    return _raw(tax, resolved, measure, table, dtype=dtype, block=block, progress=progress)


def _raw(tax, resolved: list[Resolved], measure: str, table: np.ndarray | None, *,
         dtype, block: int, progress) -> np.ndarray:
    """:func:`raw_similarity` with the IC table (res/lin/jcn) already read."""
    from ..sources.wordnet import measures as M

    if measure not in MEASURES:
        raise BuildError(f"unknown measure {measure!r}; choose one of {', '.join(MEASURES)}")
    anc = M.Ancestry(tax, [r.index for r in resolved])
    kw = {"block": block, "progress": progress}
    if measure == "wup":
        return M.wup(anc, dtype=dtype, **kw)
    if measure in ("path", "lch"):
        dist = M.path_distances(anc, dtype=dtype, **kw)  # turned into the measure in place
        if measure == "path":
            return M.path_from_distance(dist)
        return M.lch_from_distance(dist, tax, out=dist)
    lcs = M.lcs_ic(anc, table, **kw)
    same = anc.ids[:, None] == anc.ids[None, :]
    return M.ic_measures(measure, lcs, table[anc.ids], same).astype(dtype, copy=False)


def information_content(tax, ic: str | os.PathLike = "intrinsic") -> np.ndarray:
    """IC per synset: Seco et al.'s intrinsic IC, or read from an nltk ``ic-*.dat`` file."""
    from ..sources.wordnet import measures as M

    if str(ic) == "intrinsic":
        return M.intrinsic_ic(tax)
    if not Path(ic).is_file():
        raise MatrixFileError(f"IC file {str(ic)!r} does not exist")
    return M.read_ic_file(ic, tax)


M_INF = 1e300  # nltk's _INF, the IC of a synset with a zero count


def to_unit(raw: np.ndarray, measure: str, tax, table: np.ndarray | None) -> tuple:
    """Map nltk's values to [0, 1] (see ``docs/wordnet.md``); returns (S, scale info)."""
    if measure in ("wup", "path"):
        return raw, None
    if measure == "lch":
        top = float(np.log(2.0 * tax.taxonomy_depth))
        raw /= top  # in place: raw is this build's own
        return raw, {"divided_by": top, "taxonomy_depth": tax.taxonomy_depth}
    top = float(np.max(table[table < M_INF]))  # nltk's 1e300 marks a zero count
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "res":
            S = np.minimum(raw / top, 1.0)
            info = {"divided_by": top, "max_ic": top}
        elif measure == "lin":
            S, info = np.clip(raw, 0.0, 1.0), None
        else:  # jcn: 1 - (JC distance, capped at 2·max IC) / (2·max IC)
            S = 1.0 - np.minimum(1.0 / raw, 2.0 * top) / (2.0 * top)
            info = {"map": "1 - min(1/jcn, 2*max_ic) / (2*max_ic)", "max_ic": top}
    return np.nan_to_num(S, nan=0.0, posinf=1.0, neginf=0.0), info


def wordnet_matrix(
    classes: Iterable[str],
    measure: str = "wup",
    *,
    ic: str | os.PathLike = "intrinsic",
    mapping: Mapping[str, str] | None = None,
    senses: str | None = None,
    cache: bool | str | os.PathLike = True,
    dtype=np.float64,
    block: int = 2048,
    progress: Callable[[int, int], None] | None = None,
) -> SimilarityMatrix:
    """Build S from WordNet 3.0: ``S[i, j]`` = the measure between the classes' synsets.

    Parameters
    ----------
    classes : iterable of str, length C
        Names, wnids or synset names (see :func:`resolve_classes`).
    measure : {"wup", "path", "lch", "res", "lin", "jcn"}
        nltk's measure; lch is divided by its maximum ``log 2D``, res by the largest IC,
        jcn mapped by ``1 - min(1/jcn, 2·IC_max) / (2·IC_max)``.
    ic : "intrinsic" or path
        Information content for res/lin/jcn: Seco et al.'s ``1 - log(hypo+1)/log N``, or an
        nltk ``ic-*.dat`` file.
    mapping : mapping of str to str, optional
        Per-class overrides.
    senses : {"context", "first"}
        How a name with several noun senses is resolved: the sense that fits the other
        classes or nltk's first sense (None: ``DEFAULT_SENSES``, "context"; see
        :func:`resolve_classes`).
    cache : bool or path
        Where the prepared WordNet graph is cached (see :mod:`simmatrix.sources.wordnet.graph`).
    progress : callable(done, total), optional
        Called after each block of rows.

    Returns
    -------
    SimilarityMatrix of shape (C, C)
        Diagonal (and pairs of classes on one synset) 1.

    Examples
    --------
    >>> S = wordnet_matrix(["dog", "cat", "n01440764"])
    >>> round(S["dog", "cat"], 4)  # nltk: dog.n.01.wup_similarity(cat.n.01)
    0.8571
    >>> S.metadata["synsets"]["n01440764"]["synset"]
    'tench.n.01'
    """
    from ..sources.wordnet import measures as M
    from ..sources.wordnet.graph import load_graph

    classes = list(classes)
    if not classes:
        raise BuildError("no classes given")
    graph = load_graph(cache)
    senses = senses or DEFAULT_SENSES
    resolved = resolve_classes(classes, graph, mapping=mapping, senses=senses)
    tax = graph[resolved[0].pos]
    table = information_content(tax, ic) if measure in IC_MEASURES else None
    raw = _raw(tax, resolved, measure, table, dtype=dtype, block=block, progress=progress)
    S, scale = to_unit(raw, measure, tax, table)
    M.fill_same(S, np.array([r.index for r in resolved]), 1.0)
    params = {"measure": measure, "pos": tax.pos, "simulate_root": tax.needs_root,
              "senses": senses}
    sources = [{"name": "WordNet", "version": "3.0", "sha256": graph.fingerprint}]
    if table is not None:
        params["ic"] = "intrinsic" if str(ic) == "intrinsic" else Path(ic).name
        if str(ic) != "intrinsic":
            sources.append(fingerprint_file(ic))
    meta = {"builder": "wordnet", "params": params, "sources": sources,
            "synsets": {r.cls: r.as_json() for r in resolved}}
    if scale is not None:
        meta["scale"] = scale
    return SimilarityMatrix(S, [r.cls for r in resolved], meta, copy=False)  # S is ours
