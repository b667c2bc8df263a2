"""What every command shares: settings and engine loaded once, sessions, errors, output.

Imported by every command (and by `interlog --help`), so it imports only click and the light
error and value modules at start-up: the config, SQLAlchemy and rich are imported when a
command first asks for them (issue 16).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from connector.settings import ConfigError
from storage.errors import InterlogError
from storage.values import text_problem

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text
    from sqlalchemy.engine import Connection, Engine
    from sqlalchemy.orm import Session

    from interlog.config import Settings


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
            from interlog.config import load_settings

            path = Path(self.config_path) if self.config_path else None
            self._settings = load_settings(path, db_url=self.db_url)
        return self._settings

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from storage.db import make_engine

            self._engine = make_engine(self.settings.storage.url)
        return self._engine

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One session and one transaction: committed on success, rolled back on error."""
        from sqlalchemy.orm import Session

        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """One Core connection and transaction, for a read that needs no ORM (`entries
        list`: importing and configuring it is a quarter of the command's start-up)."""
        with self.engine.begin() as connection:
            yield connection


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


def json_line(data: Any) -> str:
    """`data` as one line of JSON Lines (`--jsonl`)."""
    return json.dumps(data, ensure_ascii=False, default=str) + "\n"


OUTPUT_CHUNK = 64 * 1024  # characters written at once: one write per chunk, not per line


def write_lines(lines: Iterable[str]) -> None:
    """Write `lines` (each ending with a newline) to stdout as they come, a chunk at a time:
    the output may be the whole log, so it is never joined in memory."""
    chunk: list[str] = []
    size = 0
    for line in lines:
        chunk.append(line)
        size += len(line)
        if size >= OUTPUT_CHUNK:
            click.echo("".join(chunk), nl=False)
            chunk, size = [], 0
    if chunk:
        click.echo("".join(chunk), nl=False)


def stream_json(items: Iterable[Any]) -> None:
    """Print `items` as `print_json` prints a list (the same text), one item at a time as
    they are read: the array is never built in memory."""
    def parts() -> Iterator[str]:
        opening = "[\n  "
        for item in items:
            yield opening + json.dumps(item, indent=2, ensure_ascii=False,
                                       default=str).replace("\n", "\n  ")
            opening = ",\n  "
        yield "[]\n" if opening == "[\n  " else "\n]\n"

    write_lines(parts())


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
    from rich.text import Text

    return Text(terminal_safe(value))


def new_table(title: str | None, columns: Sequence[str],
              right: Sequence[str] = ()) -> Table:
    from rich.table import Table

    table = Table(title=None if title is None else terminal_text(title))
    for column in columns:
        table.add_column(column, justify="right" if column in right else "left")
    return table


def one_line_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]],
                   right: Sequence[str] = (), keep: Sequence[str] = ()) -> Table:
    """A table of one line a row, no vertical rules, that fits the terminal: the `keep`
    columns whole, the others share what is left, cut with "…". (Rich wraps cells that do
    not fit, about six times slower on a narrow terminal, and a row of many lines reads
    worse.)"""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    cells = [[terminal_text(value) for value in row] for row in rows]
    natural = [max([len(column), *(row[i].cell_len for row in cells)])
               for i, column in enumerate(columns)]
    widths = _shared(natural, [column in keep for column in columns], Console().width)
    table = Table(title=terminal_text(title), box=box.SIMPLE_HEAD, show_edge=False,
                  pad_edge=False, padding=(0, 1), collapse_padding=True)
    for column, width in zip(columns, widths, strict=True):
        table.add_column(column, justify="right" if column in right else "left", no_wrap=True,
                         overflow="ellipsis", width=width)
    for row in cells:
        table.add_row(*row)
    return table


def _shared(natural: list[int], kept: list[bool], total: int) -> list[int]:
    """Column widths within `total` characters (two between columns): the kept columns
    their natural width, the others a share of the rest in proportion to theirs (at least 3)."""
    pairs = list(zip(natural, kept, strict=True))
    room = total - 2 * (len(natural) - 1) - sum(w for w, k in pairs if k)
    wanted = sum(w for w, k in pairs if not k)
    if wanted <= room:
        return natural
    return [w if k else max(3, w * room // max(wanted, 1)) for w, k in pairs]


def add_row(table: Table, values: Sequence[Any]) -> None:
    table.add_row(*(terminal_text(v) for v in values))


def print_table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    table = new_table(title, columns)
    for row in rows:
        add_row(table, row)
    print_rich(table)


def print_rich(renderable: object) -> None:
    """Print a rich table or text on stdout (rich is imported only by commands that print
    one)."""
    from rich.console import Console

    Console().print(renderable)


def _refuse_unstorable_arguments() -> None:
    """Bytes that are not UTF-8 reach `sys.argv` as lone surrogates, which no database (nor
    the terminal) takes: refused before any command runs, naming the argument."""
    for number, arg in enumerate(sys.argv[1:], 1):
        problem = text_problem(arg)
        if problem is not None:
            click.echo(f"interlog: argument {number} {problem} (not UTF-8 text)", err=True)
            sys.exit(1)


def _is_operational_error(exc: Exception) -> bool:
    """Whether `exc` is SQLAlchemy's `OperationalError`, without importing SQLAlchemy for
    the commands that never loaded it."""
    errors = sys.modules.get("sqlalchemy.exc")
    return errors is not None and isinstance(exc, errors.OperationalError)


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush of a closed pipe is not
    reported as an error."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (CliRunner's buffer)
        pass


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
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except BrokenPipeError:  # `interlog entries list --all --jsonl | head`: the reader left
        _quiet_stdout()
        sys.exit(1)
    except Exception as exc:
        if not _is_operational_error(exc):
            raise
        orig = getattr(exc, "orig", exc)
        click.echo(f"interlog: database error: {' '.join(str(orig).split())}", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) and not isinstance(code, bool) else 0)
