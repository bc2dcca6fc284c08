"""What ``simmatrix inspect`` shows: a JSON-able summary of a matrix."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from .matrix import SimilarityMatrix
from .validate import validate

HIST_BINS = 10


def summarize(S: SimilarityMatrix, top_k: int = 3, block: int = 1024) -> dict[str, Any]:
    """Shape, value statistics, symmetry, nearest classes, and distance from cross-entropy.

    ``off_diagonal_mass`` is ``mean_i Σ_{j≠i} S_ij``: 0 for the identity (plain
    cross-entropy); the larger it is, the more credit SimLoss gives to near misses.
    Dense matrices are read in row blocks and sparse ones through their stored entries, so
    a 100,000-class top-k matrix is summarised without a dense C×C array.

    >>> import numpy as np
    >>> s = summarize(SimilarityMatrix(np.eye(3)))
    >>> s["off_diagonal_mass"]["mean"], s["validation"]["valid"]
    (0.0, True)
    """
    n, names = len(S), S.classes
    report = validate(S)
    top = _off_diagonal_max(S, block)
    edges = np.linspace(0.0, top if top > 0 else 1.0, HIST_BINS + 1)
    if S.is_sparse:
        counts, mass, nearest, st = _sparse_parts(S, top_k, edges)
        st.update(symmetric=report.stats.get("symmetric", True),  # one definition
                  max_asymmetry=report.stats.get("max_asymmetry", 0.0))
    else:  # validate() already measured range, symmetry and off-diagonal mean
        counts, mass, nearest = _dense_parts(S, top_k, block, edges)
        st = report.stats
    return {
        "shape": list(S.shape),
        "dtype": str(S.dtype),
        "sparse": S.is_sparse,
        "n_classes": n,
        "classes": list(S.classes),
        "builder": S.metadata.get("builder"),
        "metadata": S.metadata,
        "values": {
            "min": st.get("min"),
            "max": st.get("max"),
            "mean_off_diagonal": st.get("mean_off_diagonal", 0.0),
            "zero_fraction_off_diagonal": st.get("zero_fraction_off_diagonal", 0.0),
            "histogram_off_diagonal": {"edges": edges.round(6).tolist(),
                                       "counts": counts.tolist()},
        },
        "symmetric": st.get("symmetric", True),
        "max_asymmetry": st.get("max_asymmetry", 0.0),
        "off_diagonal_mass": {
            "mean": float(mass.mean()) if n else 0.0,
            "max": float(mass.max()) if n else 0.0,
            "identity_rows": int((mass == 0).sum()),
        },
        "top_k": {c: [[names[j], round(v, 6)] for j, v in near]
                  for c, near in zip(names, nearest)},
        "validation": report.to_dict(),
    }


def _off_diagonal_max(S: SimilarityMatrix, block: int) -> float:
    """The largest finite off-diagonal value (0 for none): the histogram's upper edge, so
    a confusion-built S whose entries all lie below 0.09 gets ten bins over [0, 0.09]."""
    if S.is_sparse:
        coo = S.values.tocoo()
        vals = coo.data[(coo.row != coo.col) & np.isfinite(coo.data)]
        return float(np.clip(vals.max(), 0, 1)) if vals.size else 0.0
    best = 0.0
    for start in range(0, len(S), block):
        rows = np.array(S.values[start:start + block], dtype=np.float64)
        idx = np.arange(len(rows))
        rows[idx, start + idx] = -np.inf
        rows[~np.isfinite(rows)] = -np.inf
        if rows.size:
            best = max(best, float(np.clip(rows.max(), 0, 1)))
    return best


def _hist(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    finite = values[np.isfinite(values)]
    return np.histogram(np.clip(finite, edges[0], edges[-1]), bins=edges)[0]


def _positive(near):
    """Nearest classes with a similarity above 0: a zero is no neighbour."""
    return [(j, v) for j, v in near if v > 0]


def _dense_parts(S: SimilarityMatrix, k: int, block: int, edges: np.ndarray):
    vals = S.values
    n = len(S)
    k = max(0, min(k, n - 1))
    counts = np.zeros(len(edges) - 1, dtype=np.int64)
    mass = np.zeros(n)
    nearest: list = []
    for start in range(0, n, block):
        rows = np.nan_to_num(vals[start:start + block].astype(np.float64), nan=0.0,
                             posinf=0.0, neginf=0.0)
        idx = np.arange(len(rows))
        rows[idx, start + idx] = np.nan  # the diagonal is not part of the statistics
        counts += _hist(rows[~np.isnan(rows)], edges)
        mass[start:start + len(rows)] = np.nansum(rows, axis=1)
        if k:
            nearest += _top_in_rows(np.where(np.isnan(rows), -np.inf, rows), k)
        else:
            nearest += [[] for _ in idx]
    return counts, mass, nearest


def _top_in_rows(rows: np.ndarray, k: int) -> list:
    """The ``k`` largest entries of each row, largest first, ties in column order.

    One rule for every command (the sparse path and ``plot --row`` sort the same way): a
    partition finds each row's k-th largest value, every entry at least that large is a
    candidate, and candidates are sorted by (value descending, column ascending).
    """
    kth = -np.partition(-rows, k - 1, axis=1)[:, k - 1]
    r, c = np.nonzero(rows >= kth[:, None])
    v = rows[r, c]
    order = np.lexsort((c, -v, r))
    r, c, v = r[order], c[order], v[order]
    starts = np.searchsorted(r, np.arange(len(rows)))
    ends = np.append(starts[1:], len(r))
    return [_positive([(int(c[i]), float(v[i])) for i in range(s, min(e, s + k))])
            for s, e in zip(starts, ends)]


def _sparse_parts(S: SimilarityMatrix, k: int, edges: np.ndarray):
    csr = S.values.tocsr()
    n = len(S)
    coo = csr.tocoo()
    data = np.nan_to_num(coo.data.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    off = coo.row != coo.col
    stored = data[off]
    implicit = n * n - n - int(off.sum())  # absent entries are zeros
    counts = _hist(stored, edges)
    counts[0] += implicit
    lo = min(float(data.min()), 0.0) if implicit else float(data.min())
    mass = np.bincount(coo.row[off], weights=stored, minlength=n)
    nearest = []
    for r in range(n):  # one pass over each row's k stored neighbours
        lo_, hi_ = csr.indptr[r], csr.indptr[r + 1]
        cols, vals = csr.indices[lo_:hi_], csr.data[lo_:hi_]
        keep = cols != r
        cols, vals = cols[keep], vals[keep]
        order = np.lexsort((cols, -vals))[:k]
        nearest.append(_positive([(int(cols[i]), float(vals[i])) for i in order]))
    n_off = n * n - n
    zeros = implicit + int(np.count_nonzero(stored == 0))
    stats = {"min": lo, "max": float(data.max()),
             "mean_off_diagonal": float(stored.sum()) / n_off if n_off else 0.0,
             "zero_fraction_off_diagonal": zeros / n_off if n_off else 0.0}
    return counts, mass, nearest, stats


# -- human names for ImageNet-style wnids (n01440764 -> tench) ----------------------------
_WNID = re.compile(r"^([nv])(\d{8})$")


def human_names(classes: Sequence[str], class_index: str | os.PathLike | None = None,
                metadata: dict | None = None) -> dict[str, str]:
    """A human name for every class that is a WordNet id (``n01440764`` → ``tench``).

    From ``class_index`` (ImageNet's ``imagenet_class_index.json``, ``{"0": [wnid, name]}``)
    when given; else the first lemma of the synset, read from WordNet 3.0's data file where
    nltk would find it; else the synset names the WordNet builder recorded in
    ``metadata["synsets"]`` (``tench.n.01`` → ``tench``). Without any of them the result is
    empty: the classes stay wnids, and nothing fails.
    """
    wnids = [c for c in classes if _WNID.match(c)]
    if not wnids:
        return {}
    if class_index is not None:
        table = _class_index(class_index)
        return {c: table[c] for c in wnids if c in table}
    found = _wordnet_lemmas(wnids)
    synsets = (metadata or {}).get("synsets")
    if isinstance(synsets, dict):
        for c in wnids:
            entry = synsets.get(c)
            name = entry.get("synset") if isinstance(entry, dict) else None
            if c not in found and isinstance(name, str) and name.count(".") >= 2:
                found[c] = name.rsplit(".", 2)[0]
    return {c: found[c] for c in wnids if c in found}


def _class_index(path: str | os.PathLike) -> dict[str, str]:
    from ._files import parse_json, read_text
    from .errors import MatrixFileError

    data = parse_json(read_text(path, "class index"), f"class index {str(path)!r}")
    items = data.values() if isinstance(data, dict) else data if isinstance(data, list) else None
    pairs = [v for v in items or [] if isinstance(v, list) and len(v) == 2
             and all(isinstance(x, str) for x in v)]
    if not pairs or len(pairs) != len(items):
        raise MatrixFileError(f"class index {str(path)!r} must map indices to [wnid, name] "
                              'pairs, as imagenet_class_index.json: {"0": ["n01440764", '
                              '"tench"], ...}')
    return dict(pairs)


def _wordnet_lemmas(wnids: Sequence[str]) -> dict[str, str]:
    """The first lemma of each wnid's synset, by seeking to its offset in ``data.noun`` /
    ``data.verb`` (a line starts ``offset lex_filenum pos n_words lemma ...``)."""
    from .sources.wordnet.data import find_wordnet

    root = find_wordnet()
    if root is None:
        return {}
    out: dict[str, str] = {}
    try:
        for pos, file in (("n", "data.noun"), ("v", "data.verb")):
            offsets = sorted({int(_WNID.match(c).group(2)) for c in wnids if c[0] == pos})
            if offsets:
                with _open_data(root, file) as fh:
                    for off in offsets:  # ascending: a zipped database is read forward
                        fh.seek(off)
                        fields = fh.readline().decode("utf-8", "replace").split()
                        if len(fields) > 4 and fields[0] == f"{off:08d}":
                            out[f"{pos}{off:08d}"] = fields[4]
    except (OSError, ValueError):
        return {}  # an unreadable database: no names, as without one
    return out


def _open_data(root, file: str):
    import zipfile

    if str(root).endswith(".zip"):
        return zipfile.ZipFile(root).open(f"wordnet/{file}")
    return open(os.path.join(root, file), "rb")


def _norm(name: str) -> str:
    return "_".join(name.lower().replace("_", " ").split())


def find_row(S: SimilarityMatrix, name: str, names: dict[str, str] | None = None) -> int:
    """The row of class ``name``, or of the one class whose human name it is.

    Human names compare case-insensitively with spaces and underscores alike
    (``great white shark`` finds ``n01484850``). A human name two classes share
    (the two ``crane`` classes of ImageNet) is an error that lists their wnids.
    """
    from ._suggest import close_matches, did_you_mean
    from .errors import BuildError

    if name in S:
        return S.index(name)
    key = _norm(str(name))
    hits = [c for c, h in (names or {}).items() if _norm(h) == key]
    if len(hits) == 1:
        return S.index(hits[0])
    if hits:
        raise BuildError(f"{str(name)!r} names {len(hits)} classes: {', '.join(hits)}; "
                         "give one of them")
    pool = list(S.classes) + list((names or {}).values())
    hint = did_you_mean(close_matches(str(name), pool))
    if not names and any(_WNID.match(c) for c in S.classes[:50]):
        hint += ("; the classes are wnids, and their human names need WordNet (simmatrix "
                 "data wordnet) or class_index='imagenet_class_index.json'")
    raise BuildError(f"class {str(name)!r} is not in the matrix{hint}")


def nearest_in_row(S: SimilarityMatrix, i: int, k: int) -> list[tuple[int, float]]:
    """Row ``i``'s ``k`` most similar other classes above 0, ties in column order."""
    row = np.nan_to_num(np.asarray(S.row(S.classes[i]), dtype=np.float64), nan=0.0)
    row[i] = -np.inf
    order = np.lexsort((np.arange(len(row)), -row))[:k]
    return [(int(j), float(row[j])) for j in order if row[j] > 0]
