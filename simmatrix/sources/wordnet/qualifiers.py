"""The words of a class name that say which sense it means.

Two kinds of name carry such words:

- a qualifier in parentheses: ``bat (animal)``, ``organ (musical instrument)``, and LVIS's
  ``pan_(for_cooking)``, ``pin_(non_jewelry)``, ``straw_(for_drinking)``;
- a compound WordNet does not hold, read as its head word: ``bottle cap`` is a ``cap``,
  ``trophy cup`` a ``cup``.

A qualifier is rarely a WordNet kind the class belongs to (``for cooking`` is not one), so it
is read as a description: each candidate sense scores the qualifier's words its description
mentions (its gloss, its lemmas, and the lemmas and glosses of its direct hypernyms: ``pan``
the utensil is "cooking utensil consisting of a wide metal vessel"), less the words after a
negation (``non jewelry``), plus one if it lies below a sense of the qualifier (``bat``
the mammal is below ``animal``). The senses with the best score stay and the class list
chooses among them. Where every sense scores the same, the senses closest to the qualifier
(Lin's measure) stay if WordNet knows it (``crane (machine)``: the lifting device), else all
of them. Words match when one of WordNet's noun or verb endings rules maps them to a shared
form (``fumes``/``fume``, ``securing``/``secured``).
"""

from __future__ import annotations

import re

import numpy as np

from .resolve import _RULES
from .senses import _ancestors

_FILLER = frozenset(
    "a an and as at by for from in into of on or the to with".split())
_NEGATION = frozenset({"non", "not", "no", "without"})
# WordNet's morphy(7WN) endings for nouns and verbs, applied without a dictionary look-up:
# only to compare words.
_ENDINGS = tuple(dict.fromkeys(_RULES["n"] + _RULES["v"]))


def narrow(tax, cands: list[tuple[int, str]], hints: list[int],
           qualifier: str) -> list[tuple[int, str]]:
    """The candidates a qualifier allows, in the candidates' order (scored as the module
    notes say).

    Parameters
    ----------
    tax : Taxonomy
    cands : list of (int, str)
        The name's candidate ``(synset id, lemma)``.
    hints : list of int
        The qualifier's own senses, where WordNet knows it (empty when it does not);
        ignored when the qualifier is negated (``non jewelry`` is no kind).
    qualifier : str
        The words in the parentheses.
    """
    words, negated = _words(qualifier)
    hints = set() if negated else set(hints)
    score = np.array([_count(words, d) - _count(negated, d) for d in _descriptions(tax, cands)])
    if hints:
        score += [bool(_ancestors(tax, k) & hints) for k, _ in cands]
    if score.min() < score.max():
        return [c for c, s in zip(cands, score) if s == score.max()]
    if not hints:
        return cands
    from .coherence import lin
    from .measures import intrinsic_ic
    from .paths import PathTrie

    ic, cols = intrinsic_ic(tax), sorted(hints)
    syn = [k for k, _ in cands]
    best = lin(PathTrie(tax, cols, ic).lcs_ic(syn), ic[syn], ic[cols]).max(axis=1)
    return [c for c, b in zip(cands, best) if b == best.max()]


def mentioning(tax, cands: list[tuple[int, str]], words: list[str]) -> list[tuple[int, str]]:
    """Of a compound's head senses, those whose description mentions the most of its
    modifier ``words`` (``bottle cap``: "a top (as for a bottle)"); all if none differs."""
    wanted, _ = _words(" ".join(words))
    score = np.array([_count(wanted, d) for d in _descriptions(tax, cands)])
    return [c for c, s in zip(cands, score) if s == score.max()]


def _words(text: str) -> tuple[set[frozenset[str]], set[frozenset[str]]]:
    """A phrase's content words as sets of forms; the words after a negation apart."""
    plain, negated, target = set(), set(), None
    for w in re.findall(r"[a-z]+", text.lower()):
        if w in _NEGATION:
            target = negated
        elif w not in _FILLER and len(w) > 2:
            (plain if target is None else target).add(_forms(w))
    return plain, negated


def _count(words: set[frozenset[str]], description: set[str]) -> int:
    """How many of the words (each a set of forms) a description's forms mention."""
    return sum(1 for w in words if w & description)


def _descriptions(tax, cands) -> list[set[str]]:
    """The word forms of each candidate's gloss and lemmas and of its direct hypernyms'."""
    out = []
    for k, _ in cands:
        text = [tax.glosses[k]]
        for s in (k, *tax.parents_idx[tax.parents_ptr[k]:tax.parents_ptr[k + 1]].tolist()):
            text += tax.lemmas_of(s)
            if s != k:
                text.append(tax.glosses[s])
        out.append({f for t in re.findall(r"[a-z]+", " ".join(text).lower())
                    for f in _forms(t)})
    return out


def _forms(word: str) -> frozenset[str]:
    return frozenset([word] + [word[: -len(o)] + n for o, n in _ENDINGS
                               if word.endswith(o) and len(word) - len(o) + len(n) > 2])
