"""Choosing one noun sense per class name, with the whole class list as context.

The classes of one dataset are about one world (animals, vehicles, foods), so a name's
right sense is usually the one that fits the other names: ``tiger`` next to ``lion`` and
``leopard`` is the big cat, not "a fierce or audacious person". :func:`choose_senses`

1. lists every noun sense of every name (:func:`candidates`; a multi-word name without a
   lemma, ``maple tree``, takes the senses of its first words that sit below a sense of its
   last word, else the senses of its last word);
2. computes Lin's similarity (Seco et al.'s intrinsic information content) between the
   candidates of the names with several and every candidate, a block of rows at a time, on
   the numpy hypernym graph (no nltk call; :mod:`.coherence`);
3. scores each candidate by its mean similarity to its ``neighbours`` most similar other
   names (each counted through its current sense), plus ``prior_weight`` times the log of a
   frequency prior, plus ``head_weight`` times the log-likelihood of the list's naming habit
   (``log h`` if the name is the synset's head word, ``log(1 - h)`` if not), plus
   ``nest_weight`` times the log-likelihood of the list's nesting habit (``log v`` if the
   candidate is, or lies above, another name's current sense, ``log(1 - v)`` if not), minus
   ``zero_penalty`` for a sense SemCor never tagged while another sense of the same name was
   tagged, plus ``first_bonus`` for WordNet's first sense (so another sense must win by more
   than a close call: a list that says nothing about a name keeps nltk's choice);
4. gives every name its best candidate and repeats from step 3 until no choice changes
   (a fixed point; at most ``max_iter`` rounds, and never round a cycle twice). Ties go to
   WordNet's sense order. A name given twice is not context for its own copy.

Both habits are learnt from the list's own names that have one candidate (add-one
smoothed): ``h`` is the share of them that are their synset's head word (``tiger`` in
``tiger.n.02``, not ``castle`` in ``palace.n.01``), ``v`` the share whose synset is or lies
above another such name's synset. A list written in WordNet's head words (ImageNet's names)
thus prefers head words; a list of everyday words (``couch``, ``tv``) does not. The classes
of a classification task exclude one another, so in a list where no single-sense class
contains another, a reading that would contain one (``monitor`` as the lizard genus next to
``Komodo dragon``, ``pot`` as every pot next to ``teapot``) is unlikely; a list that does
nest its classes (``dog``, ``poodle``) learns a large ``v`` and keeps such readings.

The prior is the lemma's tagged frequency in SemCor (WordNet's ``cntlist.rev``), smoothed
by the naming habit as a pseudo-count: ``2 * h`` for a sense the name heads, ``2 * (1 - h)``
for one it does not. Tagged counts outweigh the pseudo-count wherever SemCor has them.

The first round counts every name through all its senses, weighted by the prior. The
weights were chosen on one half of ImageNet-1k's names (wnids as the truth) and checked on
the other half, on CIFAR-100, COCO and lists sampled from WordNet itself
(``benchmarks/wordnet_senses.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..._files import read_text
from ...errors import MatrixFileError

#: A choice whose score is within this much of the runner-up's is reported as a close call.
CLOSE_MARGIN = 0.02


@dataclass(frozen=True)
class SenseChoice:
    """The chosen sense of one name: ``how`` is "only sense", "first sense" or "context".

    ``runner_up`` is the best other candidate (None for a single candidate); ``margin`` its
    score gap; ``rank`` the chosen sense's position in WordNet's order (0 = first sense).
    """

    index: int
    how: str
    rank: int
    n_senses: int
    runner_up: int | None = None
    margin: float = float("inf")

    @property
    def close(self) -> bool:
        return self.runner_up is not None and self.margin < CLOSE_MARGIN


def _wordnet_file(root: Path, name: str) -> str:
    root = Path(root)
    if not root.is_file():
        return read_text(root / name, "WordNet file")
    import zipfile

    try:
        with zipfile.ZipFile(root) as zf:
            return zf.read(f"wordnet/{name}").decode("utf-8")
    except (OSError, KeyError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        raise MatrixFileError(f"cannot read {name} from {str(root)!r}: {exc}") from None


def sense_counts(root: str | Path, tax, lemmas=None) -> dict[tuple[str, int], int]:
    """``(lemma, synset id) → tagged count`` for nouns, from ``cntlist.rev`` + ``index.sense``.

    ``cntlist.rev`` lines are ``sense_key sense_number tag_count``; ``index.sense`` (sorted
    by sense key) maps a sense key to its synset offset. Senses never tagged in SemCor are
    absent (count 0). ``lemmas``: only these lemmas (index forms) are looked up.
    """
    import bisect

    tagged: dict[str, int] = {}
    for line in _wordnet_file(Path(root), "cntlist.rev").splitlines():
        f = line.split()
        if len(f) == 3 and "%1:" in f[0] and (lemmas is None or f[0].split("%", 1)[0] in lemmas):
            tagged[f[0]] = tagged.get(f[0], 0) + int(f[2])
    index = _wordnet_file(Path(root), "index.sense").splitlines()
    offset_of, missed = {}, []
    for key in tagged:  # index.sense is sorted by key; a few keys sort otherwise in Python
        i = bisect.bisect_left(index, key + " ")
        if i < len(index) and index[i].startswith(key + " "):
            offset_of[key] = index[i]
        else:
            missed.append(key)
    if missed:
        wanted = set(missed)
        for line in index:
            key = line.partition(" ")[0]
            if key in wanted:
                offset_of[key] = line
    out: dict[tuple[str, int], int] = {}
    for key, line in offset_of.items():
        k = tax.by_offset(int(line.split()[1]))
        if k is not None:
            name = (key.split("%", 1)[0], k)
            out[name] = out.get(name, 0) + tagged[key]
    return out


def candidates(tax, forms: list[str], morphy) -> list[tuple[int, str]]:
    """Noun senses ``(synset id, lemma)`` of a name, in nltk's ``wn.synsets`` order.

    ``forms`` are the name's lemma spellings (best first), ``morphy(tax, form)`` nltk's
    base forms of one spelling. The first spelling with any sense wins. A multi-word name
    with no sense ("maple_tree") is read as "modifier head": the senses of its modifier
    words that lie below a sense of the head word, else the head word's own senses.
    """
    for form in forms:
        out = _senses_of(tax, form, morphy)
        if out:
            return out
    words = [w for w in re.split(r"[_\-]", forms[0]) if w] if forms else []
    if len(words) < 2:
        return []
    head = _senses_of(tax, words[-1], morphy)
    if not head:
        return []
    heads = {k for k, _ in head}
    below = []
    for w in ("_".join(words[:-1]), *words[:-1]):
        for k, lemma in _senses_of(tax, w, morphy):
            if heads & _ancestors(tax, k) and k not in {b for b, _ in below}:
                below.append((k, lemma))
        if below:
            return below
    from .qualifiers import mentioning

    return mentioning(tax, head, words[:-1])


def shared_senses(lists: list[list[tuple[int, str]]]) -> list[tuple[int, str]]:
    """The senses synonyms share: of every word's candidates, those held by the most words
    (at least two), in order of appearance; the first word's own if no two words share one.

    ``mouse, computer mouse``: only mouse.n.04 is a sense of both.
    """
    held: dict[int, list] = {}
    for cands in lists:
        for k, lemma in dict.fromkeys(cands):
            held.setdefault(k, [lemma, 0])[1] += 1
    most = max(n for _, n in held.values())
    if most < 2:
        return lists[0]
    return [(k, lemma) for k, (lemma, n) in held.items() if n == most]


def _senses_of(tax, form: str, morphy) -> list[tuple[int, str]]:
    out, seen = [], set()
    for base in morphy(tax, form):
        for k in tax.senses(base):
            if k not in seen:
                seen.add(k)
                out.append((k, base))
    return out


def _ancestors(tax, k: int) -> set[int]:
    seen, todo = {k}, [k]
    while todo:
        x = todo.pop()
        for p in tax.parents_idx[tax.parents_ptr[x]:tax.parents_ptr[x + 1]].tolist():
            if p not in seen:
                seen.add(p)
                todo.append(p)
    return seen


def head_rate(tax, cands: list[list[tuple[int, str]]]) -> float:
    """Share (add-one smoothed) of the single-sense names that are their synset's head word.

    Only plain names count (a wnid or synset name has an empty lemma here).
    """
    single = [c[0] for c in cands if len(c) == 1 and c[0][1]]
    heads = sum(_is_head(tax, k, lemma) for k, lemma in single)
    return (heads + 1.0) / (len(single) + 2.0)


def _is_head(tax, k: int, lemma: str) -> bool:
    return tax.names[k].rsplit(".", 2)[0] == lemma.lower()


def log_prior(tax, cands, counts) -> np.ndarray:
    """log P(sense | name) for every candidate, flattened: SemCor counts + head pseudo-count."""
    h = head_rate(tax, cands)
    raw = np.array([counts.get((lemma.lower(), k), 0)
                    + 2.0 * (h if _is_head(tax, k, lemma) else 1.0 - h)
                    for c in cands for k, lemma in c], dtype=np.float64)
    owner = np.repeat(np.arange(len(cands)), [len(c) for c in cands])
    total = np.zeros(len(cands))
    np.add.at(total, owner, raw)
    return np.log(raw / total[owner])


def choose_senses(tax, cands: list[list[tuple[int, str]]], counts, *, neighbours: int = 30,
                  prior_weight: float = 0.1, head_weight: float = 0.1, nest_weight: float = 0.1,
                  zero_penalty: float = 0.067, first_bonus: float = CLOSE_MARGIN,
                  max_iter: int = 30) -> list[SenseChoice]:
    """One sense per name from its candidates, using the other names as context.

    Parameters
    ----------
    tax : Taxonomy
        The noun taxonomy (:mod:`simmatrix.sources.wordnet.graph`).
    cands : list of list of (int, str), length n_names
        Each name's candidate ``(synset id, lemma)`` in WordNet's sense order; non-empty.
        A name with one candidate (a wnid, a mapped class, a monosemous lemma) is context.
    counts : mapping of (str, int) to int
        Tagged frequencies from :func:`sense_counts`.
    neighbours : int
        How many of the most similar other names a candidate's coherence averages.
    prior_weight, head_weight, nest_weight, zero_penalty, first_bonus : float
        Weights of the log prior, of the naming habit and of the nesting habit; penalty for
        a sense SemCor never tagged while it tagged another sense of the name; bonus of
        WordNet's first sense (see the module notes).

    Returns
    -------
    list of SenseChoice, length n_names

    Notes
    -----
    Only the candidates of ambiguous names are scored (:mod:`.coherence`): memory is about
    4 bytes × their number × (the number of ambiguous names + ``neighbours``), time about
    linear in that times the number of candidates; refused up front (TooLargeError) when
    it does not fit.
    """
    from ..._memory import ensure_fits
    from .coherence import Coherence

    n = len(cands)
    owner = np.repeat(np.arange(n), [len(c) for c in cands])
    syn = np.array([k for c in cands for k, _ in c], dtype=np.int64)
    rank = np.concatenate([np.arange(len(c)) for c in cands])
    m = len(syn)
    if m == n or n < 2:  # nothing to choose, or no context
        return [SenseChoice(c[0][0], "only sense" if len(c) == 1 else "first sense", 0,
                            len(c)) for c in cands]
    near = min(neighbours, n - 1)
    n_amb = sum(len(c) > 1 for c in cands)
    m_amb = sum(len(c) for c in cands if len(c) > 1)
    ensure_fits(Coherence.estimate(m_amb, n_amb, near),
                f"choosing senses for {n} names ({m_amb} candidate senses of {n_amb} "
                "ambiguous names)",
                "give wnids or synset names for some classes, or use senses='first'")
    prior = log_prior(tax, cands, counts)
    tagged = np.array([counts.get((lemma.lower(), k), 0) for c in cands for k, lemma in c])
    most = np.zeros(n, dtype=tagged.dtype)
    np.maximum.at(most, owner, tagged)
    untagged = (tagged == 0) & (most[owner] > 0)  # SemCor tagged another sense, never this
    head = np.array([_is_head(tax, k, lemma) for c in cands for k, lemma in c])
    h = head_rate(tax, cands)
    habit = head_weight * np.where(head, np.log(h), np.log1p(-h))
    # a name given twice (ImageNet's two "crane"s) has the same candidates twice; neither
    # copy is context for the other
    twin = {}
    key = np.array([twin.setdefault(tuple(k for k, _ in c), i) for i, c in enumerate(cands)])
    ctx = Coherence(tax, syn, owner, key[owner], np.exp(prior).astype(np.float32), near)
    # the nesting habit: single-sense names whose synset lies above another one's (a copy
    # of the same name has the same synset, so it is not counted)
    sole = syn[np.bincount(owner, minlength=n)[owner] == 1]
    nested = np.isin(sole, list(_strictly_above(tax, sole)))
    nest_rate = (np.count_nonzero(nested) + 1.0) / (len(sole) + 2.0)
    rows = ctx.rows
    prior, habit, untagged, first = prior[rows], habit[rows], untagged[rows], rank[rows] == 0
    coherence, nests = ctx.first_round()
    chosen, seen = None, set()
    for _ in range(max_iter):
        if chosen is not None:
            coherence, nests = ctx.round(chosen)
        score = (coherence + prior_weight * prior + habit
                 + nest_weight * np.where(nests, np.log(nest_rate), np.log1p(-nest_rate))
                 - zero_penalty * untagged + first_bonus * first)
        order = np.lexsort((rank[rows], -np.round(score, 12), owner[rows]))
        starts = np.r_[0, np.flatnonzero(np.diff(owner[rows][order])) + 1]
        best = order[starts]  # one row per ambiguous name, in name order
        if best.tobytes() in seen:  # a fixed point (or, should one arise, a cycle)
            break
        seen.add(best.tobytes())
        chosen = best
    return _report(cands, syn[rows], rank[rows], score, order, starts, ctx.names)


def _strictly_above(tax, ks) -> set[int]:
    """The synsets above (not equal to) any of ``ks``."""
    ptr, idx = tax.parents_ptr, tax.parents_idx
    seen: set[int] = set()
    todo = list(set(ks.tolist()))
    while todo:
        x = todo.pop()
        for p in idx[ptr[x]:ptr[x + 1]].tolist():
            if p not in seen:
                seen.add(p)
                todo.append(p)
    return seen


def _report(cands, syn, rank, score, order, starts, names) -> list[SenseChoice]:
    """Each name's choice: the ambiguous ones (``names``) from the ranked rows."""
    out = [SenseChoice(c[0][0], "only sense", 0, 1) for c in cands]
    for i, s in zip(names.tolist(), starts.tolist()):
        b, r = order[s], order[s + 1]
        out[i] = SenseChoice(int(syn[b]), "context", int(rank[b]), len(cands[i]), int(syn[r]),
                             float(score[b] - score[r]))
    return out
