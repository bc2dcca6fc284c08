"""Proof that a matrix file was validated when written and has not changed since.

Re-validating a 10,000-class ``.npy`` on every load reads 800 MB a second time. When
:func:`simmatrix.save` has validated the values, it can record the file's *stamp* next to
it (in the sidecar); :func:`is_unchanged` then tells :func:`simmatrix.load` it may skip the
value checks. The stamp is what ``make`` and ``rsync`` trust: size, modification time in
nanoseconds and the inode. Any rewrite of the file changes at least one of them (an atomic
replacement gives a new inode), a copy to another place or machine gets a new inode and is
simply validated again. It is not a defence against someone forging all three on purpose;
a digest would be, at the cost of reading the whole file, which is what the stamp avoids.
"""

from __future__ import annotations

import os
from typing import Any


def file_stamp(path: str | os.PathLike) -> dict[str, int]:
    """``{"size", "mtime_ns", "inode"}`` of ``path`` as it is now."""
    st = os.stat(path)
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "inode": st.st_ino}


def is_unchanged(path: str | os.PathLike, stamp: Any) -> bool:
    """True if ``stamp`` (from :func:`file_stamp`, maybe read back from JSON) still holds."""
    if not isinstance(stamp, dict):
        return False
    try:
        return file_stamp(path) == {k: stamp.get(k) for k in ("size", "mtime_ns", "inode")}
    except OSError:
        return False
