"""LCS information content of some synsets against others, a block of rows at a time.

:func:`simmatrix.sources.wordnet.measures.lcs_ic` fills a square C × C array one common
ancestor at a time, writing every cell once per ancestor the pair shares. For a rectangle
(a few rows against many columns) :class:`PathTrie` instead writes every cell a constant
number of times:

- every root-to-synset hypernym path of every column synset is a *slot*; sorted as tuples
  they are in depth-first order, so the slots through any path prefix (a node of the tree
  that unfolds the hypernym graph) are one run ``[lo, hi)``;
- a row synset's path, walked from its root, meets the runs of its prefixes nested one in
  another. Adding, over each run, the rise in (running maximum) IC rank from the prefix
  above it and taking a cumulative sum leaves in every slot the rank of the best IC common
  to the row path and the slot's path;
- the maximum over the row's paths and over the column's slots is the best IC of any
  common ancestor (every common ancestor lies on the shared prefix of some pair of paths),
  exactly :func:`~simmatrix.sources.wordnet.measures.lcs_ic`'s value, 0 when there is none.

A WordNet noun has at most 12 hypernym paths (1.36 on average), so the slots number about
1.4 C and a block of rows costs a few passes over ``rows × slots`` integers.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from .graph import Taxonomy
from .measures import TEMP_ELEMS


class PathTrie:
    """The hypernym paths of the column synsets ``cols``, for ``lcs_ic`` of any rows.

    Parameters
    ----------
    tax : Taxonomy
        The taxonomy the synset ids index.
    cols : sequence of int
        Column synset ids (repeats allowed).
    ic : numpy.ndarray
        Information content per synset of ``tax``, e.g.
        :func:`~simmatrix.sources.wordnet.measures.intrinsic_ic`.
    """

    def __init__(self, tax: Taxonomy, cols: Sequence[int], ic: np.ndarray):
        self.tax, self.ic = tax, np.asarray(ic, dtype=np.float64)
        order = np.argsort(self.ic, kind="stable")
        self._rank = np.empty(len(order), dtype=np.int64)
        self._rank[order] = np.arange(1, len(order) + 1)
        self._ic_of_rank = np.concatenate(([0.0], self.ic[order]))  # rank 0: no common node
        self._paths: dict[int, list[tuple[int, ...]]] = {}
        cols = [int(k) for k in cols]
        slots = sorted((p, j) for j, k in enumerate(cols) for p in self.paths(k))
        self.n_cols, self.n_slots = len(cols), len(slots)
        self._child: dict[tuple[int, int], int] = {}
        self._lo: list[int] = []
        self._hi: list[int] = []
        for s, (path, _) in enumerate(slots):
            node = -1  # above the roots
            for x in path:
                nxt = self._child.get((node, x))
                if nxt is None:
                    nxt = self._child[(node, x)] = len(self._lo)
                    self._lo.append(s)
                    self._hi.append(s)
                self._hi[nxt] = s + 1
                node = nxt
        # each column's slots: the first one, then layers of the 2nd, 3rd... where it has them
        of_col = [[] for _ in cols]
        for s, (_, j) in enumerate(slots):
            of_col[j].append(s)
        self._first = np.array([o[0] for o in of_col], dtype=np.int64)
        self._more = []
        for t in range(1, max((len(o) for o in of_col), default=1)):
            js = [j for j, o in enumerate(of_col) if len(o) > t]
            self._more.append((np.array(js), np.array([of_col[j][t] for j in js])))
        self._steps: dict[int, tuple[list[int], list[int], list[int], list[int]]] = {}

    def paths(self, k: int) -> list[tuple[int, ...]]:
        """Every hypernym path of synset ``k``, root first, ``k`` last."""
        if k not in self._paths:
            ptr, idx = self.tax.parents_ptr, self.tax.parents_idx
            parents = idx[ptr[k]:ptr[k + 1]].tolist()
            self._paths[k] = [p + (k,) for q in parents for p in self.paths(q)] or [(k,)]
        return self._paths[k]

    def _walk(self, k: int):
        """Row synset ``k``'s runs: (path number, lo, hi, rise in rank) per step that rises."""
        if k not in self._steps:
            out: tuple[list[int], list[int], list[int], list[int]] = ([], [], [], [])
            for t, path in enumerate(self.paths(k)):
                node, top = -1, 0
                for x in path:
                    node = self._child.get((node, x))
                    if node is None:
                        break
                    r = max(top, int(self._rank[x]))
                    if r > top:
                        for part, v in zip(out, (t, self._lo[node], self._hi[node], r - top)):
                            part.append(v)
                        top = r
            self._steps[k] = out
        return self._steps[k]

    def lcs_ic(self, rows: Sequence[int]) -> np.ndarray:
        """``(len(rows), n_cols)`` float64: the best IC of a common ancestor (0 if none).

        Temporaries hold ``n_paths(rows) × n_slots`` int32 values: block long row lists
        (:meth:`blocks`).
        """
        walks = [self._walk(int(k)) for k in rows]
        n_paths = np.array([len(self.paths(int(k))) for k in rows], dtype=np.int64)
        # the row paths' order: every row's first path, then the second ones, and so on
        layers = [np.flatnonzero(n_paths > t) for t in range(int(n_paths.max(initial=1)))]
        place = np.zeros((len(layers), len(rows)), dtype=np.int64)
        start = 0
        for t, rs in enumerate(layers):
            place[t, rs] = start + np.arange(len(rs))
            start += len(rs)
        row = np.repeat(np.arange(len(rows)), [len(w[0]) for w in walks])
        path, lo, hi, rise = (np.concatenate([np.asarray(w[i], dtype=np.int64) for w in walks]
                                             + [np.zeros(0, np.int64)]) for i in range(4))
        steps = np.zeros((start, self.n_slots + 1), dtype=np.int32)
        rise = rise.astype(np.int32)
        np.add.at(steps, (place[path, row], lo), rise)
        np.subtract.at(steps, (place[path, row], hi), rise)
        np.cumsum(steps, axis=1, out=steps)
        # (np.take along an axis is about twice as fast as fancy indexing here)
        out = np.take(steps, self._first, axis=1)  # the max over each column's slots...
        for js, slots in self._more:
            out[:, js] = np.maximum(np.take(out, js, axis=1), np.take(steps, slots, axis=1))
        del steps
        best = out[:len(rows)]  # ...and over each row's paths
        for t, rs in enumerate(layers[1:], 1):
            best[rs] = np.maximum(best[rs], out[place[t, rs]])
        return self._ic_of_rank[best]

    def blocks(self, rows: Sequence[int], elems: int = TEMP_ELEMS
               ) -> Iterator[tuple[int, int, np.ndarray]]:
        """``(r0, r1, lcs_ic(rows[r0:r1]))`` over blocks of rows of about ``elems`` values."""
        rows = [int(k) for k in rows]
        per = max(1, elems // max(self.n_slots, self.n_cols, 1))
        r0 = 0
        while r0 < len(rows):
            r1, paths = r0, 0
            while r1 < len(rows) and (r1 == r0 or paths + len(self.paths(rows[r1])) <= per):
                paths += len(self.paths(rows[r1]))
                r1 += 1
            yield r0, r1, self.lcs_ic(rows[r0:r1])
            r0 = r1
