"""Suggestions for error messages ("did you mean ...?"), found and worded in one place."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence


def close_matches(
    word: str, candidates: Iterable[str], *, n: int = 3, cutoff: float = 0.6,
    length_slack: int | None = None, pool: int | None = None,
) -> list[str]:
    """Up to ``n`` of ``candidates`` close to ``word`` (difflib ratio >= ``cutoff``), best first.

    With ``length_slack``, only candidates whose length is within it of ``word``'s are
    compared, and with ``pool`` at most the first ``pool`` of those, so a suggestion stays
    cheap in a vocabulary of millions.

    Examples
    --------
    >>> close_matches("aple", ["apple", "pineapple", "pear"])
    ['apple', 'pineapple']
    """
    import difflib  # not at import time: ``import simmatrix`` stays light

    if length_slack is not None:
        candidates = (c for c in candidates if abs(len(c) - len(word)) <= length_slack)
    if pool is not None:
        candidates = itertools.islice(candidates, pool)
    return difflib.get_close_matches(word, list(candidates), n=n, cutoff=cutoff)


def did_you_mean(close: Sequence[str], lead: str = "; ") -> str:
    """``lead`` + ``"did you mean 'a', 'b'?"`` to end a message, or ``""`` for no suggestion.

    Examples
    --------
    >>> "class 'aple' is not in the matrix" + did_you_mean(["apple"])
    "class 'aple' is not in the matrix; did you mean 'apple'?"
    >>> did_you_mean([])
    ''
    """
    return f"{lead}did you mean {', '.join(map(repr, close))}?" if close else ""
