"""What every command shares: settings and engine loaded once, sessions, errors, output."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from interlog.config import ConfigError, Settings, load_settings
from storage.db import make_engine
from storage.errors import InterlogError
from storage.values import text_problem


@dataclass
class AppContext:
    """Loaded lazily, once per invocation: commands that need no config never read it."""

    config_path: str | None = None
    db_url: str | None = None
    _settings: Settings | None = field(default=None, repr=False)
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            path = Path(self.config_path) if self.config_path else None
            self._settings = load_settings(path, db_url=self.db_url)
        return self._settings

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.settings.storage.url)
        return self._engine

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One session and one transaction: committed on success, rolled back on error."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session


pass_app = click.make_pass_decorator(AppContext)


def cli_actor() -> str:
    """Who the audit trail names for a CLI change."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


# Characters a terminal acts on instead of showing: C0 controls (ESC starts colour, cursor,
# title and hyperlink sequences; CR and BS overwrite), DEL, C1 controls (CSI, OSC as one
# code point), line and paragraph separators, and the bidi controls that reorder what is
# shown (CVE-2021-42574, "Trojan Source"). Subjects and names of captured mail are written
# by outsiders.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                          "\u2066\u2067\u2068\u2069")


def _visible(ch: str) -> str:
    code = ord(ch)
    if code < 0x20 or 0x7F <= code < 0xA0:
        return f"\\x{code:02x}"
    if ch in BIDI_CONTROLS or ch in "\u2028\u2029":
        return f"\\u{code:04x}"
    if 0xD800 <= code < 0xE000:  # a lone surrogate: no terminal encoding has it
        return "\ufffd"
    return ch


def terminal_safe(value: object) -> str:
    """`value` as text with control characters as visible escapes (`\\x1b`, `\\u202e`)."""
    text = "" if value is None else str(value)
    if text.isascii() and text.isprintable():  # the usual case: nothing to replace
        return text
    return "".join(_visible(ch) for ch in text)


def terminal_text(value: object) -> Text:
    """A table cell as the terminal must show it: `terminal_safe`, and a `Text`, so `[link=…]`
    or `[bold]` in a subject is shown, not read as Rich markup. Every table cell of the CLI
    goes through here."""
    return Text(terminal_safe(value))


def new_table(title: str | None, columns: Sequence[str],
              right: Sequence[str] = ()) -> Table:
    table = Table(title=None if title is None else terminal_text(title))
    for column in columns:
        table.add_column(column, justify="right" if column in right else "left")
    return table


def add_row(table: Table, values: Sequence[Any]) -> None:
    table.add_row(*(terminal_text(v) for v in values))


def print_table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    table = new_table(title, columns)
    for row in rows:
        add_row(table, row)
    Console().print(table)


def _refuse_unstorable_arguments() -> None:
    """Bytes that are not UTF-8 reach `sys.argv` as lone surrogates, which no database (nor
    the terminal) takes: refused before any command runs, naming the argument."""
    for number, arg in enumerate(sys.argv[1:], 1):
        problem = text_problem(arg)
        if problem is not None:
            click.echo(f"interlog: argument {number} {problem} (not UTF-8 text)", err=True)
            sys.exit(1)


def run_main(cli: click.Group) -> None:
    """Run the CLI: user errors → one line on stderr and exit 1, never a traceback.

    Without standalone mode click does not raise `ctx.exit(n)`: `main` returns `n` (and a
    command's own return value, always None here), so the code is taken from there.
    """
    _refuse_unstorable_arguments()
    try:
        code = cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (InterlogError, ConfigError) as exc:  # may quote a contact's name or a subject
        click.echo(f"interlog: {terminal_safe(exc)}", err=True)
        sys.exit(1)
    except OperationalError as exc:
        click.echo(f"interlog: database error: {' '.join(str(exc.orig).split())}", err=True)
        sys.exit(1)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) and not isinstance(code, bool) else 0)
