"""How every command's ``--help`` reads: examples under the options, flags without a type.

:func:`examples` makes the epilog each command is registered with, so ``--help`` ends with
two or three lines a user can copy. :func:`tidy_flag_help` stops typer showing ``<bool>``
after every on/off flag (``--force``, ``--json``, ``--help``): a flag takes no value.
"""

from __future__ import annotations


def examples(*commands: str) -> str:
    """An epilog listing ``commands``, kept line by line (click's ``\\b`` marker)."""
    return "Examples:\n\b\n" + "\n".join(f"  $ {c}" for c in commands)


def tidy_flag_help() -> None:
    """Show no type for flags and ``<path>...`` for lists in typer's help.

    Newer typer prints ``<bool>`` after every flag and the Python annotation
    (``<list[Path]>``) for a repeated argument; both say nothing to a user.
    """
    try:
        from typer.core import TyperArgument, TyperOption
    except ImportError:  # pragma: no cover - an older typer has no such classes
        return
    for cls in (TyperOption, TyperArgument):
        original = getattr(cls, "display_type_rich", None)
        if original is None or getattr(original, "_simmatrix_tidy", False):
            continue
        cls.display_type_rich = _tidy(original)


def _tidy(original):
    def display_type_rich(self, ctx):
        if getattr(self, "is_flag", False) and self.metavar is None:
            return None
        shown = original(self, ctx)
        if isinstance(shown, str) and shown.startswith("<list[") and shown.endswith("]>"):
            return f"<{shown[6:-2].lower()}>..."
        return shown

    display_type_rich._simmatrix_tidy = True
    return display_type_rich
