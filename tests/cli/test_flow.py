"""The docs/concepts.md flow, end to end through the real CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from storage.db import make_engine

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.support.cli import Run


def _ok(run: Run, *args: str) -> str:
    result = run(*args)
    assert result.exit_code == 0, (args, result.output)
    return result.stdout


def _fail(run: Run, *args: str) -> str:
    result = run(*args)
    assert result.exit_code == 1, (args, result.output)
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("interlog: ")
    return lines[0]


def _entries(run: Run, *args: str) -> list[dict[str, object]]:
    return json.loads(_ok(run, "entries", "list", "--json", *args))  # type: ignore[no-any-return]


def test_readme_flow(empty_url: str, files: dict[str, Path],
                     run_on: Callable[[str], Run]) -> None:
    run = run_on(empty_url)
    assert "Added templates: EMAIL, MEETING, CALL" in _ok(run, "init")
    assert "Nothing to seed" in _ok(run, "init")
    assert "4 added" in _ok(run, "contacts", "import", str(files["contacts"]))
    assert "1 rules" in _ok(run, "templates", "import", str(files["templates"]))
    out = _ok(run, "log", "--contact", "jose perez", "--template", "call", "--subject",
              "renewal", "--duration", "15", "--at", "2025-03-14T15:30:00+01:00")
    call_no = int(re.search(r"Logged #(\d+)", out).group(1))  # type: ignore[union-attr]
    [call] = _entries(run, "--contact", "CT2")
    assert (call["entry_no"], call["date"], call["time"], call["subject"]) == (
        call_no, "2025-03-14", "14:30:00", "renewal")
    assert (call["duration_min"], call["cost"], call["group_code"]) == (15.0, 1.25, "CALLS")

    assert "2 contacts" in _ok(run, "segments", "create", "SPRING", "--contacts",
                               "CT4, josefina@fabrikam.com", "--description", "Spring offer")
    assert "2 entries" in _ok(run, "segments", "log", "spring", "--template", "QUOTE")
    assert "logged already" in _fail(run, "segments", "log", "SPRING", "--template", "QUOTE")
    segment = [e for e in _entries(run) if e["segment_no"] == "SPRING"]
    assert sorted(str(e["contact_no"]) for e in segment) == ["CT3", "CT4"]

    assert f"Canceled #{call_no}" in _ok(run, "entries", "cancel", str(call_no))
    assert f"Restored #{call_no}" in _ok(run, "entries", "restore", str(call_no))
    _ok(run, "segments", "cancel", "SPRING")
    assert [e["canceled"] for e in segment] == [False, False]
    assert all(e["canceled"] for e in _entries(run, "--template", "QUOTE"))
    assert "restore the segment" in _fail(run, "entries", "restore", str(segment[0]["entry_no"]))
    _ok(run, "segments", "restore", "SPRING")
    assert _entries(run, "--status", "canceled") == []

    _ok(run, "entries", "cancel", str(call_no))
    assert f"Would delete 1 canceled entries: #{call_no}" in _ok(
        run, "entries", "delete-canceled", "--dry-run")
    assert "add --yes" in _fail(run, "entries", "delete-canceled")
    assert len(_entries(run)) == 3
    assert f"Deleted 1 canceled entries: #{call_no}" in _ok(
        run, "entries", "delete-canceled", "--yes")
    assert sorted(e["entry_no"] for e in _entries(run)) == sorted(
        e["entry_no"] for e in segment)
    table = _ok(run, "entries", "list")
    assert "Totals (canceled left out): 2 entries, 20.00 min, cost 5.00" in table

    engine = make_engine(empty_url)
    try:
        with engine.connect() as conn:
            actions = conn.execute(sa.text(
                "select action, count(*) from audit_events where actor like 'cli%'"
                " group by action")).all()
    finally:
        engine.dispose()
    assert {"log", "cancel", "restore", "delete", "init", "contacts_import",
            "templates_import", "segment_create"} <= {a for a, _ in actions}


def test_unknown_entry_in_cancel_changes_nothing(
    empty_url: str, files: dict[str, Path], run_on: Callable[[str], Run]
) -> None:
    run = run_on(empty_url)
    _ok(run, "init")
    _ok(run, "contacts", "import", str(files["contacts"]))
    first = _ok(run, "log", "--contact", "CT4", "--template", "CALL")
    number = int(re.search(r"#(\d+)", first).group(1))  # type: ignore[union-attr]
    message = _fail(run, "entries", "cancel", str(number), str(number + 100))
    assert message == f"interlog: no interaction log entry #{number + 100}; nothing was changed"
    assert [e["canceled"] for e in _entries(run)] == [False]
    _ok(run, "entries", "cancel", str(number))
    assert "#999" in _fail(run, "entries", "restore", str(number), "999")
    assert [e["canceled"] for e in _entries(run)] == [True]
