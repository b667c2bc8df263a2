"""Issue 12, item 9: what outsiders wrote (subjects and names of captured mail) never drives the
terminal: control characters, ESC sequences, bidi overrides and Rich markup in a table cell
are shown as visible escapes or as the text it is; and `log --duration` takes numbers through
`storage.values.finite_decimal` (SQLite and PostgreSQL, the console script in-process)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from storage.models import AuditEvent, InteractionLogEntry
from tests.support.bot import BOT
from tests.support.cli import make_run
from tests.support.databases import url_of
from tests.support.seed import ContactRow, Dataset, EntryRow, seed

HOSTILE = {
    "\x1b[2J\x1b[31mcleared": "\\x1b[2J\\x1b[31mcleared",
    "\x1b]8;;https://evil.example\x07click\x1b]8;;\x07": "\\x1b]8;;https://evil.example\\x07",
    "\x1b]0;pwned title\x07": "\\x1b]0;pwned title\\x07",
    "over\rwritten\x08": "over\\x0dwritten\\x08",
    "csi \x9b31m c1": "csi \\x9b31m c1",
    "invoice \u202efdp.exe": "invoice \\u202efdp.exe",
    "isolate \u2066x\u2069": "isolate \\u2066x\\u2069",
    "[link=https://evil.example]Quote[/link]": "[link=https://evil.example]Quote[/link]",
    "[bold red]urgent[/]": "[bold red]urgent[/]",
}
RAW = ("\x1b", "\x07", "\x08", "\r", "\x9b", "\u202e", "\u2066", "\u2069")


@pytest.fixture
def url(clean_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("COLUMNS", "400")  # one line per row: the escapes are not wrapped
    seed(clean_engine, BOT)
    seed(clean_engine, Dataset(
        contacts=(ContactRow("C0009", "Eve \x1b[8mhidden\x1b[0m \u202eRight", ()),
                  ContactRow("C0010", "Eve \x1b]0;title\x07", ())),
        entries=tuple(EntryRow("C0001", "CALL", "alice@contoso.com", "manual",
                               f"2025-01-{i + 10:02d}T09:00", subject)
                      for i, subject in enumerate(HOSTILE))))
    return url_of(clean_engine)


def test_entries_list_shows_control_characters_as_escapes(url: str) -> None:
    result = make_run(url)("entries", "list", "--status", "all")
    assert result.exit_code == 0, result.output
    for raw in RAW:
        assert raw not in result.output, repr(raw)
    for shown in HOSTILE.values():
        assert shown in result.output, shown


def test_contacts_list_shows_control_characters_as_escapes(url: str) -> None:
    result = make_run(url)("contacts", "list")
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output
    assert "\u202e" not in result.output
    assert "Eve \\x1b[8mhidden\\x1b[0m \\u202eRight" in result.output


def test_an_error_line_quoting_names_shows_them_as_escapes(url: str) -> None:
    """An ambiguous contact lists the candidates' names on the one error line."""
    result = make_run(url)("log", "--contact", "Eve", "--template", "CALL")
    assert result.exit_code == 1, result.output
    assert "C0009" in result.stderr
    assert "C0010" in result.stderr
    assert "\x1b" not in result.stderr
    assert "\x07" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def _rows(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        return (session.scalar(sa.select(sa.func.count()).select_from(InteractionLogEntry)) or 0,
                session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) or 0)


@pytest.mark.parametrize("duration", ["NaN", "inf", "-Infinity", "-1", "1e20", "100000000",
                                      "snan", "ten", ""])
def test_log_duration_must_be_a_finite_number_the_column_holds(
        url: str, clean_engine: Engine, duration: str) -> None:
    before = _rows(clean_engine)
    result = make_run(url)("log", "--contact", "C0001", "--template", "CALL",
                           "--duration", duration)
    assert result.exit_code == 2, result.output
    assert "--duration" in result.output
    assert "Traceback" not in result.output
    assert _rows(clean_engine) == before


def test_log_duration_in_range_is_logged(url: str, clean_engine: Engine) -> None:
    result = make_run(url)("log", "--contact", "C0001", "--template", "CALL",
                           "--duration", "99999999.99")
    assert result.exit_code == 0, result.output
    assert _rows(clean_engine)[0] == len(HOSTILE) + 1
