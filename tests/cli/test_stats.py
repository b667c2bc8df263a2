"""`interlog stats` through the real CLI, on SQLite and PostgreSQL: JSON rows by each key,
canceled entries left out, a company with its persons, the entries filters, the table."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.support.cli import Run


def _ok(run: Run, *args: str) -> str:
    result = run(*args)
    assert result.exit_code == 0, (args, result.output)
    return result.stdout


def _rows(run: Run, *args: str) -> list[dict[str, object]]:
    return json.loads(_ok(run, "stats", "--json", *args))  # type: ignore[no-any-return]


@pytest.fixture
def logged(empty_url: str, files: dict[str, Path], run_on: Callable[[str], Run]) -> Run:
    """Five calls and quotes (template costs 1.25 and 2.50), one failed, one initiated by the
    contact, one canceled, at Fabrikam (CT1: José CT2, Josefina CT3) and for Anna (CT4)."""
    run = run_on(empty_url)
    _ok(run, "init")
    _ok(run, "contacts", "import", str(files["contacts"]))
    _ok(run, "templates", "import", str(files["templates"]))
    for args in (("CT2", "CALL", "2025-03-14T10:00:00Z", "--duration", "15"),
                 ("CT3", "QUOTE", "2025-03-20T10:00:00Z"),
                 ("CT1", "CALL", "2025-04-02T10:00:00Z", "--failed"),
                 ("CT4", "CALL", "2025-04-05T10:00:00Z", "--initiated-by", "them"),
                 ("CT4", "QUOTE", "2025-04-06T10:00:00Z")):
        contact, template, at, *more = args
        out = _ok(run, "log", "--contact", contact, "--template", template, "--at", at, *more)
    canceled = re.search(r"Logged #(\d+)", out).group(1)  # type: ignore[union-attr]
    _ok(run, "entries", "cancel", canceled)
    return run


def _row(key: str, count: int, cost: float, minutes: float, last: str | None,
         attempted: str | None) -> dict[str, object]:
    return {"key": key, "count": count, "cost": cost, "duration_min": minutes,
            "last_date": last, "last_attempt_date": attempted}


def test_json_rows_by_each_key(logged: Run) -> None:
    assert _rows(logged) == _rows(logged, "--by", "template") == [
        _row("CALL", 3, 3.75, 25.0, "2025-04-05", "2025-04-02"),
        _row("QUOTE", 1, 2.5, 10.0, "2025-03-20", "2025-03-20"),
    ]
    assert _rows(logged, "--by", "group") == [
        _row("CALLS", 3, 3.75, 25.0, "2025-04-05", "2025-04-02"),
        _row("SALES", 1, 2.5, 10.0, "2025-03-20", "2025-03-20"),
    ]
    assert _rows(logged, "--by", "company") == [
        _row("CT1", 3, 5.0, 30.0, "2025-03-20", "2025-04-02")]
    assert _rows(logged, "--by", "month") == [
        _row("2025-03", 2, 3.75, 25.0, "2025-03-20", "2025-03-20"),
        _row("2025-04", 2, 2.5, 10.0, "2025-04-05", "2025-04-02"),
    ]
    assert [(r["key"], r["count"]) for r in _rows(logged, "--by", "contact")] == [
        ("CT1", 1), ("CT2", 1), ("CT3", 1), ("CT4", 1)]
    assert _rows(logged, "--by", "salesperson") == [
        _row("", 4, 6.25, 35.0, "2025-04-05", "2025-04-02")]


def test_the_entries_filters(logged: Run) -> None:
    assert [r["key"] for r in _rows(logged, "--by", "contact", "--company", "fabrikam")] == [
        "CT1", "CT2", "CT3"]
    assert _rows(logged, "--since", "2025-04-01", "--template", "call") == [
        _row("CALL", 2, 2.5, 10.0, "2025-04-05", "2025-04-02")]
    assert _rows(logged, "--contact", "CT4", "--until", "2025-04-04") == []


def test_the_table_names_each_key(logged: Run) -> None:
    out = _ok(logged, "stats", "--by", "contact")
    assert "Interactions by contact (canceled left out)" in out
    jose = next(line for line in out.splitlines() if "CT2" in line)
    assert re.search(r"CT2 .*José Pérez .* 1 .* 1\.25 .* 15(\.00)? .* 2025-03-14 .* 2025-03-14",
                     jose), jose
    month = _ok(logged, "stats", "--by", "month")
    assert re.search(r"2025-04 .* 2 .* 2\.50 .* 2025-04-05 .* 2025-04-02", month), month


@pytest.mark.parametrize(("args", "code", "message"), [
    (("--by", "week"), 2, "'week' is not one of 'template', 'group'"),
    (("--status", "active"), 2, "No such option '--status'"),  # canceled never count
    (("--company", "CT2"), 1, "interlog: --company: CT2 José Pérez is a person, not a company"),
    (("--template", "NOPE"), 1, "interlog: --template: no interaction template 'NOPE'"),
])
def test_bad_options_are_refused(logged: Run, args: tuple[str, ...], code: int,
                                 message: str) -> None:
    result = logged("stats", *args)
    assert result.exit_code == code
    assert "Traceback" not in result.output
    assert message in result.stderr
    if code == 1:
        assert result.stderr.strip() == message
