"""`entries recreate N [--date] [--user]`, `audit [--entry N] [--actor] [--action] [--limit |
--all] [--json]` and the evaluation column of `entries list`, through the real CLI on SQLite
and PostgreSQL (issue 13 item 6)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.db import make_engine
from storage.models import InteractionLogEntry
from tests.support.seed import Dataset, EntryRow, seed

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from tests.support.cli import Run

LINK = "https://outlook.office365.com/owa/?ItemID=AAMk%3D"


def _ok(run: Run, *args: str) -> str:
    result = run(*args)
    assert result.exit_code == 0, (args, result.output)
    return result.stdout


def _entries(run: Run) -> dict[int, dict[str, Any]]:
    return {e["entry_no"]: e for e in json.loads(_ok(run, "entries", "list", "--json", "--all"))}


def _audit(run: Run, *args: str) -> list[dict[str, Any]]:
    return json.loads(_ok(run, "audit", "--json", *args))  # type: ignore[no-any-return]


@pytest.fixture
def url(empty_url: str, files: dict[str, Path], run_on: Callable[[str], Run]) -> Iterator[str]:
    """Contacts (Fabrikam CT1 with José CT2 …), the templates, and one captured email of
    José's with its Outlook link."""
    run = run_on(empty_url)
    _ok(run, "init")
    _ok(run, "contacts", "import", str(files["contacts"]))
    _ok(run, "templates", "import", str(files["templates"]))
    engine = make_engine(empty_url)
    try:
        seed(engine, Dataset(entries=(EntryRow("CT2", "EMAIL", "alice@contoso.com", "email",
                                               "2025-03-01T09:00", "Renewal terms"),)))
        with Session(engine) as session, session.begin():
            session.execute(sa.update(InteractionLogEntry).values(
                web_link=LINK, internet_message_id="<m1@fabrikam.com>"))
        yield empty_url
    finally:
        engine.dispose()


def _log(run: Run, *args: str) -> int:
    out = _ok(run, "log", "--template", "CALL", *args)
    return int(re.search(r"Logged #(\d+)", out).group(1))  # type: ignore[union-attr]


def test_recreate_copies_the_interaction_not_its_outcome(url: str,
                                                         run_on: Callable[[str], Run]) -> None:
    run = run_on(url)
    call = _log(run, "--contact", "CT3", "--subject", "Pricing", "--duration", "12", "--cost",
                "3.10", "--failed", "--evaluation", "negative", "--note", "no answer",
                "--user", "bob@contoso.com")
    out = _ok(run, "entries", "recreate", str(call), "--date", "2025-02-03")
    new = int(re.search(r"Logged #(\d+) from #(\d+)", out).group(1))  # type: ignore[union-attr]
    assert f"from #{call}: CALL with Josefina Ruiz (CT3) on 2025-02-03 " in out
    by_no = _entries(run)
    old, copy = by_no[call], by_no[new]
    same = ("contact_no", "template_code", "subject", "duration_min", "cost",
            "information_flow", "initiated_by", "user")
    assert {k: copy[k] for k in same} == {k: old[k] for k in same}
    assert (copy["date"], copy["source"], copy["evaluation"], copy["note"],
            copy["attempt_failed"], copy["canceled"]) == ("2025-02-03", "manual", "", "", False,
                                                          False)
    moment = _ok(run, "entries", "recreate", str(call), "--date", "2025-02-04T10:30+01:00",
                 "--user", "alice@contoso.com")
    later = int(re.search(r"Logged #(\d+)", moment).group(1))  # type: ignore[union-attr]
    assert (_entries(run)[later]["date"], _entries(run)[later]["time"],
            _entries(run)[later]["user"]) == ("2025-02-04", "09:30:00", "alice@contoso.com")
    assert [(e["action"], e["details"]) for e in _audit(run, "--entry", str(new))] == [
        ("recreate", {"from_entry": call}), ("log", {})]


def test_a_captured_entry_recreated_is_a_manual_one(url: str,
                                                    run_on: Callable[[str], Run]) -> None:
    run = run_on(url)
    [captured] = [n for n, e in _entries(run).items() if e["source"] == "email"]
    assert _entries(run)[captured]["web_link"] == LINK
    out = _ok(run, "entries", "recreate", str(captured))
    new = int(re.search(r"Logged #(\d+)", out).group(1))  # type: ignore[union-attr]
    copy = _entries(run)[new]
    assert (copy["source"], copy["internet_message_id"], copy["web_link"], copy["subject"]) == (
        "manual", None, None, "Renewal terms")


@pytest.mark.parametrize(("args", "code", "message"), [
    (("999999",), 1, "no interaction log entry #999999"),
    (("{n}", "--date", "2999-01-01"), 1, "is in the future"),
    (("{n}", "--date", "2025-02-30"), 2, "is not a date (YYYY-MM-DD)"),
    (("{n}", "--date", "yesterday"), 2, "is not an ISO 8601 date-time"),
    (("{n}", "--user", "nobody\x00@x"), 1, ""),
])
def test_recreate_refuses_bad_input_and_writes_nothing(
    url: str, run_on: Callable[[str], Run], args: tuple[str, ...], code: int, message: str,
) -> None:  # fmt: skip
    run = run_on(url)
    call = _log(run, "--contact", "CT4")
    before = (_entries(run), _audit(run, "--all"))
    result = run("entries", "recreate", *(a.replace("{n}", str(call)) for a in args))
    assert result.exit_code == code, result.output
    assert message in result.output
    assert (_entries(run), _audit(run, "--all")) == before


def test_audit_lists_the_trail_newest_first(url: str, run_on: Callable[[str], Run],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    run = run_on(url)
    call = _log(run, "--contact", "CT4", "--evaluation", "very_positive")
    _ok(run, "entries", "cancel", str(call), "--reason", "twice")
    _ok(run, "entries", "restore", str(call))
    everything = _audit(run, "--all")
    assert [e["id"] for e in everything] == sorted((e["id"] for e in everything), reverse=True)
    assert {"init", "contacts_import", "log", "cancel", "restore"} <= {
        e["action"] for e in everything}
    assert [e["action"] for e in _audit(run, "--entry", str(call))] == ["restore", "cancel",
                                                                        "log"]
    [cancel] = _audit(run, "--action", "CANCEL")
    assert (cancel["entry_no"], cancel["details"]) == (call, {"reason": "twice"})
    assert cancel["actor"].startswith("cli")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", cancel["at"])
    assert _audit(run, "--limit", "2") == everything[:2]
    assert _audit(run, "--actor", "nobody") == []
    monkeypatch.setenv("COLUMNS", "200")
    table = _ok(run, "audit", "--entry", str(call))
    assert "Audit trail (3, newest first)" in table
    assert '{"reason": "twice"}' in table
    listed = _ok(run, "entries", "list", "--contact", "CT4")
    assert "evaluation" in listed
    assert "very_positive" in listed
    wrong = run("audit", "--limit", "2", "--all")
    assert wrong.exit_code == 2
    assert "--limit and --all: choose one" in wrong.output
