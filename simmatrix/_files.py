"""Reading users' files and writing outputs safely: one place for both.

Reading: only regular files are opened (a FIFO or a device would block or never end), text
is decoded with errors that name the file and what it was for, and JSON nested too deeply
for Python is a one-line error rather than a RecursionError.

Writing: :func:`atomic_paths` gives temporary files beside the outputs and moves them into
place together, only on success. Without ``overwrite`` the move is a hard link, which fails
if the target appeared in the meantime (no-clobber at the moment of the rename, not only
when the command started). With ``overwrite`` a replaced file keeps its permission bits, and
a group of outputs (a ``.npy`` and its sidecar) is replaced under a lock on the folder, with
interrupts held back, so a reader or a concurrent writer never pairs files from two saves.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import json
import os
import signal
import stat
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .errors import MatrixFileError

#: The outputs this process has moved into place, so an interrupt can say what was kept.
COMMITTED: list[Path] = []
#: Temporaries created and neither moved into place nor removed yet. An interrupt can land
#: where no ``finally`` of a write runs (between a context manager's ``__enter__`` and its
#: body); the CLI removes whatever is left here when a command ends (:func:`remove_temporaries`).
TEMPORARIES: set[Path] = set()

_SIGNALS = tuple(getattr(signal, s) for s in ("SIGINT", "SIGTERM", "SIGHUP")
                 if hasattr(signal, s))


# -- reading --------------------------------------------------------------------------------
def regular_file(path: str | os.PathLike, what: str) -> Path:
    """``path`` if it names an existing regular file; else a one-line MatrixFileError.

    A FIFO, socket or device is refused before anything opens it, so reading never hangs.
    """
    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise MatrixFileError(f"{what} {str(p)!r} does not exist") from None
    except OSError as exc:
        raise MatrixFileError(f"cannot read {what} {str(p)!r}: {exc.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        raise MatrixFileError(f"{what} {str(p)!r} is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise MatrixFileError(
            f"{what} {str(p)!r} is not a regular file (a pipe or device?); save it to a "
            "file first"
        )
    return p


def open_regular(path: str | os.PathLike, what: str):
    """Open ``path`` for binary reading, refusing anything but a regular file.

    The check is made on the opened descriptor (``O_NONBLOCK`` so a FIFO does not block the
    open itself), so a file swapped for a FIFO after :func:`regular_file` is still refused.
    """
    p = regular_file(path, what)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(p, flags)
    except OSError as exc:
        raise MatrixFileError(f"cannot read {what} {str(p)!r}: {exc.strerror}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise MatrixFileError(f"{what} {str(p)!r} is not a regular file")
    if hasattr(os, "set_blocking"):
        os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def read_text(path: str | os.PathLike, what: str) -> str:
    """The text of ``path``; a missing, irregular or unreadable file is a MatrixFileError."""
    try:
        with open_regular(path, what) as fh:
            data = fh.read()
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MatrixFileError(f"cannot read {what} {str(path)!r}: not UTF-8 text ({exc.reason} "
                              f"at byte {exc.start})") from None
    except OSError as exc:
        raise MatrixFileError(f"cannot read {what} {str(path)!r}: {exc}") from None


def parse_json(text: str | bytes, what: str) -> Any:
    """``json.loads`` whose every failure, nesting too deep included, is a MatrixFileError."""
    try:
        return json.loads(text)
    except RecursionError:
        raise MatrixFileError(f"{what} is nested too deeply to be read as JSON") from None
    except (ValueError, TypeError) as exc:
        raise MatrixFileError(f"{what} is not valid JSON: {exc}") from None


@contextlib.contextmanager
def large_csv_fields(limit: int) -> Iterator[None]:
    """Let the csv module read fields up to ``limit`` characters (default 128 KiB).

    A class name that a build accepted must read back, so readers lift the limit to the size
    of the file being read, and put it back afterwards.
    """
    old = csv.field_size_limit()
    csv.field_size_limit(max(old, min(int(limit), sys.maxsize // 2)))
    try:
        yield
    finally:
        csv.field_size_limit(old)


def csv_rows(text: str, path: str | os.PathLike) -> list[list[str]]:
    """Non-empty rows of a CSV (or TSV, by extension), cells stripped."""
    delim = "\t" if Path(path).suffix.lower() == ".tsv" else ","
    try:
        with large_csv_fields(len(text) + 1):
            rows = [[c.strip() for c in r]
                    for r in csv.reader(io.StringIO(text), delimiter=delim)]
    except csv.Error as exc:
        raise MatrixFileError(f"{str(path)!r} is not a readable CSV file: {exc}") from None
    return [r for r in rows if any(r)]


# -- writing --------------------------------------------------------------------------------
def _keep_owner(tmp: Path, target: Path) -> None:
    """Give ``tmp`` the owner and group of the file it replaces, where this process may
    (root, or a group the owner belongs to); otherwise it keeps the writer's, as ``cp``."""
    try:
        old, new = os.stat(target), os.stat(tmp)
    except OSError:
        return
    if (old.st_uid, old.st_gid) == (new.st_uid, new.st_gid) or not hasattr(os, "chown"):
        return
    try:
        os.chown(tmp, old.st_uid, old.st_gid)
    except OSError:
        with contextlib.suppress(OSError):  # not root: at least the group, if allowed
            os.chown(tmp, -1, old.st_gid)


def _new_mode(target: Path, overwrite: bool) -> int:
    """The permission bits of a file replacing ``target``: the old file's, or umask's."""
    if overwrite:
        with contextlib.suppress(OSError):
            return stat.S_IMODE(os.stat(target).st_mode)
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


_HELD = {"depth": 0, "pending": None}


def defer_interrupt(exc: BaseException) -> bool:
    """For a signal handler: keep ``exc`` for the end of a region that must not be cut
    (creating a temporary and recording it, removing temporaries, the renames of a commit)
    and return True; False outside such a region, where the handler should raise it.

    Blocking the signals alone is not enough: the kernel hands a signal sent to the process
    to any thread that does not block it (pyarrow's and BLAS's threads), and Python then runs
    the handler in the main thread at its next bytecode, inside the region.
    """
    if _HELD["depth"] == 0:
        _HELD["pending"] = None  # this one is raised now, in place of any kept one
        return False
    if _HELD["pending"] is None:
        _HELD["pending"] = exc
    return True


@contextlib.contextmanager
def interrupts_held() -> Iterator[None]:
    """Hold SIGINT, SIGTERM and SIGHUP back while the body runs; an interrupt that came
    meanwhile is raised when it ends (the CLI's handlers defer through
    :func:`defer_interrupt`; without them, the signals are blocked in the main thread)."""
    import threading

    block = getattr(signal, "pthread_sigmask", None)
    if threading.current_thread() is not threading.main_thread():
        block = None
    _HELD["depth"] += 1  # first: from here on the CLI's handlers defer, never raise
    try:
        old = block(signal.SIG_BLOCK, _SIGNALS) if block is not None else None
        try:
            yield
        finally:
            if block is not None:
                block(signal.SIG_SETMASK, old)  # one blocked meanwhile is deferred here
    finally:
        _HELD["depth"] -= 1
        pending = _HELD["pending"] if _HELD["depth"] == 0 else None
        if pending is not None:
            _HELD["pending"] = None
            raise pending


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """An exclusive ``flock`` on the folder for the instant of a commit (POSIX only)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        yield
        return
    try:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _exists_error(target: Path) -> MatrixFileError:
    return MatrixFileError(
        f"'{target}' appeared while this command was writing it and was kept; pass overwrite=True "
        "to overwrite it"
    )


def _link_no_clobber(tmp: Path, target: Path) -> None:
    """Put ``tmp`` at ``target`` only if nothing is there (a hard link fails if it exists)."""
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise _exists_error(target) from None
    except OSError as exc:  # a file system without hard links: check, then rename
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV,
                             errno.EMLINK, errno.ENOSYS):
            raise
        if os.path.lexists(target):
            raise _exists_error(target) from None
        os.rename(tmp, target)
        return
    os.unlink(tmp)


def _commit(pairs: Sequence[tuple[Path, Path]], overwrite: bool) -> None:
    """Move each ``(tmp, target)`` into place, all or none, in the order given."""
    done: list[tuple[Path, Path | None]] = []  # (target, backup of the file it replaced)
    try:
        for tmp, target in pairs:
            if overwrite:
                backup = None
                if len(pairs) > 1 and os.path.lexists(target):
                    backup = target.with_name(f".{target.name}.{os.getpid()}.old")
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(backup)
                    try:
                        os.link(target, backup)
                    except OSError:  # no hard links here: replace without a way back
                        backup = None
                os.replace(tmp, target)
                done.append((target, backup))
            else:
                _link_no_clobber(tmp, target)
                done.append((target, None))
    except BaseException:
        for target, backup in reversed(done):  # put back what this commit replaced
            with contextlib.suppress(OSError):
                if backup is not None:
                    os.replace(backup, target)
                else:
                    os.unlink(target)
        raise
    finally:
        for _, backup in done:
            if backup is not None:
                with contextlib.suppress(OSError):
                    os.unlink(backup)
    COMMITTED.extend(target for _, target in pairs)


@contextlib.contextmanager
def atomic_paths(paths: Sequence[str | os.PathLike], *, overwrite: bool = False):
    """Yield temporary paths beside ``paths``; move them all into place only on success.

    Parameters
    ----------
    paths : sequence of path-like
        The outputs, in the order they are committed (a ``.npy`` sidecar before its array).
    overwrite : bool
        Replace existing files (keeping their permission bits). Without it, a target that
        exists when the temporaries are moved is left alone and a MatrixFileError raised.

    An error or an interrupt (KeyboardInterrupt and the CLI's SIGTERM/SIGHUP included)
    removes the temporaries, so a failed write never leaves a partial or empty output, nor
    a hidden temporary file.
    """
    targets = [Path(p) for p in paths]
    tmps: list[Path] = []
    try:
        with interrupts_held():  # a temporary exists only once it is in ``tmps``
            for target in targets:
                tmps.append(_temporary(target))
                TEMPORARIES.add(tmps[-1])
        try:
            yield tmps
        except MatrixFileError:
            raise
        except (OSError, ValueError) as exc:
            if isinstance(exc, ValueError) and type(exc).__module__.startswith("simmatrix"):
                raise
            why = getattr(exc, "strerror", None) or " ".join(str(exc).split())
            raise MatrixFileError(
                f"writing '{targets[-1]}' failed ({why}); nothing was replaced: free space, "
                "raise the file-size limit or choose another folder"
            ) from None
        for tmp, target in zip(tmps, targets):
            if overwrite:
                _keep_owner(tmp, target)  # before chmod: chown clears set-id bits
            os.chmod(tmp, _new_mode(target, overwrite))
            _fsync(tmp)
        folder = targets[0].parent if str(targets[0].parent) else Path(".")
        with interrupts_held(), _folder_lock(folder):
            _commit(list(zip(tmps, targets)), overwrite)
    finally:
        with interrupts_held():  # a second Ctrl-C must not leave a temporary behind
            for tmp in tmps:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                TEMPORARIES.discard(tmp)


def remove_temporaries() -> None:
    """Remove every temporary of this process that a cut-short write left (see
    :data:`TEMPORARIES`); the CLI calls it as each command ends."""
    while TEMPORARIES:
        with contextlib.suppress(OSError):
            os.unlink(TEMPORARIES.pop())


def _temporary(target: Path) -> Path:
    """An empty hidden file beside ``target``: ``.NAME.XXXX.EXT``."""
    folder = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.",
                                   suffix=target.suffix or ".tmp")
    except OSError as exc:
        raise MatrixFileError(
            f"cannot create a file in output folder '{folder}' ({exc.strerror or exc}); "
            "choose another folder"
        ) from None
    os.close(fd)
    return Path(tmp)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, overwrite: bool = False):
    """:func:`atomic_paths` for one file: yield its temporary path."""
    with atomic_paths([path], overwrite=overwrite) as (tmp,):
        yield tmp


def _fsync(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def check_writable(paths: list[Path], overwrite: bool = False) -> None:
    """Raise MatrixFileError unless every path can be written: the folder exists and is
    writable, and an existing file is only replaced with ``overwrite`` (the CLI's --force).
    """
    for path in paths:
        if os.path.islink(path):  # neither follow it (--force would write its target) nor
            raise MatrixFileError(  # silently replace a link the user made on purpose
                f"output '{path}' is a symbolic link (to '{os.readlink(path)}'); give the "
                "real path, or remove the link first"
            )
        parent = path.parent if str(path.parent) else Path(".")
        if not parent.exists():
            raise MatrixFileError(f"output folder '{parent}' does not exist; create it first")
        if not parent.is_dir():
            raise MatrixFileError(f"output folder '{parent}' is not a folder")
        if not os.access(parent, os.W_OK):
            raise MatrixFileError(f"output folder '{parent}' is not writable")
        if path.is_dir():
            raise MatrixFileError(f"output '{path}' is a folder")
        if os.path.lexists(path) and not overwrite:
            raise MatrixFileError(f"'{path}' already exists; pass overwrite=True to overwrite it")
        if os.path.lexists(path) and not path.is_file():
            raise MatrixFileError(f"output '{path}' is not a regular file; remove it first")
