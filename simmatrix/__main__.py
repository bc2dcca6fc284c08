"""``python -m simmatrix`` and the ``simmatrix`` command: the command line's entry point.

``simmatrix --version`` is answered here, before the Typer app (and with it typer, pydantic
and numpy) is imported: it needs nothing but the version string. Everything else goes to
:func:`simmatrix.cli.main`.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    """Run the command line on ``argv`` (default ``sys.argv[1:]``) and exit."""
    args = sys.argv[1:] if argv is None else list(argv)
    if args == ["--version"]:
        from simmatrix import __version__

        try:
            sys.stdout.write(f"simmatrix {__version__}\n")
            sys.stdout.flush()
        except BrokenPipeError:  # `simmatrix --version | true`: not a failure
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(0)
    from simmatrix.cli import main as cli_main

    cli_main(argv)


if __name__ == "__main__":
    main()
