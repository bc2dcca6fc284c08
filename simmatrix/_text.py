"""Safe printing of text that came from files: one helper every command uses.

Class names, metadata and paths are data. Written raw, an ANSI escape in a class name
recolours or clears the terminal, sets its title, and a newline forges an output line. So
everything simmatrix prints passes through :func:`escape`, which writes control and other
non-printable characters as ``repr`` would (``\\x1b``, ``\\n``, ``\\u202e``), and a single
name is shown with :func:`shown`.
"""

from __future__ import annotations

import re
from typing import Any

# Characters str.isprintable() rejects: C0/C1 controls, DEL, format characters (bidi
# overrides), separators other than the space, unassigned and private-use code points.
_LINE_BREAK = "\n"


def _escape_char(c: str) -> str:
    return repr(c)[1:-1]


def escape(text: Any, *, keep_newlines: bool = False) -> str:
    """``text`` with every non-printable character escaped as ``repr`` writes it.

    Examples
    --------
    >>> escape("red\\x1b[2Jrose")
    'red\\\\x1b[2Jrose'
    >>> print(escape("line one\\nline two", keep_newlines=True))
    line one
    line two
    """
    text = str(text)
    if text.isprintable():
        return text
    keep = _LINE_BREAK if keep_newlines else ""
    return "".join(c if c.isprintable() or c in keep else _escape_char(c) for c in text)


def shown(name: Any) -> str:
    """A class name or value from a file, safe to print: as is, or ``repr`` if it has
    characters a terminal would act on (so ``'a\\nb'`` cannot pass for two lines).

    >>> shown("tulip"), shown("tu\\nlip")
    ('tulip', "'tu\\\\nlip'")
    """
    text = str(name)
    return text if text.isprintable() else repr(text)


_JSON_UNSAFE = re.compile("[\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def json_safe(text: str) -> str:
    """JSON text with the characters ``json.dumps(ensure_ascii=False)`` leaves raw but a
    terminal acts on (DEL, C1 controls, bidi overrides) written as ``\\uXXXX`` escapes."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
