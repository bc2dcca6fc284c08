"""Reading users' text inputs with errors that name the file and what it was for."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from pathlib import Path

from .errors import MatrixFileError


def read_text(path: str | os.PathLike, what: str) -> str:
    """The text of ``path``; a missing or unreadable file is a one-line MatrixFileError."""
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise MatrixFileError(f"{what} {str(p)!r} does not exist") from None
    except IsADirectoryError:
        raise MatrixFileError(f"{what} {str(p)!r} is a folder, not a file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MatrixFileError(f"cannot read {what} {str(p)!r}: {exc}") from None


def csv_rows(text: str, path: str | os.PathLike) -> list[list[str]]:
    """Non-empty rows of a CSV (or TSV, by extension), cells stripped."""
    delim = "\t" if Path(path).suffix.lower() == ".tsv" else ","
    rows = [[c.strip() for c in r] for r in csv.reader(io.StringIO(text), delimiter=delim)]
    return [r for r in rows if any(r)]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield a temporary path beside ``path``; rename it into place only on success.

    An error or an interrupt (KeyboardInterrupt included) removes the temporary file, so a
    failed write never leaves a partial or empty ``path``. The file gets the permissions a
    plain ``open()`` would give it (mkstemp's are owner-only).
    """
    path = Path(path)
    suffix = "".join(path.suffixes[-1:]) or ".tmp"
    fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".",
                               prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    try:
        yield Path(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def check_writable(paths: list[Path], overwrite: bool = False) -> None:
    """Raise MatrixFileError unless every path can be written: the folder exists and is
    writable, and an existing file is only replaced with ``overwrite`` (the CLI's --force).
    """
    for path in paths:
        parent = path.parent if str(path.parent) else Path(".")
        if not parent.exists():
            raise MatrixFileError(f"output folder '{parent}' does not exist; create it first")
        if not parent.is_dir():
            raise MatrixFileError(f"output folder '{parent}' is not a folder")
        if not os.access(parent, os.W_OK):
            raise MatrixFileError(f"output folder '{parent}' is not writable")
        if path.is_dir():
            raise MatrixFileError(f"output '{path}' is a folder")
        if path.exists() and not overwrite:
            raise MatrixFileError(f"'{path}' already exists; pass --force to overwrite it")
