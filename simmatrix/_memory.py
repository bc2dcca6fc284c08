"""Size estimates before allocating: one helper every reader, builder and command uses.

An operation works out the bytes it will hold from a file header or its arguments and calls
:func:`ensure_fits` *before* allocating; a request that cannot fit is refused with how much
it needs, how much there is, and what to do instead, rather than a MemoryError (or the
kernel's OOM killer) after minutes of work.
"""

from __future__ import annotations

import os

from .errors import TooLargeError

#: Set to a number of bytes to lower (or raise) the budget, e.g. in tests or shared hosts.
ENV = "SIMMATRIX_MEMORY_LIMIT"


def available_bytes() -> int | None:
    """Memory this process may still use: ``MemAvailable``, capped by ``RLIMIT_AS``.

    ``SIMMATRIX_MEMORY_LIMIT`` (bytes) overrides; None when nothing can be read.
    """
    env = os.environ.get(ENV)
    if env:
        try:
            return int(float(env))
        except ValueError:
            pass
    found = None
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    found = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        pass
    if found is None:
        try:
            found = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            found = None
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_AS)[0]
        if soft != resource.RLIM_INFINITY:
            found = soft if found is None else min(found, soft)
    except (ImportError, OSError, ValueError):
        pass
    return found


def format_bytes(n: float) -> str:
    """``7.3 TiB``, ``512 MiB``, ``96 bytes``."""
    n = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if n < 1024 or unit == "EiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} EiB"  # pragma: no cover


def dense_bytes(n_rows: int, n_cols: int | None = None, itemsize: int = 8,
                copies: float = 1.0) -> int:
    """Bytes of ``copies`` dense ``n_rows × n_cols`` arrays of ``itemsize``-byte values."""
    n_cols = n_rows if n_cols is None else n_cols
    return int(int(n_rows) * int(n_cols) * int(itemsize) * copies)


def ensure_fits(nbytes: int, what: str, advice: str) -> None:
    """Raise :class:`~simmatrix.errors.TooLargeError` if ``nbytes`` exceeds the budget.

    Parameters
    ----------
    nbytes : int
        The peak this operation will allocate.
    what : str
        What needs it, for the message: ``"a 1000000×1000000 float64 matrix"``.
    advice : str
        What to do instead, in the Python API's words (:func:`simmatrix.errors.for_cli`
        gives the CLI's): ``"use dtype='float32', top_k=K or fewer classes"``.
    """
    budget = available_bytes()
    if budget is None or nbytes <= budget:
        return
    raise TooLargeError(
        f"{what} needs {format_bytes(nbytes)} of memory but {format_bytes(budget)} is "
        f"available; {advice}"
    )


ADVICE = ("use dtype='float32', a sparse top_k=K matrix where the builder has one, or fewer "
          "classes")


def ensure_dense_fits(n: int, dtype: object = "float64", what: str = "", *,
                      copies: float = 1.0, advice: str = ADVICE) -> None:
    """Refuse before allocating ``copies`` dense ``n × n`` arrays of ``dtype`` that cannot fit.

    >>> ensure_dense_fits(3)  # 72 bytes
    """
    import numpy as np

    dt = np.dtype(dtype)
    label = f"a {n}×{n} {dt} matrix" + (f" ({what})" if what else "")
    if dt.itemsize <= 4:
        advice = advice.replace("use dtype='float32', ", "use ")
    ensure_fits(dense_bytes(n, n, dt.itemsize, copies), label, advice)
