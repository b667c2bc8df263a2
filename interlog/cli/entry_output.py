"""How `entries list` prints what it reads: streamed, whatever the number of entries.

- `--json`: one JSON array, written entry by entry as the rows are read (`stream_json`);
  `--jsonl`: one entry a line. Neither is ever held whole in memory.
- Text: a rich table when at most `TABLE_MAX_ROWS` entries can be shown (the default 50);
  beyond (`--all`, `--limit 500`), plain aligned lines, printed as they are read: a table
  measures every cell before printing its first line (about 1.4 ms an entry).
- The totals line (canceled entries left out) sums the entries shown, as they are read: with
  `--all` (or when every match is shown) it is the totals of the filters; otherwise it says
  it covers only those shown. It never reads more entries than are shown (`interlog stats`
  gives totals per template, group, … of every match).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

import click

from interlog.cli.common import (
    add_row,
    json_line,
    new_table,
    one_line_table,
    print_rich,
    stream_json,
    terminal_safe,
    write_lines,
)
from storage.entry_queries import EntryFilter, entry_to_json, stream_entries

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from storage.models import InteractionLogEntry
    from storage.upcoming import Upcoming

TABLE_MAX_ROWS = 100
COLUMNS = ("no", "date", "time", "contact", "name", "template", "flow", "by", "subject", "min",
           "cost", "user", "status", "evaluation")
# Plain lines: the columns of the table, fixed widths, the subject last and whole.
PLAIN = (("contact", 10), ("name", 20), ("template", 10), ("flow", 8), ("by", 4), ("min", 8),
         ("cost", 9), ("user", 24), ("status", 8), ("evaluation", 13))
RIGHT = frozenset({"no", "min", "cost"})
# The table: the columns that fit an 80-column terminal (flow, by and user are in the plain
# lines and the JSON), the ones in KEEP never cut.
TABLE = ("no", "date", "time", "contact", "name", "template", "subject", "min", "cost",
         "status", "evaluation")
KEEP = ("no", "date", "time", "contact", "min", "cost", "status")


@dataclass(frozen=True)
class Shown:
    """What `entries list` prints: the newest `limit` (None: all), as `output`."""

    limit: int | None
    output: str = "text"  # text | json | jsonl


@dataclass
class _Taken:
    """The first `limit` rows of `rows`; `more` tells, once read, whether others followed."""

    rows: Iterable[InteractionLogEntry]
    limit: int | None
    more: bool = False

    def __iter__(self) -> Iterator[InteractionLogEntry]:
        for index, row in enumerate(self.rows):
            if index == self.limit:
                self.more = True
                return
            yield row


@dataclass
class _Sum:
    """The totals of the entries shown, canceled ones left out."""

    count: int = 0
    cost: Decimal = field(default_factory=Decimal)
    duration_min: Decimal = field(default_factory=Decimal)

    def add(self, entry: InteractionLogEntry) -> InteractionLogEntry:
        if not entry.canceled:
            self.count += 1
            self.cost += entry.cost
            self.duration_min += entry.duration_min
        return entry


def print_entries(connection: Connection, filters: EntryFilter, shown: Shown) -> bool:
    """Print the newest entries `filters` select as `shown` says; whether more match."""
    extra = None if shown.limit is None else shown.limit + 1
    taken = _Taken(stream_entries(connection, filters, limit=extra), shown.limit)
    if shown.output == "json":
        stream_json(entry_to_json(e) for e in taken)
    elif shown.output == "jsonl":
        write_lines(json_line(entry_to_json(e)) for e in taken)
    else:
        counted = _Sum()
        entries = (counted.add(e) for e in taken)
        if shown.limit is not None and shown.limit <= TABLE_MAX_ROWS:
            _print_table(list(entries))
        else:
            write_lines(_plain_lines(entries))
        click.echo(_totals_line(shown, counted, more=taken.more))
    return taken.more


def _cells(e: InteractionLogEntry) -> tuple[object, ...]:
    status = "canceled" if e.canceled else ("failed" if e.attempt_failed else "")
    return (e.entry_no, e.occurred_at.date().isoformat(), e.occurred_at.time().isoformat(
        "seconds"), e.contact_no, e.contact_name, e.template_code, e.information_flow,
        e.initiated_by, e.subject, e.duration_min, e.cost, e.user_upn, status, e.evaluation)


def _print_table(found: Sequence[InteractionLogEntry]) -> None:
    picked = [COLUMNS.index(name) for name in TABLE]
    rows = [[cells[i] for i in picked] for cells in map(_cells, found)]
    print_rich(one_line_table(f"Interaction log entries ({len(found)}, newest first)", TABLE,
                              rows, right=tuple(RIGHT), keep=KEEP))


def _fit(value: object, width: int, right: bool) -> str:
    text = terminal_safe(value)
    if len(text) > width:
        text = text[:width - 1] + "…"
    return text.rjust(width) if right else text.ljust(width)


def _plain_lines(entries: Iterable[InteractionLogEntry]) -> Iterator[str]:
    """A header, then an aligned line per entry, as they are read (newest first, so the first
    entry number is the widest)."""
    number_width = 0
    for e in entries:
        cells = dict(zip(COLUMNS, _cells(e), strict=True))
        if not number_width:
            number_width = max(len(str(e.entry_no)), 2)
            yield _line({c: c for c in COLUMNS}, number_width)
        yield _line(cells, number_width)


def _line(cells: dict[str, object], number_width: int) -> str:
    parts = [_fit(cells["no"], number_width, True), _fit(cells["date"], 10, False),
             _fit(cells["time"], 8, False)]
    parts += [_fit(cells[name], width, name in RIGHT) for name, width in PLAIN]
    return "  ".join([*parts, terminal_safe(cells["subject"])]).rstrip() + "\n"


def _totals_line(shown: Shown, counted: _Sum, *, more: bool) -> str:
    label = f"Totals of the {shown.limit} shown" if more else "Totals"
    line = (f"{label} (canceled left out): {counted.count} entries, {counted.duration_min} min,"
            f" cost {counted.cost}")
    return line + ("; --all for the totals of all that match" if more else "")


def print_upcoming(found: Sequence[Upcoming], output: str) -> None:
    """`entries list --upcoming`: the meetings as JSON, JSON lines or a table."""
    from storage.upcoming import upcoming_to_json

    if output == "json":
        stream_json(upcoming_to_json(m) for m in found)
        return
    if output == "jsonl":
        write_lines(json_line(upcoming_to_json(m)) for m in found)
        return
    table = new_table(f"Upcoming meetings ({len(found)})", ("date", "time", "subject",
                                                            "contacts"))
    for m in found:
        add_row(table, (m.start.date().isoformat(), m.start.time().isoformat("seconds"),
                        m.subject, ", ".join(f"{c.no} {c.name}" for c in m.contacts)))
    print_rich(table)
