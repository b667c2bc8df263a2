"""`interlog segments` from criteria through the real CLI, on SQLite and PostgreSQL: add and
reduce by company, domain, interaction period and a filter of the log; what cancel and
restore report after entries were deleted; deleting a segment; bad input writes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.support.cli import Run


def _ok(run: Run, *args: str) -> str:
    result = run(*args)
    assert result.exit_code == 0, (args, result.output)
    return result.stdout.strip()


def _fail(run: Run, *args: str) -> str:
    result = run(*args)
    assert result.exit_code == 1, (args, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("interlog: ")
    return lines[0]


def _members(run: Run, no: str) -> list[str]:
    return [row["no"] for row in json.loads(_ok(run, "segments", "show", no, "--json"))]


@pytest.fixture
def run(empty_url: str, files: dict[str, Path], run_on: Callable[[str], Run]) -> Run:
    """Defaults, the four contacts, and three calls: José and Anna in January, Josefina in
    March; Anna's canceled."""
    run = run_on(empty_url)
    _ok(run, "init")
    _ok(run, "contacts", "import", str(files["contacts"]))
    for ref, day in (("CT2", "2025-01-10"), ("CT4", "2025-01-20"), ("CT3", "2025-03-01")):
        _ok(run, "log", "--contact", ref, "--template", "CALL", "--at", f"{day}T10:00:00Z")
    _ok(run, "entries", "cancel", "2")
    return run


def test_add_by_criteria_is_idempotent_and_counted(run: Run) -> None:
    assert _ok(run, "segments", "create", "SPRING") == "Created segment SPRING with 0 contacts."
    assert _ok(run, "segments", "add", "spring", "--company", "Fabrikam Inc.") == (
        "Added 2 contacts to segment SPRING; it has 2.")
    assert _members(run, "SPRING") == ["CT2", "CT3"]
    assert _ok(run, "segments", "add", "SPRING", "--domain", "fabrikam.com") == (
        "Added 1 contacts to segment SPRING (2 in it already); it has 3.")  # the company too
    assert _ok(run, "segments", "reduce", "SPRING", "--contacts", "CT1, CT4") == (
        "Removed 1 contacts from segment SPRING (1 not in it); it has 2.")
    _ok(run, "segments", "create", "JAN")
    assert _ok(run, "segments", "add", "JAN", "--interacted-since", "2025-01-01",
               "--interacted-until", "2025-01-31") == "Added 1 contacts to segment JAN; it has 1."
    assert _members(run, "JAN") == ["CT2"]  # Anna's call is canceled
    _ok(run, "segments", "add", "JAN", "--template", "call", "--company", "CT1")
    assert _members(run, "JAN") == ["CT2", "CT3"]
    # a filter of the log: what `entries list` with the same options lists
    _ok(run, "segments", "create", "LOG")
    assert _ok(run, "segments", "add-from-log", "LOG", "--status", "canceled") == (
        "Added 1 contacts to segment LOG; it has 1.")
    assert _members(run, "LOG") == ["CT4"]
    rows = json.loads(_ok(run, "segments", "list", "--json"))
    assert [(r["no"], r["contacts"], r["logged"], r["entries"]) for r in rows] == [
        ("JAN", 2, False, None), ("LOG", 1, False, None), ("SPRING", 2, False, None)]


def test_bad_criteria_are_refused_and_change_nothing(run: Run) -> None:
    _ok(run, "segments", "create", "S", "--contacts", "CT4")
    for args, message in (
        ((), "give at least one criterion"),
        (("--company", "CT2"), "--company: CT2 José Pérez is a person, not a company"),
        (("--company", "nobody"), "--company: no contact matches 'nobody'"),
        (("--domain", "not a domain"), "domain 'not a domain' is not an email domain"),
        (("--template", "NOPE"), "--template: no interaction template 'NOPE'"),
        (("--interacted-since", "2025-02-01", "--interacted-until", "2025-01-01"),
         "--interacted-until: the period ends before it starts"),
        (("--contacts", "CT2, nobody"), "no contact matches 'nobody'"),
    ):
        assert message in _fail(run, "segments", "add", "S", *args)
    assert "--group: no interaction group 'nope'" in _fail(
        run, "segments", "add-from-log", "S", "--group", "nope")
    assert "no segment 'NOPE'" in _fail(run, "segments", "add", "NOPE", "--domain", "x.com")
    assert _members(run, "S") == ["CT4"]
    _ok(run, "segments", "log", "S", "--template", "EMAIL")
    assert "S is logged already" in _fail(run, "segments", "add", "S", "--company", "CT1")
    assert _members(run, "S") == ["CT4"]


def test_restore_reports_the_entries_it_restored(run: Run) -> None:
    _ok(run, "segments", "create", "S", "--contacts", "CT2,CT3,CT4")
    assert _ok(run, "segments", "log", "S", "--template", "EMAIL") == (
        "Logged segment S: 3 entries.")
    entries = json.loads(_ok(run, "entries", "list", "--json", "--source", "segment"))
    first = str(min(e["entry_no"] for e in entries))
    _ok(run, "entries", "cancel", first)
    assert _ok(run, "segments", "cancel", "S") == (
        "Canceled segment S: 2 entries (1 canceled already).")
    _ok(run, "entries", "delete-canceled", "--yes", "--source", "segment", "--contact", "CT2")
    assert _ok(run, "segments", "restore", "S") == (
        "Restored segment S: 2 entries (1 of the 3 logged no longer in the log).")
    [row] = json.loads(_ok(run, "segments", "list", "--json"))
    assert (row["contacts"], row["entries"], row["canceled"]) == (3, 2, False)


def test_delete_a_segment_and_a_canceled_logged_one(run: Run) -> None:
    _ok(run, "segments", "create", "DRAFT", "--contacts", "CT4")
    assert _ok(run, "segments", "delete", "draft") == "Deleted segment DRAFT."
    _ok(run, "segments", "create", "S", "--contacts", "CT2,CT3")
    _ok(run, "segments", "log", "S", "--template", "EMAIL")
    assert "cancel it first" in _fail(run, "segments", "delete", "S")
    _ok(run, "segments", "cancel", "S")
    assert _ok(run, "segments", "delete", "S") == (
        "Deleted segment S; its 2 entries stay in the log, canceled.")
    assert json.loads(_ok(run, "segments", "list", "--json")) == []
    entries = json.loads(_ok(run, "entries", "list", "--json", "--source", "segment"))
    assert [(e["segment_no"], e["canceled"]) for e in entries] == [("S", True), ("S", True)]
    number = str(entries[0]["entry_no"])
    assert f"Restored #{number}" in _ok(run, "entries", "restore", number)
    assert "has not been logged" in _fail(run, "segments", "restore", "S")
