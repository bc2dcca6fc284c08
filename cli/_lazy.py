"""Command groups that import a command's module, and convert it to click, only when used.

Typer turns every registered command into a click object before it parses anything, and
every command's module imports what it runs (its builder, numpy): with all of them
registered, ``simmatrix build order`` paid for ``build wordnet``, ``plot`` and the rest. A
:class:`LazyGroup` knows its commands by name and module only (click's "lazily loading
subcommands" pattern): ``simmatrix build order`` imports ``cli/build_order.py`` and converts
``order``, nothing else. ``--help`` lists every command, so it loads them all; shell
completion loads those matching what is typed; "Did you mean" needs only the names.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping
from typing import Any

import typer.main
from typer.core import TyperGroup
from typer.models import TyperInfo


class LazyGroup(TyperGroup):
    """A group whose commands are those of :attr:`lazy`, each loaded on first use.

    A subclass sets :attr:`lazy`: command name -> module of this package whose Typer ``app``
    has a command of that name, or is that group (``typer.Typer(name="build", ...)``). The
    table's order is the order ``--help`` lists them; tests/test_startup.py checks the
    tables against the commands the modules define.
    """

    lazy: dict[str, str] = {}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # typer reads .commands itself (lookup, "Did you mean", the listing): make it lazy
        self.commands = _Commands(self, eager=self.commands)

    def load(self, name: str) -> Any:
        """The click command ``name``: its module imported, only it converted."""
        module = self.lazy[name]
        sub = importlib.import_module(f"{__package__}.{module}").app
        if sub.info.name == name:  # the module's app is the group itself
            return typer.main.get_group_from_info(
                TyperInfo(sub), pretty_exceptions_short=sub.pretty_exceptions_short,
                suggest_commands=self.suggest_commands, rich_markup_mode=self.rich_markup_mode)
        for info in sub.registered_commands:
            if (info.name or typer.main.get_command_name(info.callback.__name__)) == name:
                return typer.main.get_command_from_info(
                    info, pretty_exceptions_short=sub.pretty_exceptions_short,
                    rich_markup_mode=self.rich_markup_mode)
        raise LookupError(f"cli/{module}.py has no command {name!r} and is not that group")


class _Commands(MutableMapping):
    """``group.commands``: the names of ``group.lazy``, each command built on first access."""

    def __init__(self, group: LazyGroup, eager) -> None:
        self._group = group
        self._loaded: dict[str, Any] = dict(eager)

    def __getitem__(self, name: str):
        if name not in self._loaded:
            if name not in self._group.lazy:
                raise KeyError(name)
            self._loaded[name] = self._group.load(name)
        return self._loaded[name]

    def __setitem__(self, name: str, command) -> None:  # group.add_command
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        del self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        yield from self._group.lazy
        yield from (n for n in self._loaded if n not in self._group.lazy)

    def __len__(self) -> int:
        return len(set(self._group.lazy) | set(self._loaded))

    def __contains__(self, name: object) -> bool:
        return name in self._group.lazy or name in self._loaded
