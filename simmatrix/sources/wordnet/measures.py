"""All-pairs WordNet similarities with nltk's exact semantics, as array operations.

Every measure reduces to "over the common ancestors a of two synsets, pick one (or a
minimum)". For C synsets we list each one's ancestors with their BFS distances
(``D[i, a]``, as nltk's ``_shortest_hypernym_paths``), group the (synset, ancestor) pairs by
ancestor, and fill a C×C array one ancestor at a time over the block ``R_a × R_a`` of the
synsets below it, in an order chosen so that the last write is nltk's choice:

- ``path``/``lch``: ``dist[i, j] = min_a D[i, a] + D[j, a]`` (a running minimum);
- ``wup``: nltk takes the common ancestors of largest *min* depth, the first by name (but
  ``self`` when it is one of them), and scores ``2d / (sp(i, s) + sp(j, s) + 2d)`` with
  ``d = max_depth(s) + 1``; filling in increasing (min depth, reversed name) order leaves
  nltk's subsumer in every cell, and a short pass applies the ``self`` preference;
- ``res``: ``max_a IC(a)``, filling in increasing IC; ``lin`` and ``jcn`` follow from it.

Verbs have no single root: nltk then adds a fake ``*ROOT*`` one step above each synset's
farthest ancestor, which is the first fill. Rows are processed in blocks so that temporary
arrays stay at ``block × C``. No nltk call happens here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .graph import Taxonomy

FAKE_ROOT = "*ROOT*"
JCN_INF = 1e300  # nltk's _INF


class Ancestry:
    """Ancestors of C synsets of one taxonomy, grouped by ancestor.

    ``groups[g] = (a, members, dist)``: ancestor synset ``a``, the sorted row indices of
    the synsets below it (or equal to it), and their BFS distances to it.
    """

    def __init__(self, tax: Taxonomy, ids: Sequence[int]):
        self.tax = tax
        self.ids = np.asarray(ids, dtype=np.int64)
        self._bfs: dict[int, dict[int, int]] = {}
        self._parents = None
        rows, ancs, dists = [], [], []
        for i, k in enumerate(self.ids.tolist()):
            d = self.bfs(k)
            rows.extend([i] * len(d))
            ancs.extend(d.keys())
            dists.extend(d.values())
        rows, ancs, dists = (np.array(x, dtype=np.int64) for x in (rows, ancs, dists))
        order = np.lexsort((rows, ancs))
        rows, ancs, dists = rows[order], ancs[order], dists[order]
        cut = np.flatnonzero(np.diff(ancs)) + 1
        starts = np.concatenate(([0], cut))
        ends = np.concatenate((cut, [len(ancs)]))
        self.groups = [(int(ancs[s]), rows[s:e], dists[s:e]) for s, e in zip(starts, ends)]
        # nltk's fake root sits one step above each synset's farthest (BFS) ancestor.
        self.root_dist = np.zeros(len(self.ids), dtype=np.int64)
        np.maximum.at(self.root_dist, rows, dists + 1)

    def bfs(self, k: int) -> dict[int, int]:
        """Shortest hypernym distance from synset ``k`` to each of its ancestors (and 0 to k)."""
        if k not in self._bfs:
            if self._parents is None:
                ptr, idx = self.tax.parents_ptr.tolist(), self.tax.parents_idx.tolist()
                self._parents = [idx[ptr[x]:ptr[x + 1]] for x in range(len(ptr) - 1)]
            dist, frontier, d = {k: 0}, [k], 0
            while frontier:
                d += 1
                nxt = []
                for x in frontier:
                    for p in self._parents[x]:
                        if p not in dist:
                            dist[p] = d
                            nxt.append(p)
                frontier = nxt
            self._bfs[k] = dist
        return self._bfs[k]

    def sp_to(self, a: int, members: np.ndarray) -> np.ndarray:
        """nltk's ``shortest_path_distance(synset_i, a)`` for each member i (a above i)."""
        da = self.bfs(a)
        ra = max(da.values()) + 1
        out = np.empty(len(members), dtype=np.float64)
        for t, i in enumerate(members.tolist()):
            k = int(self.ids[i])
            di = self.bfs(k)
            best = 0 if k == a else min(di[b] + db for b, db in da.items())
            if self.tax.needs_root and k != a:
                best = min(best, self.root_dist[i] + ra)
            out[t] = best
        return out


TEMP_ELEMS = 1 << 21  # one temporary of the fill: 2M values (16 MB in float64)


def _blocks(n: int, block: int):
    return [(b0, min(n, b0 + block)) for b0 in range(0, n, block)]


def _empty(n: int, dtype, fill: float) -> np.ndarray:
    """An (n, n) array set to ``fill`` one block of rows at a time.

    The pages are touched once, in order, here, rather than later in the scattered order of
    the fill (``np.zeros`` maps them lazily, and the fill's first touches then cost page
    faults all over the matrix).
    """
    out = np.empty((n, n), dtype=dtype)
    for b0, b1 in _blocks(n, max(1, TEMP_ELEMS // max(n, 1))):
        out[b0:b1] = fill
    return out


def _fill(out, groups, value, *, reduce=None, block=2048, progress=None):
    """For each group (in order) write ``value(payload, r, c)`` into ``out[R_g, R_g]``.

    ``groups`` holds ``(members, payload)``; ``r`` slices the members that fall in the
    current block of rows, ``c`` the members of the current chunk of columns. ``reduce``
    (e.g. ``np.minimum``) combines with what is there instead of overwriting. Chunks keep
    every temporary under ``TEMP_ELEMS`` values, so the fill needs little beyond ``out``.
    """
    n = out.shape[0]
    spans = _blocks(n, block)
    for bi, (b0, b1) in enumerate(spans):
        ob = out[b0:b1]
        for members, payload in groups:
            lo, hi = np.searchsorted(members, (b0, b1))
            if lo == hi:
                continue
            r = slice(lo, hi)
            rows = members[r] - b0
            width = max(1, TEMP_ELEMS // (hi - lo))
            for c0 in range(0, len(members), width):
                c = slice(c0, c0 + width)
                ix = np.ix_(rows, members[c])
                vals = value(payload, r, c)
                ob[ix] = vals if reduce is None else reduce(ob[ix], vals)
        if progress is not None:
            progress(bi + 1, len(spans))
    return out


def path_distances(anc: Ancestry, *, block=2048, progress=None, dtype=np.float64):
    """nltk's ``shortest_path_distance`` for all pairs (simulated root where nltk uses one)."""
    n = len(anc.ids)
    if anc.tax.needs_root:
        r = anc.root_dist.astype(dtype)
        out = np.empty((n, n), dtype=dtype)
        for b0, b1 in _blocks(n, max(1, TEMP_ELEMS // max(n, 1))):
            np.add(r[b0:b1, None], r[None, :], out=out[b0:b1])
    else:
        out = _empty(n, dtype, np.inf)
    groups = [(m, d.astype(np.float64)) for _, m, d in anc.groups]
    _fill(out, groups, lambda d, r, c: d[r, None] + d[None, c], reduce=np.minimum,
          block=block, progress=progress)
    fill_same(out, anc.ids, 0.0)
    return out


def _in_rows(a: np.ndarray, f) -> np.ndarray:
    """Apply ``f(rows)`` (an in-place elementwise map) to ``a`` one block of rows at a time."""
    for b0, b1 in _blocks(a.shape[0], max(1, TEMP_ELEMS // max(a.shape[1], 1))):
        f(a[b0:b1])
    return a


def path_from_distance(dist: np.ndarray) -> np.ndarray:
    """nltk's ``path_similarity`` ``1 / (dist + 1)``, computed in place in ``dist``."""
    def f(x):
        x += 1.0
        np.reciprocal(x, out=x)

    with np.errstate(divide="ignore"):
        return _in_rows(dist, f)


def fill_same(out: np.ndarray, ids: np.ndarray, value: float) -> None:
    """Set ``out[i, j] = value`` wherever ``ids[i] == ids[j]`` (the diagonal and duplicates)."""
    np.fill_diagonal(out, value)
    uniq, inverse, counts = np.unique(ids, return_inverse=True, return_counts=True)
    for u in np.flatnonzero(counts > 1):
        rows = np.flatnonzero(inverse == u)
        out[np.ix_(rows, rows)] = value


def wup(anc: Ancestry, *, block=2048, progress=None, dtype=np.float64) -> np.ndarray:
    """nltk's ``wup_similarity(s_i, s_j)`` (with ``simulate_root=True``) for all pairs."""
    tax, n = anc.tax, len(anc.ids)
    names, mind = tax.names, tax.min_depth
    fake_key = (0, FAKE_ROOT)
    keyed = sorted(anc.groups, key=lambda g: (int(mind[g[0]]), _Rev(names[g[0]])))
    if tax.needs_root:  # the fake root is common to all: fill it first, drop worse keys
        r = anc.root_dist.astype(np.float64)
        out = np.empty((n, n), dtype=dtype)
        for b0, b1 in _blocks(n, max(1, TEMP_ELEMS // max(n, 1))):
            out[b0:b1] = 2.0 / (r[b0:b1, None] + r[None, :] + 2.0)
        keyed = [g for g in keyed if _better((int(mind[g[0]]), names[g[0]]), fake_key)]
    else:
        out = _empty(n, dtype, 0.0)
    groups = []
    for a, members, _ in keyed:
        depth = float(tax.max_depth[a] + 1)
        groups.append((members, (depth, anc.sp_to(a, members))))

    def value(p, r, c):
        depth, sp = p
        v = sp[r, None] + sp[None, c]
        v += 2.0 * depth
        return np.divide(2.0 * depth, v, out=v)

    _fill(out, groups, value, block=block, progress=progress)
    _prefer_self(out, anc, fake_key)
    return out


class _Rev(str):
    """A string that sorts in reverse, so that one sort key orders depth up, name down."""

    def __lt__(self, other):
        return str.__gt__(self, other)


def _better(k1, k2) -> bool:
    """nltk's preference: larger min depth, then smaller name."""
    return k1[0] > k2[0] or (k1[0] == k2[0] and k1[1] < k2[1])


def _prefer_self(out, anc: Ancestry, fake_key) -> None:
    """nltk uses ``self`` as the subsumer whenever it is one of the lowest common ones."""
    tax = anc.tax
    members_of = {a: m for a, m, _ in anc.groups}
    for i, k in enumerate(anc.ids.tolist()):
        best = max((int(tax.min_depth[a]), a) for a in anc.bfs(k))[0]
        if tax.needs_root:
            best = max(best, fake_key[0])
        if int(tax.min_depth[k]) != best:
            continue
        members = members_of[k]
        depth = float(tax.max_depth[k] + 1)
        sp = anc.sp_to(k, members)
        out[i, members] = 2.0 * depth / (sp + 2.0 * depth)


def lch_from_distance(dist: np.ndarray, tax: Taxonomy, *, scale: float = 1.0,
                      out: np.ndarray | None = None) -> np.ndarray:
    """nltk's ``lch_similarity``: ``-log((dist + 1) / 2D)``, D the taxonomy depth.

    Divided by ``scale``; with ``out=dist`` computed in place, a block of rows at a time.
    """
    if out is None:
        out = np.array(dist, copy=True)
    elif out is not dist:
        out[...] = dist
    two_d = 2.0 * tax.taxonomy_depth

    def f(x):
        x += 1.0
        x /= two_d
        np.log(x, out=x)
        np.negative(x, out=x)
        if scale != 1.0:
            x /= scale

    return _in_rows(out, f)


def lcs_ic(anc: Ancestry, ic: np.ndarray, *, block=2048, progress=None) -> np.ndarray:
    """``max_a IC(a)`` over common ancestors (nltk's ``_lcs_ic``; 0 when there is none)."""
    n = len(anc.ids)
    out = _empty(n, np.float64, 0.0)
    keyed = sorted(anc.groups, key=lambda g: ic[g[0]])
    groups = [(m, float(ic[a])) for a, m, _ in keyed]
    return _fill(out, groups, lambda v, r, c: v, block=block, progress=progress)


def ic_measures(measure: str, lcs: np.ndarray, ic_self: np.ndarray,
                same: np.ndarray) -> np.ndarray:
    """nltk's ``res``/``lin``/``jcn`` from the LCS information content, elementwise."""
    if measure == "res":
        return lcs
    i1, i2 = ic_self[:, None], ic_self[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "lin":
            return 2.0 * lcs / (i1 + i2)
        diff = i1 + i2 - 2.0 * lcs
        out = np.where(diff == 0, JCN_INF, 1.0 / diff)
    out = np.where((i1 == 0) | (i2 == 0), 0.0, out)
    return np.where(same, JCN_INF, out)


def intrinsic_ic(tax: Taxonomy) -> np.ndarray:
    """Seco et al. (2004): ``IC(c) = 1 - log(hypo(c) + 1) / log(N)``, N synsets in the POS."""
    return 1.0 - np.log(tax.hypo + 1.0) / math.log(len(tax))


def read_ic_file(path, tax: Taxonomy) -> np.ndarray:
    """IC per synset of ``tax`` from an nltk ``ic-*.dat`` file: ``-log(count / root count)``.

    Follows ``WordNetICCorpusReader.ic``: the header line is skipped, ``ROOT`` lines add to
    the root count, a count of 0 (or a synset not listed) gives nltk's ``_INF`` = 1e300,
    so res, lin and jcn equal nltk's (res 1e300, lin 1.0, jcn 1e300 where nltk gives them).
    """
    from ...errors import MatrixFileError

    counts: dict[int, float] = {}
    root = 0.0
    try:
        with open(path, encoding="utf-8") as fh:
            for num, line in enumerate(fh):
                fields = line.split()
                if num == 0 or not fields:
                    continue
                if fields[0][-1] not in "nv":
                    raise MatrixFileError(
                        f"IC file {str(path)!r} line {num + 1}: unknown POS in {fields[0]!r}")
                if fields[0][-1] != tax.pos:
                    continue
                offset, value = int(fields[0][:-1]), float(fields[1])
                if len(fields) == 3 and fields[2] == "ROOT":
                    root += value
                if value != 0:
                    counts[offset] = value
    except (OSError, UnicodeDecodeError, ValueError, IndexError) as exc:
        raise MatrixFileError(f"cannot read IC file {str(path)!r}: {exc}") from None
    if root == 0:
        raise MatrixFileError(f"IC file {str(path)!r} has no ROOT count for POS {tax.pos!r}")
    c = np.zeros(len(tax))
    k = np.searchsorted(tax.offsets, np.fromiter(counts, dtype=np.int64))
    ok = (k < len(tax)) & (tax.offsets[np.minimum(k, len(tax) - 1)] == np.fromiter(
        counts, dtype=np.int64))
    c[k[ok]] = np.fromiter(counts.values(), dtype=np.float64)[ok]
    with np.errstate(divide="ignore"):
        return np.where(c == 0, JCN_INF, -np.log(np.where(c == 0, 1.0, c) / root))
