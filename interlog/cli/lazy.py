"""A click group whose subcommands are imported when they run (click's LazyGroup pattern).

`interlog --help` lists every command with its one-line help without importing any command
module: the registry keeps each command's module, its attribute there, and its help line.
`tests/cli/test_lazy_commands.py` checks that every help line equals the first paragraph of
the command's docstring, so the two cannot drift.

To add a command (or a subcommand of a lazy group such as `entries`), write it in its module
and add one line to the registry of its group (`COMMANDS` in `interlog/cli/__init__.py`,
`ENTRY_COMMANDS` in `interlog/cli/entries.py`):

    "evaluate": Lazy("interlog.cli.entry_outcomes", "evaluate",
                     "The first paragraph of its docstring, on one line."),
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import click


@dataclass(frozen=True)
class Lazy:
    """A command not imported yet: `module.attribute`, and the help `--help` shows for it."""

    module: str
    attribute: str
    help: str

    def load(self) -> click.Command:
        command = getattr(importlib.import_module(self.module), self.attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.module}.{self.attribute} is not a click command")
        return command


def help_line(command: click.Command) -> str:
    """The line `--help` lists for `command`: its short help, else its docstring's first
    paragraph on one line (what the registry must hold)."""
    if command.short_help:
        return command.short_help
    return " ".join((command.help or "").split("\n\n")[0].split())


class LazyGroup(click.Group):
    """A group whose `lazy` commands are imported the first time they are asked for."""

    def __init__(self, *args: Any, lazy: Mapping[str, Lazy] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, Lazy] = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(self.lazy))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            self.commands[cmd_name] = self.lazy[cmd_name].load()
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """As click's, but a command not imported yet shows its registry help."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows: list[tuple[str, str]] = []
        for name in names:
            command = self.commands.get(name)
            if command is None:
                stand_in = click.Command(name, help=self.lazy[name].help)  # click's own shortening
                rows.append((name, stand_in.get_short_help_str(limit)))
            elif not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)
