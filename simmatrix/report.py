"""One self-contained HTML page about a matrix: ``simmatrix report S -o S.html``.

The page needs no network: its script, style and data are inline, and a Content Security
Policy (``default-src 'none'``, the script and style allowed by their SHA-256 only) keeps
it so, and would also stop any script that a class name managed to smuggle in. Nothing
from the file is ever written into the HTML itself: class names, metadata and messages
travel in one JSON block (``<`` ``>`` ``&`` escaped, so ``</script>`` cannot close it) and
the page puts them in the document with ``textContent`` only.

What the page shows: the heatmap on a ``<canvas>`` (wheel or drag to zoom, hover for true
class, predicted class and value), a search box for one class's nearest classes, the
validation report, summary statistics and the provenance. Data are compact: cells as 8- or
16-bit codes into the exact distinct values (a codebook) when there are at most 65,536 of
them, else 16-bit steps over [min, max]; above :data:`FULL_LIMIT` classes the heatmap is
max-pooled to at most :data:`POOLED_CELLS` cells a side, with a note, while nearest classes
stay exact for every class.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
from typing import Any

import numpy as np

from ._report_page import PAGE, SCRIPT, STYLE
from .matrix import SimilarityMatrix
from .summary import summarize

FULL_LIMIT = 1024  # classes drawn cell by cell; above, the heatmap is pooled
POOLED_CELLS = 800  # cells a side of a pooled heatmap, at most
NEAR_LONG, NEAR_SHORT = 20, 10  # nearest classes kept per class (short above 5,000 classes)


def report_html(S: SimilarityMatrix, *, source: str | None = None, order: str = "auto",
                names: dict[str, str] | None = None) -> str:
    """The report page of ``S`` as one HTML string (pure: no file is read or written).

    Parameters
    ----------
    S : SimilarityMatrix
        Any matrix, valid or not (the page shows the validation report).
    source : str, optional
        Where it came from (a file or catalogue name), shown under the title.
    order : {"auto", "cluster", "tree", "given"}
        Heatmap order, as :func:`simmatrix.plot.leaf_order`.
    names : dict, optional
        Human names shown beside classes and found by the search box, as
        :func:`simmatrix.summary.human_names` gives for ImageNet wnids.

    Examples
    --------
    >>> import numpy as np
    >>> page = report_html(SimilarityMatrix(np.eye(2), ["<b>a</b>", "b"]))
    >>> "<b>a</b>" in page, page.startswith("<!DOCTYPE html>")
    (False, True)
    """
    from .plot import leaf_order

    n = len(S)
    near_k = NEAR_LONG if n <= 5000 else NEAR_SHORT
    info = summarize(S, top_k=near_k)
    idx = leaf_order(S, order) if n <= FULL_LIMIT or order != "auto" else _auto_large(S)
    cells, note = _cells(S, idx)
    payload = {
        "title": _title(S),
        "source": None if source is None else str(source),
        "n": n,
        "classes": list(S.classes),
        "aliases": [names.get(c) for c in S.classes] if names else None,
        "order": [int(i) for i in idx],
        "cells": cells,
        "note": note,
        "vmax": _vmax(info),
        "near": _near(S, info, near_k),
        "checks": _checks(S, info),
        "validation": {k: info["validation"][k] for k in ("valid", "errors", "warnings")},
        "summary": {k: info[k] for k in ("shape", "dtype", "sparse", "values", "symmetric",
                                          "max_asymmetry", "off_diagonal_mass")},
        "metadata": info["metadata"],
    }
    data = _script_json(payload)
    csp = ("default-src 'none'; "
           f"script-src '{_sha256(SCRIPT)}'; style-src '{_sha256(STYLE)}'; "
           "img-src 'none'; connect-src 'none'; font-src 'none'; base-uri 'none'; "
           "form-action 'none'")
    return PAGE.format(csp=csp, style=STYLE, data=data, script=SCRIPT)


def write_report(S: SimilarityMatrix, path: str | os.PathLike, *, overwrite: bool = False,
                 source: str | None = None, order: str = "auto",
                 names: dict[str, str] | None = None) -> None:
    """Write :func:`report_html` of ``S`` to ``path``, all or nothing.

    Without ``overwrite=True`` an existing file is never replaced.
    """
    from ._files import atomic_path

    page = report_html(S, source=source, order=order, names=names)
    with atomic_path(path, overwrite=overwrite) as tmp:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(page)


def _title(S: SimilarityMatrix) -> str:
    from .plot import describe

    return describe(S)


def _auto_large(S: SimilarityMatrix) -> np.ndarray:
    """Above FULL_LIMIT the cells are pooled: keep a tree order if there is one, else the
    given order (clustering thousands of classes would take the report minutes)."""
    from .plot import _tree_order

    tree = _tree_order(S)
    return tree if tree is not None else np.arange(len(S))


def _vmax(info: dict) -> float:
    """The colour scale's top: the largest off-diagonal value, as ``simmatrix plot``."""
    edges = info["values"]["histogram_off_diagonal"]["edges"]
    top = float(edges[-1]) if edges else 1.0
    return top if 0 < top <= 1 and info["n_classes"] > 1 else 1.0


def _cells(S: SimilarityMatrix, idx: np.ndarray) -> tuple[dict, str | None]:
    n = len(S)
    if n <= FULL_LIMIT:
        vals = S.to_dense()[np.ix_(idx, idx)].astype(np.float64)
        return {"size": n, "block": 1, **_encode(vals.ravel())}, None
    block = math.ceil(n / POOLED_CELLS)
    m = math.ceil(n / block)
    pooled = _pool_max(S, idx, block, m)
    note = (f"{n} classes are too many to draw one by one: each cell is the largest value "
            f"of a block of {block}×{block} classes (hover names the block); the nearest "
            "classes below are exact")
    return {"size": m, "block": block, **_encode(pooled.ravel())}, note


def _pool_max(S: SimilarityMatrix, idx: np.ndarray, block: int, m: int) -> np.ndarray:
    """The m×m max-pooled heatmap, classes in display order ``idx``, never dense C×C."""
    pos = np.empty(len(idx), dtype=np.intp)
    pos[idx] = np.arange(len(idx))
    out = np.zeros((m, m), dtype=np.float64)
    if S.is_sparse:
        coo = S.values.tocoo()
        np.maximum.at(out, (pos[coo.row] // block, pos[coo.col] // block),
                      np.nan_to_num(coo.data.astype(np.float64), nan=0.0))
        return out
    padded = m * block
    for b in range(m):
        rows = idx[b * block:(b + 1) * block]
        part = np.nan_to_num(np.asarray(S.values[np.sort(rows)], dtype=np.float64)[:, idx],
                             nan=0.0)
        wide = np.zeros((len(rows), padded))
        wide[:, :len(idx)] = part
        out[b] = wide.reshape(len(rows), m, block).max(axis=(0, 2))
    return out


def _encode(vals: np.ndarray) -> dict[str, Any]:
    """Codes into the distinct values when there are few (exact), else 16-bit steps."""
    book, codes = np.unique(vals, return_inverse=True)
    if len(book) <= 65536:
        width = 1 if len(book) <= 256 else 2
        data = codes.astype("<u1" if width == 1 else "<u2").tobytes()
        return {"kind": "codebook", "width": width, "book": [_number(v) for v in book],
                "count": int(vals.size), "data": base64.b64encode(data).decode("ascii")}
    finite = np.isfinite(vals)
    lo, hi = float(vals[finite].min()), float(vals[finite].max())
    step = (hi - lo) / 65534 or 1.0
    q = np.full(vals.shape, 65535, dtype="<u2")
    q[finite] = np.rint((vals[finite] - lo) / step).astype("<u2")
    return {"kind": "linear", "lo": lo, "step": step, "count": int(vals.size),
            "data": base64.b64encode(q.tobytes()).decode("ascii")}


def _near(S: SimilarityMatrix, info: dict, k: int) -> dict[str, Any]:
    """Each class's nearest classes (summarize's rule: largest first, ties in column
    order, zeros left out) as row numbers and float32 values, ``-1`` padding."""
    n = len(S)
    index = {c: i for i, c in enumerate(S.classes)}
    cols = np.full((n, k), -1, dtype="<i4")
    vals = np.zeros((n, k), dtype="<f4")
    for i, c in enumerate(S.classes):
        for j, (name, v) in enumerate(info["top_k"][c][:k]):
            cols[i, j], vals[i, j] = index[name], v
    return {"k": k, "cols": base64.b64encode(cols.tobytes()).decode("ascii"),
            "vals": base64.b64encode(vals.tobytes()).decode("ascii")}


def _checks(S: SimilarityMatrix, info: dict) -> list[list[Any]]:
    """The contract, item by item, measured on S (validate's messages give the details)."""
    values = S.values
    parts = [values.tocoo().data] if S.is_sparse else (
        np.asarray(values[i:i + 1024]) for i in range(0, len(S), 1024))  # no C² temporary
    finite = in_range = True
    for part in parts:
        finite &= bool(np.isfinite(part).all())
        with np.errstate(invalid="ignore"):
            in_range &= bool(((part >= 0) & (part <= 1)).all())
    diag = np.asarray(values.diagonal())
    lo, hi = info["values"]["min"], info["values"]["max"]
    return [
        ["square, one unique name per class", True, f"{len(S)} × {len(S)}"],
        ["finite", finite, ""],
        ["values in [0, 1]", in_range, f"min {_text(lo)}, max {_text(hi)}"],
        ["diagonal exactly 1", bool((diag == 1).all()),
         f"{int(np.count_nonzero(diag != 1))} diagonal entries differ" if (diag != 1).any()
         else ""],
        ["symmetric (reported, not required)", bool(info["symmetric"]),
         f"max |S − Sᵀ| {_text(info['max_asymmetry'])}"],
    ]


def _text(x: Any) -> str:
    return f"{x:.4g}" if isinstance(x, (int, float)) else str(x)


def _number(v: float) -> Any:
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def _plain(obj: Any) -> Any:
    """JSON-able without NaN (JSON.parse rejects it): non-finite floats become strings."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return _number(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def _script_json(payload: dict) -> str:
    """JSON safe inside ``<script type="application/json">``: no ``<``, ``>`` or ``&``
    (so no ``</script>`` or ``<!--``), ASCII only, U+2028/2029 escaped by ensure_ascii."""
    text = json.dumps(_plain(payload), ensure_ascii=True, allow_nan=False,
                      separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _sha256(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")
