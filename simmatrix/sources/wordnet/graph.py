"""The WordNet hypernym graph as numpy arrays, prepared once from nltk and cached on disk.

nltk needs several seconds to load WordNet and walks the graph one synset object at a time.
:func:`load_graph` reads the noun and verb taxonomies once through nltk into flat arrays
(offsets, names, glosses, hypernym + instance-hypernym edges as CSR, min/max depths,
hyponym counts, the lemma index and the morphological exception lists), and stores them in
``$XDG_CACHE_HOME/simmatrix`` (default ``~/.cache/simmatrix``) as one ``.npz`` named after a
SHA-256 fingerprint of the WordNet files nltk reads. A later build loads the arrays in well
under a second without importing nltk; a changed WordNet gets a new fingerprint, so a stale
cache is never read. Delete the folder to drop the cache; ``cache=False`` skips it.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..._files import atomic_path
from ...errors import BuildError
from .data import find_wordnet

FORMAT = 1
POSES = ("n", "v")
_HASHED = ("data.noun", "data.verb", "index.noun", "index.verb", "noun.exc", "verb.exc")


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(base) / "simmatrix"


def wordnet_fingerprint(root: Path) -> str:
    """SHA-256 over the WordNet files the graph is read from (or over ``wordnet.zip``)."""
    h = hashlib.sha256(f"simmatrix-wordnet-graph-{FORMAT}".encode())
    files = [root] if root.is_file() else [root / f for f in _HASHED]
    for f in files:
        h.update(f.name.encode())
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def _pack(strings: list[str]) -> tuple[np.ndarray, np.ndarray]:
    data = [s.encode("utf-8") for s in strings]
    ptr = np.zeros(len(data) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in data], out=ptr[1:])
    return np.frombuffer(b"".join(data), dtype=np.uint8), ptr


def _unpack(blob: np.ndarray, ptr: np.ndarray) -> list[str]:
    raw = blob.tobytes()
    return [raw[a:b].decode("utf-8") for a, b in zip(ptr[:-1].tolist(), ptr[1:].tolist())]


@dataclass
class Taxonomy:
    """One part of speech: synset ``k`` has offset ``offsets[k]`` and name ``names[k]``.

    ``parents_ptr``/``parents_idx`` are the CSR rows of hypernym + instance-hypernym edges
    (as nltk's ``hypernyms() + instance_hypernyms()``); ``min_depth``/``max_depth`` are nltk's
    ``min_depth()``/``max_depth()``; ``hypo[k]`` counts the distinct descendants of ``k``;
    ``lemma_ptr``/``lemma_idx`` list, per lemma of ``lemmas``, its synsets in sense order.
    """

    pos: str
    offsets: np.ndarray
    names: list[str]
    glosses: list[str]
    parents_ptr: np.ndarray
    parents_idx: np.ndarray
    min_depth: np.ndarray
    max_depth: np.ndarray
    hypo: np.ndarray
    lemmas: list[str]
    lemma_ptr: np.ndarray
    lemma_idx: np.ndarray
    exceptions: dict[str, list[str]]
    _lemma_pos: dict[str, int] | None = field(default=None, repr=False)
    _synset_lemmas: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.offsets)

    @property
    def needs_root(self) -> bool:
        """nltk simulates a common root for every POS but nouns (WordNet 3.0)."""
        return self.pos != "n"

    def senses(self, lemma: str) -> list[int]:
        """Synset ids of ``lemma`` (exact index form) in WordNet's sense order."""
        if self._lemma_pos is None:
            self._lemma_pos = {w: i for i, w in enumerate(self.lemmas)}
        i = self._lemma_pos.get(lemma)
        if i is None:
            return []
        return self.lemma_idx[self.lemma_ptr[i]:self.lemma_ptr[i + 1]].tolist()

    def lemmas_of(self, k: int) -> list[str]:
        """The lemmas of synset ``k`` (as ``Synset.lemma_names()``, in no set order)."""
        if self._synset_lemmas is None:
            lemma_of = np.repeat(np.arange(len(self.lemmas)), np.diff(self.lemma_ptr))
            order = np.argsort(self.lemma_idx, kind="stable")
            ptr = np.searchsorted(self.lemma_idx[order], np.arange(len(self.offsets) + 1))
            self._synset_lemmas = lemma_of[order], ptr
        lemma_of, ptr = self._synset_lemmas
        return [self.lemmas[i] for i in lemma_of[ptr[k]:ptr[k + 1]].tolist()]

    def by_offset(self, offset: int) -> int | None:
        k = int(np.searchsorted(self.offsets, offset))
        return k if k < len(self.offsets) and self.offsets[k] == offset else None

    @property
    def taxonomy_depth(self) -> int:
        """nltk's ``_compute_max_depth(pos, needs_root)``: the lch depth D."""
        return int(self.max_depth.max()) + int(self.needs_root)


@dataclass
class WordNetGraph:
    """Noun and verb :class:`Taxonomy`, the WordNet root they came from, and its fingerprint."""

    n: Taxonomy
    v: Taxonomy
    root: str
    fingerprint: str
    from_cache: bool = False

    def __getitem__(self, pos: str) -> Taxonomy:
        return self.v if pos == "v" else self.n


def _depths(parents_ptr, parents_idx, n):
    """min/max depth and descendant counts in one pass over a topological order."""
    order, state = [], np.zeros(n, dtype=np.int8)
    for start in range(n):
        if state[start]:
            continue
        stack = [(start, False)]
        while stack:
            k, done = stack.pop()
            if done:
                order.append(k)
                state[k] = 2
                continue
            if state[k]:
                continue
            state[k] = 1
            stack.append((k, True))
            for p in parents_idx[parents_ptr[k]:parents_ptr[k + 1]].tolist():
                if state[p] == 0:
                    stack.append((p, False))
                elif state[p] == 1:
                    raise BuildError(f"the WordNet hypernym graph has a cycle at synset {p}")
    mind = np.zeros(n, dtype=np.int32)
    maxd = np.zeros(n, dtype=np.int32)
    anc: list[set[int] | None] = [None] * n
    for k in order:  # parents come first
        ps = parents_idx[parents_ptr[k]:parents_ptr[k + 1]].tolist()
        s = {k}
        if ps:
            mind[k] = 1 + min(mind[p] for p in ps)
            maxd[k] = 1 + max(maxd[p] for p in ps)
            for p in ps:
                s |= anc[p]
        anc[k] = s
    flat = np.fromiter((a for s in anc for a in s), dtype=np.int64)
    hypo = np.bincount(flat, minlength=n) - 1
    return mind, maxd, hypo


def _taxonomy_from_nltk(wn, pos: str) -> Taxonomy:
    syns = list(wn.all_synsets(pos))
    offsets = np.array([s.offset() for s in syns], dtype=np.int64)
    index = {int(o): k for k, o in enumerate(offsets)}
    ptr, idx = [0], []
    for s in syns:
        idx.extend(index[h.offset()] for h in s.hypernyms() + s.instance_hypernyms())
        ptr.append(len(idx))
    parents_ptr = np.array(ptr, dtype=np.int64)
    parents_idx = np.array(idx, dtype=np.int32)
    mind, maxd, hypo = _depths(parents_ptr, parents_idx, len(syns))
    lemmas, lptr, lidx = [], [0], []
    for lemma, by_pos in wn._lemma_pos_offset_map.items():
        if pos in by_pos:
            lemmas.append(lemma)
            lidx.extend(index[o] for o in by_pos[pos])
            lptr.append(len(lidx))
    return Taxonomy(
        pos, offsets, [s.name() for s in syns], [s.definition() for s in syns],
        parents_ptr, parents_idx, mind, maxd, hypo, lemmas,
        np.array(lptr, dtype=np.int64), np.array(lidx, dtype=np.int32),
        {k: list(v) for k, v in wn._exception_map[pos].items()},
    )


def _save(graph: WordNetGraph, path: Path) -> None:
    arrays = {}
    for t in (graph.n, graph.v):
        p = t.pos + "_"
        arrays[p + "names"], arrays[p + "names_ptr"] = _pack(t.names)
        arrays[p + "glosses"], arrays[p + "glosses_ptr"] = _pack(t.glosses)
        arrays[p + "lemmas"], arrays[p + "lemmas_ptr"] = _pack(t.lemmas)
        arrays[p + "exceptions"] = np.frombuffer(json.dumps(t.exceptions).encode(), np.uint8)
        for k in ("offsets", "parents_ptr", "parents_idx", "min_depth", "max_depth", "hypo",
                  "lemma_ptr", "lemma_idx"):
            arrays[p + k] = getattr(t, k)
    meta = {"format": FORMAT, "root": graph.root, "fingerprint": graph.fingerprint}
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path, overwrite=True) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **arrays)


def _load(path: Path) -> WordNetGraph:
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(z["meta"].tobytes())
        tax = {}
        for pos in POSES:
            p = pos + "_"
            tax[pos] = Taxonomy(
                pos, z[p + "offsets"], _unpack(z[p + "names"], z[p + "names_ptr"]),
                _unpack(z[p + "glosses"], z[p + "glosses_ptr"]),
                z[p + "parents_ptr"], z[p + "parents_idx"], z[p + "min_depth"],
                z[p + "max_depth"], z[p + "hypo"],
                _unpack(z[p + "lemmas"], z[p + "lemmas_ptr"]), z[p + "lemma_ptr"],
                z[p + "lemma_idx"], json.loads(z[p + "exceptions"].tobytes()),
            )
    return WordNetGraph(tax["n"], tax["v"], meta["root"], meta["fingerprint"], True)


def missing_wordnet_message() -> str:
    return ("WordNet 3.0 is not installed where nltk looks; install it with "
            "`simmatrix data wordnet` (offline from Debian's wordnet-base + "
            "wordnet-sense-index, or online through nltk's downloader)")


def load_graph(cache: bool | str | os.PathLike = True) -> WordNetGraph:
    """The prepared noun and verb taxonomies, from the disk cache when it is current.

    Parameters
    ----------
    cache : bool or path-like
        True: use and fill :func:`cache_dir`; a folder: use that one; False: always read
        WordNet through nltk and write nothing.
    """
    root = find_wordnet()
    if root is None:
        raise BuildError(missing_wordnet_message())
    fp = wordnet_fingerprint(root)
    folder = Path(cache) if isinstance(cache, (str, os.PathLike)) else cache_dir()
    path = folder / f"wordnet-graph-{fp[:20]}.npz"
    if cache and path.is_file():
        try:
            graph = _load(path)
            if graph.fingerprint == fp:
                return graph
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache file is rebuilt below
    wn = open_wordnet(root)
    graph = WordNetGraph(*(_taxonomy_from_nltk(wn, pos) for pos in POSES),
                         root=str(root), fingerprint=fp)
    if cache:
        try:
            _save(graph, path)
        except OSError:
            pass  # a read-only cache folder only costs the next build nltk's load
    return graph


def open_wordnet(root: Path | None = None):
    """nltk's WordNet reader on ``root`` (the folder that was fingerprinted), else nltk's own.

    Raises a BuildError that says how to install WordNet when nltk cannot find it.
    """
    from ...errors import require

    require("nltk", "wordnet")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "multilingual functions are not available"
        if root is not None and root.is_dir():
            from nltk.corpus.reader.wordnet import WordNetCorpusReader

            return WordNetCorpusReader(str(root), None)
        from nltk.corpus import wordnet as wn

        try:
            wn.ensure_loaded()
        except LookupError:
            raise BuildError(missing_wordnet_message()) from None
    return wn
