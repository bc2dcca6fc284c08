"""The context part of :func:`~simmatrix.sources.wordnet.senses.choose_senses`, in blocks.

A candidate's *coherence* is its mean Lin similarity (intrinsic IC) to the ``k`` other
names most similar to it, each name counted through its current sense (in the first round
through all its senses, weighted by the prior). Only the candidates of ambiguous names
(more than one candidate) need one, and only their rows are computed:

- a single-candidate name's column never changes, so each row's ``k`` largest similarities
  to those columns are found once, in blocks of rows (:class:`~.paths.PathTrie`), and kept
  as ``rows × k`` values; a round merges them with the ambiguous names' current columns;
- of the ambiguous candidates' columns only those some round chose are computed and kept
  (``rows × n_ambiguous_names``, and a few more when choices change);
- the nesting test "is the candidate, or is it above, a name's current sense" is the LCS
  IC equal to the candidate's own IC (intrinsic IC falls strictly along every hypernym
  edge): against the single-candidate names it is fixed per row, against the ambiguous
  candidates it is a short list of pairs.

Every value is computed exactly as on the full ``m × m`` similarity array, so the choices
are the same; memory is ``rows × (k + columns kept)`` float32 plus fixed-size blocks.
"""

from __future__ import annotations

import numpy as np

from .measures import TEMP_ELEMS, intrinsic_ic
from .paths import PathTrie


def lin(lcs: np.ndarray, own_rows: np.ndarray, own_cols: np.ndarray,
        dtype=np.float64) -> np.ndarray:
    """Lin's similarity ``2 IC(lcs) / (IC(a) + IC(b))`` from the LCS IC of rows × columns
    (0 where both ICs are 0), computed in float64 and stored as ``dtype``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.divide(2.0 * lcs, np.add.outer(own_rows, own_cols),
                        out=np.empty(lcs.shape, dtype))
    zero_rows, zero_cols = own_rows == 0, own_cols == 0
    if zero_rows.any() and zero_cols.any():
        out[np.ix_(zero_rows, zero_cols)] = 0.0
    return out


def top_union(top: np.ndarray, more: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean (float64) and smallest of the ``k`` largest values of each row of ``top`` and
    ``more`` together, where ``top`` holds the ``k`` largest of its columns (or all of
    them, when fewer): only the values of ``more`` above a row's k-th can count."""
    n, kt = top.shape
    cut = top.min(axis=1) if kt == k else np.full(n, -np.inf, dtype=top.dtype)
    r, c = np.nonzero(more > cut[:, None])
    counts = np.bincount(r, minlength=n)
    merged = np.full((n, kt + int(counts.max(initial=0))), -np.inf, dtype=top.dtype)
    merged[:, :kt] = top
    merged[r, kt + np.arange(len(r)) - np.repeat(np.cumsum(counts) - counts, counts)] = more[r, c]
    best = -np.partition(-merged, k - 1, axis=1)[:, :k]
    return best.mean(axis=1, dtype=np.float64), best.min(axis=1)


class Coherence:
    """Coherence and nesting of the ambiguous candidates, round by round.

    Parameters
    ----------
    tax : Taxonomy
        The taxonomy of the synset ids.
    syn, owner, key : numpy.ndarray, length m
        Each candidate's synset, name and name key (names with the same candidates share
        a key; such twins are not context for one another: similarity 0, never nesting).
    weight : numpy.ndarray, length m
        The float32 prior of each candidate, for the first round.
    k : int
        How many other names the coherence averages (at most ``n_names - 1``).

    ``rows`` are the ambiguous candidates (indices into the m), ``names`` their names.
    A round after the first recomputes only the rows whose top ``k`` a changed choice can
    reach.
    """

    def __init__(self, tax, syn, owner, key, weight, k: int):
        n = int(owner.max()) + 1
        amb = np.bincount(owner, minlength=n)[owner] > 1
        self.rows, sole = np.flatnonzero(amb), np.flatnonzero(~amb)
        self.names, self._local = np.unique(owner[self.rows], return_inverse=True)
        self.k, self._tax = k, tax
        self._ic = intrinsic_ic(tax)
        self._syn, self._own = syn[self.rows], self._ic[syn[self.rows]]
        self._key = key[self.rows]
        self._first_pass(syn[sole], weight[self.rows])
        m_a = len(self.rows)
        self._kept = np.empty((0, m_a), dtype=np.float32)  # row c: similarities to row c
        self._n_kept = 0
        self._where = np.full(m_a, -1, dtype=np.int64)
        self._trie = None
        self._chosen = None  # the choices self._coherence and self._kth are for
        self._coherence, self._kth = np.empty(m_a), np.empty(m_a, dtype=np.float32)

    @staticmethod
    def estimate(m_rows: int, n_names: int, k: int) -> int:
        """Bytes this holds: the kept columns (with room for changes), top values, blocks."""
        return int(m_rows * (1.25 * n_names + k + 16) * 4 + 48 * TEMP_ELEMS)

    def _first_pass(self, sole_syn: np.ndarray, weight: np.ndarray) -> None:
        """Rows against every column once: the top-k single-name values, the nesting, and
        the first round (every name through all its senses, weighted by the prior)."""
        m_a, ns = len(self.rows), len(sole_syn)
        ks = min(self.k, ns)
        self._sole_top = np.empty((m_a, ks), dtype=np.float32)
        self._nests_sole = np.empty(m_a, dtype=bool)
        self._first = np.empty(m_a)
        starts = np.r_[0, np.flatnonzero(np.diff(self._local)) + 1]
        trie = PathTrie(self._tax, np.r_[sole_syn, self._syn], self._ic)
        own_cols = np.r_[self._ic[sole_syn], self._own]
        pairs = []
        for r0, r1, lcs in trie.blocks(self._syn):
            own = self._own[r0:r1]
            above = lcs == own[:, None]
            sim = lin(lcs, own, own_cols, np.float32)
            del lcs
            same = self._key[r0:r1, None] == self._key[None, :]
            sim[:, ns:][same] = 0.0
            if ks:
                self._sole_top[r0:r1] = -np.partition(-sim[:, :ns], ks - 1, axis=1)[:, :ks]
            self._nests_sole[r0:r1] = above[:, :ns].any(axis=1)
            a, b = np.nonzero(above[:, ns:])  # few: filter the twins out of the list
            keep = self._key[a + r0] != self._key[b]
            pairs.append((a[keep] + r0, b[keep]))
            per_name = np.add.reduceat(sim[:, ns:] * weight[None, :], starts, axis=1)
            self._first[r0:r1] = self._merge(per_name, np.arange(r0, r1))[0]
        self._pairs = tuple(np.concatenate([p[i] for p in pairs]) for i in (0, 1))

    def _merge(self, per_name: np.ndarray, rows: np.ndarray):
        """Coherence and k-th value of ``rows`` from their values per ambiguous name (in
        name order; the own name is left out) and their top single-name values."""
        per_name[np.arange(len(rows)), self._local[rows]] = -np.inf
        return top_union(self._sole_top[rows], per_name, self.k)

    def first_round(self) -> tuple[np.ndarray, np.ndarray]:
        """Coherence and nesting (against the single-candidate names) of the first round."""
        return self._first, self._nests_sole

    def round(self, chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Coherence and nesting given ``chosen``, the row of each ambiguous name's sense."""
        self._keep(chosen)
        todo = np.arange(len(self.rows)) if self._chosen is None else self._reached(chosen)
        pos = self._where[chosen]
        step = max(1, TEMP_ELEMS // len(pos))
        for i in range(0, len(todo), step):
            rows = todo[i:i + step]
            per_name = np.take(np.take(self._kept[:self._n_kept], rows, axis=1), pos, axis=0).T
            self._coherence[rows], self._kth[rows] = self._merge(per_name, rows)
        self._chosen = chosen.copy()
        is_chosen = np.zeros(len(self.rows), dtype=bool)
        is_chosen[chosen] = True
        nests = self._nests_sole.copy()
        nests[self._pairs[0][is_chosen[self._pairs[1]]]] = True
        return self._coherence.copy(), nests

    def _reached(self, chosen: np.ndarray) -> np.ndarray:
        """The rows whose top k can change: a changed name's old value was in it (at least
        the k-th) or its new value is above the k-th."""
        changed = np.flatnonzero(chosen != self._chosen)
        hit = np.zeros(len(self.rows), dtype=bool)
        step = max(1, TEMP_ELEMS // len(self.rows))
        for i in range(0, len(changed), step):
            names = changed[i:i + step]
            old = self._kept[self._where[self._chosen[names]]]
            new = self._kept[self._where[chosen[names]]]
            reach = (old >= self._kth) | (new > self._kth)
            reach &= self._local[None, :] != names[:, None]  # the own name never counts
            hit |= reach.any(axis=0)
        return np.flatnonzero(hit)

    def _keep(self, chosen: np.ndarray) -> None:
        """Compute (once) the similarities to the chosen rows not kept yet."""
        new = np.unique(chosen[self._where[chosen] < 0])
        if not len(new):
            return
        if self._trie is None:
            self._trie = PathTrie(self._tax, self._syn, self._ic)
        if self._n_kept + len(new) > len(self._kept):  # room for 1/4 more (the estimate)
            grown = np.empty((max(self._n_kept + len(new), len(chosen)) * 5 // 4,
                              len(self.rows)), dtype=np.float32)
            grown[:self._n_kept] = self._kept[:self._n_kept]
            self._kept = grown
        for c0, c1, lcs in self._trie.blocks(self._syn[new]):
            cols = new[c0:c1]
            sim = lin(lcs, self._own[cols], self._own, np.float32)
            sim[self._key[cols, None] == self._key[None, :]] = 0.0
            self._kept[self._n_kept + c0:self._n_kept + c1] = sim
        self._where[new] = self._n_kept + np.arange(len(new))
        self._n_kept += len(new)
