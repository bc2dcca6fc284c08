"""Class names → WordNet 3.0 synsets: wnids, synset names, lemmas, senses from context.

A class is resolved to one synset (:func:`resolve_classes`):

- an ImageNet wnid, ``n01440764`` = ``n`` + the 8-digit noun offset (``v`` for verbs);
- a synset name, ``rose.n.01`` (as ``nltk.corpus.wordnet.synset``);
- a plain name, ``rose`` or ``pickup truck``, tried as the lemma forms ``pickup_truck``,
  ``pickup-truck`` in turn (nltk's morphology included, so ``foxes`` finds ``fox``): with
  ``senses="context"`` (the default, :data:`DEFAULT_SENSES`) the noun sense that fits the
  other classes best (:mod:`simmatrix.sources.wordnet.senses`), with ``senses="first"``
  nltk's first sense, ``wn.synsets(name, "n")[0]``;
- synonyms separated by commas, ``mouse, computer mouse`` (the form of ImageNet's
  ``LOC_synset_mapping.txt``): the senses that hold the most of the words
  (:func:`~simmatrix.sources.wordnet.senses.shared_senses`), chosen among as above;
- a name with a qualifier in parentheses, ``bat (animal)`` or LVIS's ``bat_(animal)``,
  ``pan_(for_cooking)``: the senses whose description mentions the qualifier's words or
  that lie below a sense of it (:func:`~simmatrix.sources.wordnet.qualifiers.narrow`),
  chosen among as above; a qualifier that fits every sense alike leaves them all to the
  list;
- any class may be overridden by a mapping ``{class: wnid | synset name | lemma}``
  (:func:`read_mapping` reads one from a file; :func:`write_senses` writes every class's
  choice in that format, so a user can review it, correct a line and rebuild).

Names that resolve to nothing fail together, in one :class:`~simmatrix.errors.BuildError`
with close WordNet lemmas as suggestions; so does a mapping that names a class the list
does not have. Nothing here knows about similarity matrices.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..._files import parse_json, read_text
from ..._suggest import close_matches, did_you_mean
from ...errors import BuildError, MatrixFileError

_WNID = re.compile(r"^([nv])(\d{8})$")
_SYNSET = re.compile(r"^(.+)\.([nvasr])\.(\d+)$")
_QUALIFIED = re.compile(r"^([^()]*[^()\s_])[\s_]*\(([^()]+)\)$")
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
        from .senses import CLOSE_MARGIN

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
    from .qualifiers import narrow
    from .senses import candidates, shared_senses

    parts = [p.strip() for p in t.split(",") if p.strip()]
    if len(parts) > 1:  # "mouse, computer mouse" (ImageNet's LOC_synset_mapping.txt form)
        hits = [_resolve_one(graph, p, compounds) for p in parts]
        # one word spelt twice ("tree-frog, tree frog") counts once
        found = list({tuple(h[0]): h[0] for h in hits if h is not None and h[1] == "n"}.values())
        return (shared_senses(found), "n", "lemma") if found else None
    m = _QUALIFIED.match(t)
    if m:  # "bat (animal)", LVIS's "bat_(animal)": the senses of bat that are animals
        base = _resolve_one(graph, m.group(1), compounds)
        hint = _resolve_one(graph, m.group(2), compounds=True)
        if base is None:
            return None
        hints = [k for k, _ in hint[0]] if hint is not None and hint[1] == base[1] else []
        return narrow(graph[base[1]], base[0], hints, m.group(2)), base[1], base[2]
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
#: The rule used when none is given (library, ``build wordnet``, ``data wordnet-tree``):
#: "context" is right far more often on every benchmark list (benchmarks/RESULTS.md).
DEFAULT_SENSES = "context"


def resolve_classes(
    classes: Iterable[str], graph=None, *, mapping: Mapping[str, str] | None = None,
    senses: str = DEFAULT_SENSES,
) -> list[Resolved]:
    """Resolve every class to a synset, or raise one BuildError listing all that fail.

    Parameters
    ----------
    classes : iterable of str
        Class names, wnids or synset names, mixed freely.
    graph : WordNetGraph, optional
        From :func:`simmatrix.sources.wordnet.graph.load_graph` (loaded when omitted).
    mapping : mapping of str to str, optional
        Overrides for single classes: ``{"maple_tree": "maple.n.02"}``; every key must be
        one of ``classes`` (see :func:`check_mapping`).
    senses : {"context", "first"}
        How a plain name with several noun senses is resolved: the sense that fits the
        other classes best (:func:`simmatrix.sources.wordnet.senses.choose_senses`, the
        default, which also reads a multi-word name without a lemma, ``maple tree``, as a
        maple that is a tree), or nltk's first sense (``wn.synsets(name, "n")[0]``).
    """
    if senses not in SENSES:
        raise BuildError(f"unknown senses rule {senses!r}; choose context or first")
    classes = list(classes)
    mapping = dict(mapping or {})
    check_mapping(mapping, classes)
    if graph is None:
        from .graph import load_graph

        graph = load_graph()
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
    from .senses import SenseChoice, choose_senses, sense_counts

    cands = [c for _, c, _, _ in hits]
    if senses == "first" or all(len(c) == 1 for c in cands):
        return [SenseChoice(c[0][0], "only sense" if len(c) == 1 else "first sense", 0,
                            len(c)) for c in cands]
    lemmas = {lemma.lower() for c in cands if len(c) > 1 for _, lemma in c}
    return choose_senses(tax, cands, sense_counts(graph.root, tax, lemmas))


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
            "mapping={class: target}")


def check_mapping(mapping: Mapping[str, str], classes: Iterable[str],
                  source: str | os.PathLike | None = None) -> None:
    """Refuse a mapping that names a class the list does not have (a typo, most likely).

    The error names ``source`` (the mapping file) when given, the first unknown class and
    the closest class names in the list.
    """
    known = set(classes)
    unknown = [k for k in mapping if k not in known]
    if not unknown:
        return
    where = f"mapping file {str(source)!r}: " if source is not None else "mapping: "
    more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
    close = close_matches(unknown[0], sorted(known), n=3, cutoff=0.6)
    hint = did_you_mean(close, lead=" (") + (")" if close else "")
    raise BuildError(f"{where}class {unknown[0]!r}{more} is not in the class list{hint}; "
                     "fix the name or remove the line")


def write_senses(synsets: Mapping[str, Mapping], path: str | os.PathLike, *,
                 overwrite: bool = False) -> None:
    """Write every class's synset as the ``class<TAB>synset`` file :func:`read_mapping` reads.

    ``synsets`` is a matrix's ``metadata["synsets"]`` (``{class: Resolved.as_json()}``).
    Each line is preceded by a comment saying how the synset was chosen, its gloss and the
    runner-up, so the file can be reviewed and corrected in place (the synset after the tab
    may become any wnid, synset name or lemma), then given back with ``--mapping``.
    """
    from ..._files import atomic_path

    for cls in synsets:
        if any(c in cls for c in "\t\n\r") or cls != cls.strip() or cls.startswith("#"):
            raise BuildError(f"class {cls!r} cannot be written to a mapping file (a tab, a "
                             "line break, a leading '#' or surrounding spaces)")
    lines = ["# simmatrix WordNet senses: class<TAB>synset. Edit a synset, then rebuild with",
             "# --mapping THIS_FILE. Comments: how it was chosen | gloss."]
    for cls, info in synsets.items():
        lines.append(f"# {describe(info)} | {' '.join(str(info.get('gloss', '')).split())}")
        lines.append(f"{cls}\t{info['synset']}")
    with atomic_path(path, overwrite=overwrite) as tmp:
        Path(tmp).write_text("\n".join(lines) + "\n", encoding="utf-8")


def describe(info: Mapping) -> str:
    """How one class's synset was chosen, in a few words (from ``Resolved.as_json()``)."""
    note = str(info.get("chosen_by", "given"))
    if info.get("n_senses", 1) > 1:
        note += f", sense {info.get('sense_rank', 1)} of {info['n_senses']}"
    if info.get("runner_up") is not None:
        note += f", runner-up {info['runner_up']} (margin {info['margin']:.3f})"
    return note


def reported(synsets: Mapping[str, Mapping]) -> list[str]:
    """The classes whose choice a user should review: a sense other than the first, or a
    close call (runner-up within :data:`~simmatrix.sources.wordnet.senses.CLOSE_MARGIN`)."""
    from .senses import CLOSE_MARGIN

    return [cls for cls, info in synsets.items() if info.get("chosen_by") == "context"
            and (info.get("sense_rank", 1) > 1 or info.get("margin", 1.0) < CLOSE_MARGIN)]


def read_mapping(path: str | os.PathLike) -> dict[str, str]:
    """Read ``class → synset`` overrides: a JSON object, or lines ``class<TAB or ,>target``.

    A line with a tab is split at its first tab (so a class may contain a comma), else at
    its first comma; blank lines and lines starting with ``#`` are skipped.
    """
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
        parts = line.split("\t", 1) if "\t" in line else line.split(",", 1)
        if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
            raise MatrixFileError(
                f"mapping file {str(p)!r} line {num}: expected 'class<TAB>synset', "
                f"got {line.strip()!r}")
        out[parts[0].strip()] = parts[1].strip()
    return out


