"""How every run of the app ends: errors as one line and an exit code, interrupts handled.

Exit codes: 0 ok, 1 invalid matrix, 2 bad usage or unreadable input, 3 internal error (a
bug: ``SIMMATRIX_DEBUG=1`` shows its traceback), 130 interrupted (SIGINT, SIGTERM, SIGHUP).
Everything printed here passes through :func:`simmatrix._text.escape`.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any, NoReturn

import typer

from simmatrix._files import COMMITTED, defer_interrupt, remove_temporaries
from simmatrix._text import escape
from simmatrix.errors import MissingDependencyError, SimMatrixError, for_cli

# Newer typer ships its own copy of click and raises only that copy's exceptions (it never
# imports click); older typer raises click's. Catch those of the click typer uses: importing
# click as well would cost every command ~10 ms of start-up for exceptions never raised.
_CLICK_EXCEPTIONS = []
for _mod in ("typer._click.exceptions", "click.exceptions"):
    try:
        _CLICK_EXCEPTIONS.append(importlib.import_module(_mod))
        break
    except ImportError:
        pass


def _one_line(message: object) -> str:
    """One line, in the CLI's words (``--force``, not ``overwrite=True``: see
    :func:`simmatrix.errors.for_cli`), with every character a terminal would act on escaped."""
    return escape(" ".join(for_cli(str(message)).split()))


class Interrupted(BaseException):
    """SIGTERM or SIGHUP, raised like KeyboardInterrupt so temporaries are removed.

    Not a KeyboardInterrupt: typer turns those into a silent exit 130 before we see them.
    """


def _raise_interrupted(signum, frame):  # noqa: ARG001 - signal handler signature
    """Raise :class:`Interrupted`, or keep it for the end of a write step that must not be
    cut (a temporary being created or removed, a commit's renames)."""
    exc = Interrupted(signum)
    if not defer_interrupt(exc):
        raise exc


def _install_signal_handlers() -> dict:
    """SIGINT, SIGTERM and SIGHUP all raise :class:`Interrupted` (main thread only)."""
    old = {}
    if threading.current_thread() is not threading.main_thread():
        return old
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None and signal.getsignal(sig) not in (signal.SIG_IGN, None):
            old[sig] = signal.signal(sig, _raise_interrupted)
    return old


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """Python warnings as one ``simmatrix: warning:`` line, without source paths."""
    text = _one_line(message)
    if category.__module__.split(".")[0] not in ("simmatrix", "cli"):
        text = f"{text} ({category.__name__})"
    sys.stderr.write(f"simmatrix: warning: {text}\n")


def _interrupted_message() -> str:
    kept = [str(p) for p in COMMITTED]
    if kept:
        return f"interrupted; kept what was complete: {', '.join(kept)}"
    return "interrupted; nothing was written"


def _exc(name: str) -> tuple[type[BaseException], ...]:
    """The click exception ``name`` of the click typer uses (its own copy, or click)."""
    found = {getattr(m, name, None) for m in _CLICK_EXCEPTIONS} - {None}
    return tuple(found) or (_Never,)


class _Never(Exception):
    """Stands in for an exception class this click version does not have."""


def run(command: Callable[..., Any], argv: list[str] | None) -> NoReturn:
    """Run ``command`` (the root app) on ``argv`` and exit: every expected failure is one
    line on stderr and a nonzero exit code, never a traceback.

    SIGINT, SIGTERM and SIGHUP interrupt the same way (temporary files removed, exit 130,
    ``interrupted; nothing was written``); Python warnings become one line each; a closed
    stdout (``| head -1``) ends the output quietly with exit 0.
    """
    import warnings

    COMMITTED.clear()  # what this run keeps, not an earlier run in the same process
    old_handlers = _install_signal_handlers()
    old_show, old_stdout = warnings.showwarning, sys.stdout
    warnings.showwarning = _show_warning
    sys.stdout = _PipeSafe(sys.stdout)
    try:
        code = _run(command, argv)
    finally:
        _remove_temporaries()
        warnings.showwarning, sys.stdout = old_show, old_stdout
        for sig, handler in old_handlers.items():
            signal.signal(sig, handler)
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        _quiet_stdout()
    sys.exit(code if isinstance(code, int) else 0)


def _remove_temporaries() -> None:
    """Whatever temporaries an interrupt left, removed even if another interrupt comes."""
    for _ in range(5):
        try:
            remove_temporaries()
            return
        except (KeyboardInterrupt, Interrupted):
            continue


class _PipeSafe:
    """stdout that stops writing, silently, once its reader has gone (``| head -1``).

    Typer would turn the BrokenPipeError into exit 1; a closed pipe is not a failure.
    """

    def __init__(self, stream) -> None:
        self._stream = stream
        self._closed = False

    def write(self, text):
        if not self._closed:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._gone()
        return len(text)

    def flush(self) -> None:
        if not self._closed:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._gone()

    def _gone(self) -> None:
        self._closed = True
        _quiet_stdout()

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _quiet_stdout() -> None:
    """The reader of stdout went away (``| head``): stop writing, without an error."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _error(message: object) -> None:
    typer.echo(f"simmatrix: error: {_one_line(message)}", err=True)


def _run(command: Callable[..., Any], argv: list[str] | None) -> int:
    try:
        code = command(args=argv, standalone_mode=False, prog_name="simmatrix")
        if code == 130:  # an interrupt typer caught before our handler was installed
            typer.echo(f"simmatrix: {_interrupted_message()}", err=True)
    except SimMatrixError as exc:
        _error(exc)
        code = exc.exit_code
    except MissingDependencyError as exc:
        _error(exc)
        code = 2
    except _exc("NoArgsIsHelpError") as exc:
        # A bare group (``simmatrix build``): click built the help into the error (and
        # typer's rich help has already printed it); show it once, exit 2.
        text = exc.format_message()
        if text.strip():
            typer.echo(text, err=True)
        code = 2
    except _exc("UsageError") as exc:
        where = f" (see: {exc.ctx.command_path} --help)" if exc.ctx else ""
        _error(f"{_one_line(exc.format_message())}{where}")
        code = 2
    except _exc("Abort") + (KeyboardInterrupt, Interrupted):
        typer.echo(f"simmatrix: {_interrupted_message()}", err=True)
        code = 130
    except _exc("ClickException") as exc:
        _error(exc.format_message())
        code = exc.exit_code
    except BrokenPipeError:
        _quiet_stdout()
        code = 0
    except RecursionError:
        _error("an input is nested too deeply to be read; flatten it")
        code = 2
    except MemoryError:
        _error("out of memory; use --dtype float32, --top-k or fewer classes")
        code = 2
    except OSError as exc:
        where = f" {exc.filename!r}:" if getattr(exc, "filename", None) else ""
        _error(f"cannot read or write{where} {exc.strerror or exc}")
        code = 2
    except Exception as exc:  # a bug: one line, unless the user asks for the traceback
        if os.environ.get("SIMMATRIX_DEBUG"):
            raise
        _error(f"internal error ({type(exc).__name__}: {exc}); please report it, with the "
               "traceback shown when SIMMATRIX_DEBUG=1 is set")
        code = 3
    return code
