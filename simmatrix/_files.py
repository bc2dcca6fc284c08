"""Reading users' text inputs with errors that name the file and what it was for."""

from __future__ import annotations

import csv
import io
import os
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
