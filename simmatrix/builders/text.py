"""Class similarity from a sentence-embedding model: the cosine of the classes' texts.

    S[i, j] = map(cos(e(t_i), e(t_j))),   S[i, i] = 1

Each class becomes a text ``t_i``: its name with ``_`` read as a space (``aquarium_fish`` →
``aquarium fish``), or its description when one is given, put into ``template`` (``"a photo
of a {}"``) when one is given. ``e`` is the model's sentence embedding and ``map`` sends the
cosine to [0, 1] as the embedding builder does (negatives clipped to 0 by default, the
SimLoss paper's choice; or ``(1 + cos) / 2``). ``top_k=k`` keeps each class's ``k`` nearest
classes, computed a block of rows at a time (:func:`simmatrix.builders.cosine.cosine_top_k`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from .. import transforms
from ..errors import BuildError, quote_list
from ..matrix import SimilarityMatrix, check_classes
from ..sources.text import BUILTIN_MODEL, TextEncoder, load_text_model
from .cosine import cosine_dense, cosine_top_k
from .embedding import MAP_CHOICES, check_dense_size

Progress = Callable[[int, int], None]


def class_texts(classes: Sequence[str], *, template: str | None = None,
                descriptions: Mapping[str, str] | None = None) -> list[str]:
    """The text embedded for each class.

    Parameters
    ----------
    classes : sequence of str, length n_classes
    template : str, optional
        Holds ``{}`` exactly once; it is replaced by the class's name or description.
    descriptions : mapping, optional
        class → description. Every class needs one; a description of an unknown class is
        an error too (a typo would otherwise go unnoticed).

    Returns
    -------
    list of str, length n_classes

    Examples
    --------
    >>> class_texts(["maple_tree", "oak"], template="a photo of a {}")
    ['a photo of a maple tree', 'a photo of a oak']
    """
    if template is not None and template.count("{}") != 1:
        raise BuildError(f"the template must hold {{}} exactly once (where the class goes), "
                         f"got {template!r}")
    if descriptions is not None:
        descriptions = {str(k): str(v) for k, v in descriptions.items()}
        missing = [c for c in classes if not descriptions.get(c, "").strip()]
        if missing:
            raise BuildError(f"{len(missing)} classes have no description: "
                             f"{quote_list(missing)}")
        unknown = sorted(set(descriptions) - set(classes))
        if unknown:
            raise BuildError(f"{len(unknown)} descriptions are for classes not in the class "
                             f"list: {quote_list(unknown)}")
        base = [descriptions[c].strip() for c in classes]
    else:
        base = [" ".join(c.replace("_", " ").split()) for c in classes]
    if template is None:
        return base
    before, after = template.split("{}")
    return [before + t + after for t in base]


def text_matrix(
    classes: Sequence[str],
    model: TextEncoder | str = BUILTIN_MODEL,
    *,
    template: str | None = None,
    descriptions: Mapping[str, str] | None = None,
    mapping: str = "clip",
    lower_bound: float = 0.0,
    top_k: int | None = None,
    dtype: Any = np.float64,
    batch_size: int = 64,
    block_rows: int | None = None,
    encode_progress: Progress | None = None,
    progress: Progress | None = None,
) -> SimilarityMatrix:
    """Build S from the cosine similarity of the classes' sentence embeddings.

    Parameters
    ----------
    classes : sequence of str, length n_classes
    model : TextEncoder or str
        A loaded model, or what :func:`simmatrix.sources.text.load_text_model` accepts (a
        model folder or ``"all-MiniLM-L6-v2"``, the packaged default).
    template, descriptions
        How a class becomes a text: see :func:`class_texts`.
    mapping : {"clip", "affine"}
        ``max(cos, 0)`` or ``(1 + cos) / 2``.
    lower_bound : float in [0, 1)
        The paper's lower bound, applied after the mapping.
    top_k : int, optional
        Keep each row's diagonal and its ``top_k`` most similar classes (scipy CSR),
        computed in blocks; ``None`` gives the dense matrix.
    dtype : float32 or float64
    batch_size : int
        Texts per call to the model.
    block_rows : int, optional
        Rows per top-k block.
    encode_progress, progress : callable, optional
        ``(done, total)`` after each encoded batch, and after each top-k block.

    Returns
    -------
    SimilarityMatrix of shape (n_classes, n_classes)
        Metadata: the model's name, fingerprint (and revision when known), the template,
        whether descriptions were used, and the text of each class.
    """
    classes = check_classes(classes)
    if not classes:
        raise BuildError("no classes given: the class list is empty")
    if mapping not in MAP_CHOICES:
        raise BuildError(f"mapping must be one of {MAP_CHOICES}, got {mapping!r}")
    if not 0 <= lower_bound < 1:
        raise BuildError(f"lower bound must be in [0, 1), got {lower_bound}")
    if top_k is not None and int(top_k) < 0:
        raise BuildError(f"top_k must be >= 0, got {top_k}")
    if int(batch_size) < 1:
        raise BuildError(f"batch size must be >= 1, got {batch_size}")
    dt = np.dtype(dtype)
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise BuildError(f"dtype must be float32 or float64, got {dt}")
    if top_k is None:
        check_dense_size(len(classes))
    texts = class_texts(classes, template=template, descriptions=descriptions)
    encoder = model if isinstance(model, TextEncoder) else load_text_model(model)
    rows = encoder.encode(texts, batch_size=int(batch_size), progress=encode_progress)
    if not np.isfinite(rows).all():
        bad = [classes[i] for i in np.flatnonzero(~np.isfinite(rows).all(axis=1))]
        raise BuildError(f"the model gave NaN or infinite embeddings for {quote_list(bad)}")
    has_vector = np.ones(len(classes), dtype=bool)
    if top_k is None:
        values = cosine_dense(rows, has_vector)
    else:
        values = cosine_top_k(rows, has_vector, int(top_k), dtype=dt, block_rows=block_rows,
                              progress=progress)
    src = dict(encoder.source)
    metadata = {
        "builder": "text",
        "params": {"model": src.get("name"), "fingerprint": src.get("fingerprint"),
                   "revision": src.get("revision"), "template": template,
                   "descriptions": descriptions is not None, "map": mapping,
                   "top_k": top_k},
        "sources": [src],
        "texts": dict(zip(classes, texts)),
    }
    S = SimilarityMatrix(values, classes, metadata, copy=False)
    S = transforms.map_range(S, how=mapping)
    if lower_bound:
        S = transforms.lower_bound(S, lower_bound)
    return S if S.dtype == dt else S.astype(dt)
