"""Getting WordNet 3.0 where nltk finds it, online or offline.

nltk reads WordNet from ``<data dir>/corpora/wordnet/`` (or ``wordnet.zip``), where a data dir
is one of ``nltk.data.path``: ``$NLTK_DATA``, ``~/nltk_data``, ``<sys.prefix>/nltk_data``,
``/usr/share/nltk_data``, ... Its reader (``WordNetCorpusReader``) opens 15 files, among them
``lexnames`` (the 45 lexicographer file names), which WordNet database folders such as
Debian's ``/usr/share/wordnet`` (packages ``wordnet-base`` + ``wordnet-sense-index``) do not
ship: :func:`install_wordnet` writes it from the table of the ``lexnames(5WN)`` manual page.
nltk refuses symbolic links that leave its data root, so files are copied, never linked.

Everything here works without nltk except :func:`install_wordnet`'s downloader path and its
final check, which import nltk.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ...errors import BuildError, MatrixFileError, require

#: The files nltk's ``WordNetCorpusReader`` opens (its ``_FILES``), lexnames included.
WORDNET_FILES = (
    "cntlist.rev", "lexnames", "index.sense",
    "index.adj", "index.adv", "index.noun", "index.verb",
    "data.adj", "data.adv", "data.noun", "data.verb",
    "adj.exc", "adv.exc", "noun.exc", "verb.exc",
)

#: The 45 WordNet 3.0 lexicographer files, in file-number order (lexnames(5WN)).
LEXNAMES = (
    "adj.all", "adj.pert", "adv.all", "noun.Tops", "noun.act", "noun.animal",
    "noun.artifact", "noun.attribute", "noun.body", "noun.cognition",
    "noun.communication", "noun.event", "noun.feeling", "noun.food", "noun.group",
    "noun.location", "noun.motive", "noun.object", "noun.person", "noun.phenomenon",
    "noun.plant", "noun.possession", "noun.process", "noun.quantity", "noun.relation",
    "noun.shape", "noun.state", "noun.substance", "noun.time", "verb.body", "verb.change",
    "verb.cognition", "verb.communication", "verb.competition", "verb.consumption",
    "verb.contact", "verb.creation", "verb.emotion", "verb.motion", "verb.perception",
    "verb.possession", "verb.social", "verb.stative", "verb.weather", "adj.ppl",
)
_CATEGORY = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}

#: Where Debian's wordnet-base and wordnet-sense-index put the database.
DEBIAN_WORDNET = Path("/usr/share/wordnet")


def lexnames_text() -> str:
    """The ``lexnames`` file: ``NN<TAB>name<TAB>category`` per line, as WordNet ships it.

    >>> lexnames_text().splitlines()[5].split()
    ['05', 'noun.animal', '1']
    """
    return "".join(
        f"{i:02d}\t{name}\t{_CATEGORY[name.split('.')[0]]}\n" for i, name in enumerate(LEXNAMES)
    )


def nltk_data_path() -> list[Path]:
    """The folders nltk searches for data, in its order, computed without importing nltk."""
    paths = [Path(os.path.expanduser(d)) for d in os.environ.get("NLTK_DATA", "").split(
        os.pathsep) if d]
    if os.path.expanduser("~/") != "~/":
        paths.append(Path(os.path.expanduser("~/nltk_data")))
    paths += [Path(sys.prefix, "nltk_data"), Path(sys.prefix, "share", "nltk_data"),
              Path(sys.prefix, "lib", "nltk_data"), Path("/usr/share/nltk_data"),
              Path("/usr/local/share/nltk_data"), Path("/usr/lib/nltk_data"),
              Path("/usr/local/lib/nltk_data")]
    return paths


def default_data_dir() -> Path:
    """The first folder of :func:`nltk_data_path` that is writable or can be made.

    A folder that does not exist yet (a new ``$NLTK_DATA``, ``~/nltk_data`` on a new machine)
    counts when its nearest existing ancestor is a writable folder.
    """
    for p in nltk_data_path():
        if p.is_dir() and os.access(p, os.W_OK):
            return p
        if not p.exists() and _can_create(p):
            return p
    raise MatrixFileError(
        "no writable nltk data folder: none of "
        + ", ".join(repr(str(p)) for p in nltk_data_path()) + "; pass dest= and set NLTK_DATA"
    )


def _can_create(folder: Path) -> bool:
    for parent in folder.parents:
        if parent.exists():
            return parent.is_dir() and os.access(parent, os.W_OK)
    return False


def is_wordnet_dir(folder: Path) -> bool:
    """Whether ``folder`` holds every file nltk's WordNet reader opens."""
    return all((folder / f).is_file() for f in WORDNET_FILES)


def find_wordnet() -> Path | None:
    """The ``corpora/wordnet`` folder nltk will read, or None (a ``wordnet.zip`` counts too)."""
    for base in nltk_data_path():
        folder = base / "corpora" / "wordnet"
        if is_wordnet_dir(folder):
            return folder
        if (base / "corpora" / "wordnet.zip").is_file():
            return base / "corpora" / "wordnet.zip"
    return None


def _missing_database_files(folder: Path) -> list[str]:
    """The database files missing from ``folder`` (lexnames is written if absent)."""
    return [f for f in WORDNET_FILES if f != "lexnames" and not (folder / f).is_file()]


def wordnet_version(folder: Path) -> str | None:
    """The version named in ``data.noun``'s licence header (``"3.0"``), or None."""
    import re

    try:
        with open(folder / "data.noun", encoding="utf-8", errors="replace") as fh:
            for _, line in zip(range(40), fh):
                m = re.search(r"WordNet (\d+\.\d+) Copyright", line)
                if m:
                    return m.group(1)
    except OSError:
        return None
    return None


@dataclass(frozen=True)
class InstallReport:
    """What :func:`install_wordnet` did: ``action`` is "present", "copied" or "downloaded"."""

    action: str
    folder: Path
    source: str
    version: str | None
    on_nltk_path: bool


def install_wordnet(
    dest: str | os.PathLike | None = None,
    source: str | os.PathLike | None = None,
    *,
    download: bool = False,
    force: bool = False,
    verify: bool = True,
) -> InstallReport:
    """Install WordNet 3.0 into ``<dest>/corpora/wordnet`` so that nltk finds it.

    The files are staged in a hidden nltk data folder inside ``dest``, opened there with
    nltk's own reader, and only then moved into place with one rename: a failed install
    leaves ``dest`` as it was (a folder it had to create is removed again).

    Parameters
    ----------
    dest : path-like, optional
        An nltk data folder; default the first writable one of ``nltk.data.path``
        (usually ``~/nltk_data``). It need not exist yet.
    source : path-like, optional
        A WordNet database folder (``data.noun``, ``index.noun``, ...) to copy from. Default:
        Debian's ``/usr/share/wordnet`` when present, else nltk's downloader.
    download : bool
        Use nltk's downloader (needs the internet) even when a local folder exists.
    force : bool
        Reinstall even when ``dest`` already holds a complete WordNet.
    verify : bool
        Open the result with nltk's own reader and look up ``dog.n.01``.

    Returns
    -------
    InstallReport
        Idempotent: a second call returns ``action="present"`` and changes nothing.
    """
    dest = Path(dest).expanduser() if dest is not None else default_data_dir()
    target = dest / "corpora" / "wordnet"
    on_path = any(_same(dest, p) for p in nltk_data_path())
    if is_wordnet_dir(target) and not force:
        return InstallReport("present", target, str(target), wordnet_version(target), on_path)
    if source is None and not download and not _missing_database_files(DEBIAN_WORDNET):
        source = DEBIAN_WORDNET
    copying = source is not None and not download
    if copying:
        source = Path(source).expanduser()
        version = _check_database(source)
    if verify or not copying:
        require("nltk", "wordnet")  # before anything is created
    with _staged(dest, target) as (staging, stage):
        if copying:
            _copy_files(source, stage)
            report = InstallReport("copied", target, str(source), version, on_path)
        else:
            _download(staging, stage)
            report = InstallReport("downloaded", target, "nltk downloader",
                                   wordnet_version(stage), on_path)
        if verify:  # before the swap, so a failed check leaves the old state intact
            _verify(stage, staging)
    return report


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


@contextlib.contextmanager
def _staged(dest: Path, target: Path):
    """Yield ``(staging, staging/corpora/wordnet)``, a hidden nltk data folder in ``dest``;
    on success swap the staged folder in for ``target``; on any failure remove every trace.
    """
    made = [p for p in (dest, *dest.parents) if not p.exists()]
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise MatrixFileError(f"cannot create nltk data folder {str(dest)!r}: "
                              f"{exc.strerror or exc}") from None
    staging = None
    try:
        staging = Path(tempfile.mkdtemp(prefix=".simmatrix-wordnet-", dir=dest))
        stage = staging / "corpora" / "wordnet"
        stage.mkdir(parents=True)
        yield staging, stage
        target.parent.mkdir(exist_ok=True)
        old = staging / "old"
        if target.exists():
            os.replace(target, old)
        try:
            os.replace(stage, target)
        except BaseException:
            if old.exists():
                os.replace(old, target)
            raise
    except BaseException:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
            staging = None
        for p in made:  # innermost first: only the folders this call created
            with contextlib.suppress(OSError):
                p.rmdir()
        raise
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)


def _check_database(source: Path) -> str:
    """Raise unless ``source`` is a complete WordNet 3.0 database folder; return "3.0"."""
    if not source.is_dir():
        raise MatrixFileError(f"WordNet source folder {str(source)!r} does not exist")
    missing = _missing_database_files(source)
    if missing:
        hint = ""
        if "index.sense" in missing and source == DEBIAN_WORDNET:
            hint = " (install Debian's wordnet-sense-index package)"
        raise MatrixFileError(
            f"{str(source)!r} is not a complete WordNet database folder: "
            f"{len(missing)} files missing: " + ", ".join(repr(m) for m in missing) + hint
        )
    version = wordnet_version(source)
    if version != "3.0":
        raise MatrixFileError(f"{str(source)!r} holds WordNet {version}, not 3.0")
    return version


def _copy_files(source: Path, stage: Path) -> None:
    for name in WORDNET_FILES:
        if name == "lexnames" and not (source / name).is_file():
            (stage / name).write_text(lexnames_text(), encoding="utf-8")
        else:
            shutil.copyfile(source / name, stage / name)  # a copy: nltk refuses links out


def _download(staging: Path, stage: Path) -> None:
    import nltk

    ok = nltk.download("wordnet", download_dir=str(staging), quiet=True, raise_on_error=False)
    zipped = staging / "corpora" / "wordnet.zip"
    if ok and not is_wordnet_dir(stage) and zipped.is_file():
        import zipfile

        with zipfile.ZipFile(zipped) as zf:
            zf.extractall(staging / "corpora")
    if not ok or not is_wordnet_dir(stage):
        raise MatrixFileError(
            "nltk's downloader could not fetch WordNet (offline?); install a local copy "
            "instead: apt-get install wordnet-base wordnet-sense-index, then "
            "install_wordnet(source='/usr/share/wordnet')"
        )


def _verify(target: Path, data_dir: Path) -> None:
    """Open ``target`` (``<data_dir>/corpora/wordnet``) with nltk's own reader.

    ``data_dir`` goes first on nltk's data path for this check only: nltk >= 3.10 reads only
    below its data path (``nltk.pathsec``), and its WordNet reader loads the ``wordnet``
    resource by name from that path while it opens any root.
    """
    import warnings

    import nltk.data
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    saved = list(nltk.data.path)
    nltk.data.path.insert(0, str(data_dir))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "multilingual functions are not available"
        try:
            wn = WordNetCorpusReader(str(target), None)
            name = wn.synset_from_pos_and_offset("n", 2084071).name()
        except Exception as exc:  # nltk raises many kinds; report them as one
            raise BuildError(f"nltk cannot read WordNet in {str(target)!r}: {exc}") from None
        finally:
            nltk.data.path[:] = saved
    if name != "dog.n.01":
        raise BuildError(f"WordNet in {str(target)!r} is not 3.0: offset 02084071 is {name}")
