"""WordNet similarity matrices: classes → synsets → nltk's measures for all pairs at once.

A class name is resolved to one WordNet 3.0 synset (:func:`resolve_classes`):

- an ImageNet wnid, ``n01440764`` = ``n`` + the 8-digit noun offset (``v`` for verbs);
- a synset name, ``rose.n.01`` (as ``nltk.corpus.wordnet.synset``);
- a plain name, ``rose`` or ``pickup truck``: its first noun sense, as
  ``wn.synsets(name, "n")[0]``, trying the lemma forms ``pickup_truck``, ``pickup-truck``
  in turn (nltk's morphology included, so ``foxes`` finds ``fox``);
- any class may be overridden by a mapping ``{class: wnid | synset name | lemma}``.

The chosen synset and its gloss are recorded per class in ``metadata["synsets"]``, so a user
can check that ``mouse`` meant the animal. Names that resolve to nothing fail together, in
one :class:`~simmatrix.errors.BuildError` with close WordNet lemmas as suggestions.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._files import parse_json, read_text
from .._suggest import close_matches
from ..errors import BuildError, MatrixFileError
from ..matrix import SimilarityMatrix, fingerprint_file

MEASURES = ("wup", "path", "lch", "res", "lin", "jcn")
IC_MEASURES = ("res", "lin", "jcn")  # need information content
_WNID = re.compile(r"^([nv])(\d{8})$")
_SYNSET = re.compile(r"^(.+)\.([nvasr])\.(\d+)$")
# nltk's WordNetCorpusReader.MORPHOLOGICAL_SUBSTITUTIONS (WordNet's morphy(7WN) rules).
_RULES = {
    "n": [("s", ""), ("ses", "s"), ("ves", "f"), ("xes", "x"), ("zes", "z"), ("ches", "ch"),
          ("shes", "sh"), ("men", "man"), ("ies", "y")],
    "v": [("s", ""), ("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""),
          ("ing", "e"), ("ing", "")],
}


@dataclass(frozen=True)
class Resolved:
    """One class and its synset: ``how`` is "wnid", "synset", "lemma" or "mapping:<how>"."""

    cls: str
    pos: str
    index: int
    synset: str
    gloss: str
    how: str
    chosen_by: str = "given"
    rank: int = 0
    n_senses: int = 1
    runner_up: str | None = None
    margin: float | None = None

    @property
    def close(self) -> bool:
        from ..sources.wordnet.senses import CLOSE_MARGIN

        return self.margin is not None and self.margin < CLOSE_MARGIN

    def as_json(self) -> dict:
        out = {"synset": self.synset, "gloss": self.gloss, "from": self.how,
               "chosen_by": self.chosen_by}
        if self.n_senses > 1:
            out.update(sense_rank=self.rank + 1, n_senses=self.n_senses)
        if self.runner_up is not None:
            out.update(runner_up=self.runner_up, margin=round(self.margin, 6))
        return out


def _morphy(tax, form: str) -> list[str]:
    """nltk's ``_morphy``: the form itself and its base forms that are in the index."""
    forms = tax.exceptions.get(form) or [form[: -len(o)] + n for o, n in _RULES[tax.pos]
                                         if form.endswith(o)]
    out = []
    for f in [form, *forms]:
        if f not in out and tax.senses(f):
            out.append(f)
    return out


def lemma_forms(name: str) -> list[str]:
    """WordNet lemma spellings to try for a class name, best first."""
    base = re.sub(r"\s+", "_", name.strip().lower())
    forms = [base, base.replace("-", "_"), base.replace("_", "-")]
    return list(dict.fromkeys(f for f in forms if f))


def _resolve_one(graph, target: str, compounds: bool = False):
    """``(candidates, pos, how)`` for a wnid, synset name or plain name; None if unknown.

    ``candidates`` lists ``(synset id, lemma)``: one for a wnid or synset name, every noun
    sense in nltk's order for a plain name (``compounds``: also "maple tree" read as a
    maple that is a tree, see :func:`~simmatrix.sources.wordnet.senses.candidates`).
    """
    t = target.strip()
    m = _WNID.match(t)
    if m:
        k = graph[m.group(1)].by_offset(int(m.group(2)))
        return None if k is None else ([(k, "")], m.group(1), "wnid")
    m = _SYNSET.match(t.lower())
    if m:
        lemma, pos, num = m.group(1), m.group(2), int(m.group(3))
        if pos not in "nv":
            return None
        senses = graph[pos].senses(lemma)
        return ([(senses[num - 1], lemma)], pos, "synset") if 0 < num <= len(senses) else None
    from ..sources.wordnet.senses import candidates

    forms = lemma_forms(t)
    found = candidates(graph["n"], forms, _morphy)
    if found and not compounds and not any(_morphy(graph["n"], f) for f in forms):
        return None  # nltk's rule has no compound reading
    return (found, "n", "lemma") if found else None


def _suggest(graph, name: str, limit: int = 3) -> list[str]:
    tax = graph["n"]
    out = []
    for form in lemma_forms(name):
        for token in re.split(r"[_\-]", form):  # a multi-word name's own words
            if token != form and tax.senses(token) and token not in out:
                out.append(token)
        pool = (w for w in tax.lemmas if w[:1] == form[:1])
        out += [w for w in close_matches(form, pool, n=limit, cutoff=0.75, length_slack=4)
                if w not in out]
    return out[: limit + 2]


SENSES = ("context", "first")


def resolve_classes(
    classes: Iterable[str], graph=None, *, mapping: Mapping[str, str] | None = None,
    senses: str = "first",
) -> list[Resolved]:
    """Resolve every class to a synset, or raise one BuildError listing all that fail.

    Parameters
    ----------
    classes : iterable of str
        Class names, wnids or synset names, mixed freely.
    graph : WordNetGraph, optional
        From :func:`simmatrix.sources.wordnet.graph.load_graph` (loaded when omitted).
    mapping : mapping of str to str, optional
        Overrides for single classes: ``{"maple_tree": "maple.n.02"}``.
    senses : {"context", "first"}
        How a plain name with several noun senses is resolved: the sense that fits the
        other classes best (:func:`simmatrix.sources.wordnet.senses.choose_senses`), or
        nltk's first sense (``wn.synsets(name, "n")[0]``).
    """
    if senses not in SENSES:
        raise BuildError(f"unknown senses rule {senses!r}; choose context or first")
    if graph is None:
        from ..sources.wordnet.graph import load_graph

        graph = load_graph()
    mapping = dict(mapping or {})
    hits, failed = [], []
    for cls in classes:
        target = mapping.get(cls, cls)
        hit = _resolve_one(graph, target, compounds=senses == "context")
        if hit is None:
            failed.append((cls, target))
            continue
        cands, pos, how = hit
        if cls in mapping:  # the user's choice: one sense, never re-chosen
            cands, how = cands[:1], f"mapping:{how}"
        hits.append((cls, cands, pos, how))
    if failed:
        raise BuildError(_unknown_message(graph, failed))
    poses = {pos for _, _, pos, _ in hits}
    if len(poses) > 1:
        verbs = [cls for cls, _, pos, _ in hits if pos == "v"]
        raise BuildError(
            f"classes must all be nouns or all verbs; {len(verbs)} of {len(hits)} resolved to "
            "verbs: " + ", ".join(repr(v) for v in verbs[:10])
        )
    tax = graph[poses.pop()] if hits else graph["n"]
    return [_resolved(tax, cls, pos, how, choice)
            for (cls, _, pos, how), choice in zip(hits, _choose(graph, tax, hits, senses))]


def _choose(graph, tax, hits, senses: str):
    from ..sources.wordnet.senses import SenseChoice, choose_senses, sense_counts

    cands = [c for _, c, _, _ in hits]
    if senses == "first" or all(len(c) == 1 for c in cands):
        return [SenseChoice(c[0][0], "only sense" if len(c) == 1 else "first sense", 0,
                            len(c)) for c in cands]
    return choose_senses(tax, cands, sense_counts(graph.root, tax))


def _resolved(tax, cls, pos, how, choice) -> Resolved:
    k = choice.index
    chosen_by = "given" if how != "lemma" else choice.how
    runner = tax.names[choice.runner_up] if choice.runner_up is not None else None
    margin = choice.margin if choice.runner_up is not None else None
    return Resolved(cls, pos, k, tax.names[k], tax.glosses[k], how, chosen_by, choice.rank,
                    choice.n_senses, runner, margin)


def _unknown_message(graph, failed) -> str:
    parts = []
    for cls, target in failed[:20]:
        what = repr(cls) if cls == target else f"{cls!r} (mapped to {target!r})"
        close = _suggest(graph, target) if not _WNID.match(target) else []
        parts.append(what + (f" (close: {', '.join(close)})" if close else ""))
    more = f", ... ({len(failed) - 20} more)" if len(failed) > 20 else ""
    noun = "class has" if len(failed) == 1 else "classes have"
    return (f"{len(failed)} {noun} no WordNet 3.0 synset: " + ", ".join(parts) + more
            + "; give a wnid (n01440764), a synset name (maple.n.02) or a lemma for each in "
            "a mapping file (--mapping)")


def read_mapping(path: str | os.PathLike) -> dict[str, str]:
    """Read ``class → synset`` overrides: a JSON object, or lines ``class<TAB or ,>target``."""
    p = Path(path)
    text = read_text(p, "mapping file")
    if text.lstrip().startswith("{"):
        data = parse_json(text, f"mapping file {str(p)!r}")
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise MatrixFileError(f"mapping file {str(p)!r} must be a JSON object of "
                                  "class -> synset name strings")
        return {str(k): v for k, v in data.items()}
    out = {}
    for num, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = re.split(r"\t|,", line, maxsplit=1)
        if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
            raise MatrixFileError(
                f"mapping file {str(p)!r} line {num}: expected 'class<TAB>synset', "
                f"got {line.strip()!r}")
        out[parts[0].strip()] = parts[1].strip()
    return out


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
    senses: str = "first",
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
        How a name with several noun senses is resolved (see :func:`resolve_classes`).
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
