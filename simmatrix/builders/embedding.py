"""Class similarity from word embeddings: the cosine of the class names' vectors.

    S[i, j] = map(cos(v_i, v_j)),   cos(a, b) = a·b / (‖a‖ ‖b‖),   S[i, i] = 1

where ``map`` sends the cosine in [-1, 1] to [0, 1] by clipping negatives to 0 (``"clip"``,
the SimLoss paper's choice) or by ``(1 + cos) / 2`` (``"affine"``).

Class names become vectors in this order (the form used is recorded per class in
``metadata["forms"]``):

1. the name itself as a vocabulary word, then the phrase forms a vocabulary may hold
   (``pickup truck`` → ``pickup_truck``, ``pickup-truck``, ``pickup truck``), each as given
   and lower-cased: ``{"how": "word"|"phrase", "form": ...}``;
2. the mean of the token vectors (each token as given or lower-cased):
   ``{"how": "mean", "tokens": [...]}``;
3. the closed compound (``pickuptruck``), only when a token has no vector: in GloVe such
   compounds are often rare tokens of another meaning (``oaktree``);
4. fastText only: subword vectors for the tokens the vocabulary lacks:
   ``{"how": "subword", "tokens": [...]}``.

Classes with no vector (or a zero vector, which has no direction) are an error that lists
all of them with close vocabulary words, unless ``oov="drop"`` (the class leaves the matrix)
or ``oov="identity"`` (its row and column hold only the diagonal 1).

For many classes (extreme classification), ``top_k=k`` keeps each class's ``k`` nearest
classes and the diagonal, computed a block of rows at a time: memory stays O(C·k + B·C),
never C×C, and the result is a scipy CSR matrix.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from .. import transforms
from ..errors import BuildError, quote_list
from ..matrix import SimilarityMatrix, check_classes
from ..sources.vectors import WordVectors, load_vectors
from .cosine import cosine_dense, cosine_top_k

OOV_CHOICES = ("error", "drop", "identity")
MAP_CHOICES = ("clip", "affine")
DENSE_LIMIT_BYTES = 4 << 30  # a dense float64 C×C above this needs top_k (C > 23,170)
MAX_SUGGESTED = 20  # classes that get suggestions in an error message

_SPLIT = re.compile(r"[\s_\-]+")


def embedding_matrix(
    classes: Sequence[str],
    vectors: WordVectors | str = "glove-6b-50d",
    *,
    oov: str = "error",
    mapping: str = "clip",
    lower_bound: float = 0.0,
    top_k: int | None = None,
    dtype: Any = np.float64,
    block_rows: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SimilarityMatrix:
    """Build S from the cosine similarity of the classes' word vectors.

    Parameters
    ----------
    classes : sequence of str, length n_classes
        Class names (``apple``, ``aquarium_fish``, ``pickup truck``).
    vectors : WordVectors or str
        Loaded vectors, or what :func:`simmatrix.sources.vectors.load_vectors` accepts
        (``"glove-6b-50d"`` or a file path).
    oov : {"error", "drop", "identity"}
        What to do with classes that have no vector (see the module docstring).
    mapping : {"clip", "affine"}
        ``max(cos, 0)`` or ``(1 + cos) / 2``; see :func:`simmatrix.transforms.map_range`.
    lower_bound : float in [0, 1)
        The paper's lower bound, applied after the mapping (0: none).
    top_k : int, optional
        Keep each row's diagonal and its ``top_k`` most similar other classes, computed in
        blocks; the values are a scipy CSR array. ``None`` gives the dense C×C matrix.
    dtype : float32 or float64
        Type of the values. The dense mode computes in float64 either way; the top-k mode
        computes in ``dtype`` (float32 halves its time and memory).
    block_rows : int, optional
        Rows per block in the top-k mode (default 2048; the search is exact and threaded,
        see :func:`simmatrix.builders.cosine.cosine_top_k`).
    progress : callable, optional
        ``progress(done, total)`` is called after each top-k block (the CLI's progress bar).

    Returns
    -------
    SimilarityMatrix of shape (n_kept, n_kept)
        ``n_kept < n_classes`` only with ``oov="drop"``. The metadata records the params,
        the vectors' provenance, the form used per class, and the classes dropped or kept
        as identity.

    Examples
    --------
    >>> import numpy as np
    >>> from simmatrix.sources.vectors import WordVectors
    >>> wv = WordVectors(["cat", "dog", "car"],
    ...                  np.array([[1.0, 0.0], [0.6, 0.8], [-1.0, 0.0]]), {"name": "toy"})
    >>> S = embedding_matrix(["cat", "dog", "car"], wv)
    >>> np.round(S.values, 2).tolist()
    [[1.0, 0.6, 0.0], [0.6, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    classes = check_classes(classes)
    if not classes:
        raise BuildError("no classes given: the class list is empty")
    _check_params(oov, mapping, lower_bound, top_k, dtype)
    wv = vectors if isinstance(vectors, WordVectors) else load_vectors(vectors)
    rows, forms, missing = resolve(classes, wv)
    _check_rows(classes, rows, forms, missing, wv)
    classes, rows, dropped, identity = _apply_oov(classes, rows, missing, oov, wv)
    has_vector = np.array([c not in missing for c in classes])

    if top_k is None:
        check_dense_size(len(classes))
        values = cosine_dense(rows, has_vector)
    else:
        values = cosine_top_k(rows, has_vector, int(top_k), dtype=np.dtype(dtype),
                              block_rows=block_rows, progress=progress)
    metadata = {
        "builder": "embedding",
        "params": {"vectors": wv.source.get("name"), "format": wv.source.get("format"),
                   "limit": wv.source.get("limit"), "oov": oov, "map": mapping,
                   "top_k": top_k},
        "sources": [wv.source],
        "forms": {c: forms[c] for c in classes if c in forms},
        "oov": {"policy": oov, "dropped": dropped, "identity": identity},
    }
    S = SimilarityMatrix(values, classes, metadata, copy=False)
    S = transforms.map_range(S, how=mapping)
    if lower_bound:
        S = transforms.lower_bound(S, lower_bound)
    return S if S.dtype == np.dtype(dtype) else S.astype(dtype)


def _check_rows(classes, rows, forms, missing, wv) -> None:
    """Refuse non-finite vectors; a zero vector (no direction) counts as missing."""
    finite = np.isfinite(rows).all(axis=1)
    if not finite.all():
        broken = [classes[i] for i in np.flatnonzero(~finite)]
        raise BuildError(
            f"{len(broken)} classes have a vector with NaN or infinite values in "
            f"{wv.source.get('name')}: {quote_list(broken)}"
        )
    for pos in np.flatnonzero(~rows.any(axis=1)):
        if classes[pos] not in missing:
            missing[classes[pos]] = [classes[pos]]
            forms.pop(classes[pos], None)


def _apply_oov(classes, rows, missing, oov, wv):
    """The oov policy: raise listing every missing class, drop them, or keep as identity."""
    if not missing:
        return classes, rows, [], []
    if oov == "error":
        raise BuildError(_missing_message(missing, wv))
    if oov == "identity":
        return classes, rows, [], list(missing)
    keep = [i for i, c in enumerate(classes) if c not in missing]
    if not keep:
        raise BuildError(f"none of the {len(classes)} classes has an embedding")
    return tuple(classes[i] for i in keep), rows[keep], list(missing), []


def _check_params(oov, mapping, lower_bound, top_k, dtype) -> None:
    if oov not in OOV_CHOICES:
        raise BuildError(f"oov must be one of {OOV_CHOICES}, got {oov!r}")
    if mapping not in MAP_CHOICES:
        raise BuildError(f"mapping must be one of {MAP_CHOICES}, got {mapping!r}")
    if not 0 <= lower_bound < 1:
        raise BuildError(f"lower bound must be in [0, 1), got {lower_bound}")
    if top_k is not None and int(top_k) < 0:
        raise BuildError(f"top_k must be >= 0, got {top_k}")
    if np.dtype(dtype) not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise BuildError(f"dtype must be float32 or float64, got {np.dtype(dtype)}")


def check_dense_size(n: int) -> None:
    need = n * n * 8
    if need > DENSE_LIMIT_BYTES:
        raise BuildError(
            f"a dense matrix of {n} classes needs {need / 2**30:.0f} GiB; "
            f"use top_k=K to keep each class's K nearest classes, sparse"
        )


# -- class name → vector ---------------------------------------------------------------------
def tokens_of(name: str) -> list[str]:
    """The words of a class name: split on spaces, ``_`` and ``-``."""
    return [t for t in _SPLIT.split(name.strip()) if t] or [name]


def phrase_forms(name: str) -> list[str]:
    """Vocabulary keys to try for ``name`` before its tokens, in order, without repeats.

    >>> phrase_forms("Pickup truck")
    ['Pickup truck', 'Pickup_truck', 'Pickup-truck', 'pickup_truck', 'pickup-truck', \
'pickup truck']
    """
    tokens = tokens_of(name)
    forms = [name, " ".join(tokens)]
    for toks in (tokens, [t.lower() for t in tokens]):
        forms += [sep.join(toks) for sep in ("_", "-", " ")]
    return list(dict.fromkeys(forms))


def closed_forms(name: str) -> list[str]:
    """``pickuptruck``: tried only when a token has no vector.

    Closed compounds come last because in GloVe they are often rare tokens of another
    meaning: ``oaktree`` (rank 103,435) has cosine -0.23 to the mean of ``oak`` and ``tree``.
    """
    tokens = tokens_of(name)
    if len(tokens) < 2:
        return []
    return list(dict.fromkeys(["".join(tokens), "".join(tokens).lower()]))


def _first_hit(forms: Iterable[str], wv: WordVectors) -> tuple[str, int] | None:
    return next(((f, i) for f in forms if (i := wv.index(f)) is not None), None)


def resolve(
    classes: Sequence[str], wv: WordVectors
) -> tuple[np.ndarray, dict[str, dict], dict[str, list[str]]]:
    """Find a vector for every class: phrase form, token mean, closed compound, subword.

    Returns
    -------
    rows : array of shape (n_classes, dim), float64
        The class vectors; zero rows for classes without one.
    forms : dict
        class → how its vector was found (see the module docstring).
    missing : dict
        class → the words (tokens) that have no vector, for classes without one.
    """
    rows = np.zeros((len(classes), wv.dim), dtype=np.float64)
    direct_pos: list[int] = []
    direct_idx: list[int] = []
    forms: dict[str, dict] = {}
    missing: dict[str, list[str]] = {}
    for pos, name in enumerate(classes):
        hit = _first_hit(phrase_forms(name), wv)
        vec, record, absent = (None, {}, []) if hit else _from_tokens(name, wv, False)
        if vec is None and hit is None:
            hit = _first_hit(closed_forms(name), wv)
        if vec is None and hit is None and wv.subword is not None:
            vec, record, absent = _from_tokens(name, wv, True)
        if hit is not None:
            how = "word" if len(tokens_of(name)) == 1 else "phrase"
            forms[name] = {"how": how, "form": hit[0]}
            direct_pos.append(pos)
            direct_idx.append(hit[1])
        elif vec is not None:
            rows[pos] = vec
            forms[name] = record
        else:
            missing[name] = absent
    if direct_pos:  # one sorted gather from the (possibly memory-mapped) matrix
        order = np.argsort(direct_idx)
        idx = np.asarray(direct_idx)[order]
        rows[np.asarray(direct_pos)[order]] = np.asarray(wv.vectors[idx], dtype=np.float64)
    return rows, forms, missing


def _from_tokens(
    name: str, wv: WordVectors, subword: bool
) -> tuple[np.ndarray | None, dict, list[str]]:
    """Mean of the token vectors; with ``subword``, fastText fills in unknown tokens."""
    vecs, used, absent, made_up = [], [], [], False
    for tok in tokens_of(name):
        hit = _first_hit((tok, tok.lower()), wv)
        if hit is not None:
            vecs.append(np.asarray(wv.vectors[hit[1]], dtype=np.float64))
            used.append(hit[0])
        elif subword:
            vecs.append(np.asarray(wv.subword(tok.lower()), dtype=np.float64))
            used.append(tok.lower())
            made_up = True
        else:
            absent.append(tok)
    if absent:
        return None, {}, absent
    how = "subword" if made_up else "mean"
    return np.mean(vecs, axis=0), {"how": how, "tokens": used}, []


def _missing_message(missing: dict[str, list[str]], wv: WordVectors) -> str:
    where = wv.source.get("name") or wv.source.get("path")
    parts = []
    for n, (name, absent) in enumerate(missing.items()):
        if n >= MAX_SUGGESTED:
            parts.append(repr(name))
            continue
        hints = []
        for word in absent:
            close = wv.suggest(word)
            tag = "" if absent == [name] else f"{word!r}: "
            hints.append(tag + ("close: " + ", ".join(map(repr, close)) if close
                                else "no close word"))
        parts.append(f"{name!r} ({'; '.join(hints)})")
    noun = "class has" if len(missing) == 1 else "classes have"
    return (
        f"{len(missing)} {noun} no embedding in {where}: {', '.join(parts)}; "
        f"rename them, or build without them with oov='drop' or oov='identity'"
    )
