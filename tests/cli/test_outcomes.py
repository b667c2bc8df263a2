"""Outcomes through the real CLI, on SQLite and PostgreSQL: `log --evaluation --note --cost`,
`entries evaluate`, `entries note` (captured and canceled entries too, all or nothing,
audited), `entries list --evaluation`, and `--company` with the company's persons."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.db import make_engine
from storage.models import AuditEvent
from tests.support.seed import Dataset, EntryRow, seed

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from tests.support.cli import Run


def _ok(run: Run, *args: str) -> str:
    result = run(*args)
    assert result.exit_code == 0, (args, result.output)
    return result.stdout


def _entries(run: Run, *args: str) -> list[dict[str, object]]:
    return json.loads(_ok(run, "entries", "list", "--json", "--all", *args))  # type: ignore[no-any-return]


def _log(run: Run, *args: str) -> int:
    out = _ok(run, "log", "--template", "CALL", *args)
    return int(re.search(r"Logged #(\d+)", out).group(1))  # type: ignore[union-attr]


@pytest.fixture
def url(empty_url: str, files: dict[str, Path], run_on: Callable[[str], Run]) -> Iterator[str]:
    """Contacts (Fabrikam CT1 with José CT2 and Josefina CT3; Anna CT4), the templates, and
    one captured email of José's."""
    run = run_on(empty_url)
    _ok(run, "init")
    _ok(run, "contacts", "import", str(files["contacts"]))
    _ok(run, "templates", "import", str(files["templates"]))
    engine = make_engine(empty_url)
    try:
        seed(engine, Dataset(entries=(EntryRow("CT2", "EMAIL", "alice@contoso.com", "email",
                                               "2025-03-01T09:00", "Renewal terms"),)))
        yield empty_url
    finally:
        engine.dispose()


def _audit(url: str, action: str) -> list[tuple[int | None, str, dict[str, object]]]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            rows = session.execute(sa.select(AuditEvent.entry_no, AuditEvent.actor,
                                             AuditEvent.details)
                                   .where(AuditEvent.action == action).order_by(AuditEvent.id))
            return [(no, actor, json.loads(d) if d else {}) for no, actor, d in rows]
    finally:
        engine.dispose()


def test_log_with_an_outcome_and_a_cost(url: str, run_on: Callable[[str], Run]) -> None:
    run = run_on(url)
    out = _ok(run, "log", "--contact", "CT4", "--template", "CALL", "--failed",
              "--evaluation", "negative", "--note", "no answer\nleft a message",
              "--cost", "0.40")
    assert "cost 0.40, attempt failed, negative." in out
    [entry] = _entries(run, "--contact", "CT4")
    assert (entry["attempt_failed"], entry["evaluation"], entry["note"], entry["cost"]) == (
        True, "negative", "no answer\nleft a message", 0.4)
    plain = _log(run, "--contact", "CT4")
    assert [(e["evaluation"], e["note"], e["cost"]) for e in _entries(run, "--contact", "CT4")
            if e["entry_no"] == plain] == [("", "", 1.25)]  # the template's unit cost


def test_evaluate_and_note_afterwards(url: str, run_on: Callable[[str], Run]) -> None:
    run = run_on(url)
    call = _log(run, "--contact", "CT2", "--note", "asked for a quote")
    [captured] = [e["entry_no"] for e in _entries(run, "--source", "email")]
    assert _ok(run, "entries", "evaluate", str(call), str(captured), "--evaluation",
               "very_positive") == f"Evaluated #{call}, #{captured}: very_positive.\n"
    assert _ok(run, "entries", "note", str(call), "quote sent\nfollow up Friday"
               ) == f"Noted #{call}: its note has 3 lines.\n"
    by_no = {e["entry_no"]: e for e in _entries(run, "--evaluation", "very_positive")}
    assert sorted(by_no) == sorted([call, captured])
    assert by_no[call]["note"] == "asked for a quote\nquote sent\nfollow up Friday"
    evaluated = _audit(url, "evaluate")
    assert [(n, d) for n, _, d in evaluated] == [
        (n, {"evaluation": "very_positive", "previous": ""}) for n in sorted([call, captured])]
    assert [(n, d) for n, _, d in _audit(url, "note")] == [
        (call, {"note": "quote sent\nfollow up Friday"})]
    assert {actor.split(":")[0] for _, actor, _ in evaluated + _audit(url, "note")} == {"cli"}


def test_a_canceled_entry_can_be_evaluated_and_noted(url: str,
                                                     run_on: Callable[[str], Run]) -> None:
    run = run_on(url)
    call = _log(run, "--contact", "CT3")
    _ok(run, "entries", "cancel", str(call), "--reason", "logged twice")
    _ok(run, "entries", "evaluate", str(call), "--evaluation", "neutral")
    _ok(run, "entries", "note", str(call), "the other one counts")
    [entry] = _entries(run, "--contact", "CT3")
    assert (entry["canceled"], entry["evaluation"], entry["note"]) == (
        True, "neutral", "the other one counts")


@pytest.mark.parametrize(("args", "code", "message"), [
    (("evaluate", "{n}", "999999", "--evaluation", "positive"), 1, "#999999"),
    (("evaluate", "{n}", "--evaluation", "great"), 2, "'great' is not one of"),
    (("evaluate", "{n}"), 2, "--evaluation"),
    (("note", "{n}", "  \n  "), 1, "note is empty"),
    (("note", "{n}", "x" * 251), 1, "longer than 250"),
    (("note", "999999", "hello"), 1, "#999999"),
])
def test_bad_input_is_refused_and_changes_nothing(url: str, run_on: Callable[[str], Run],
                                                  args: tuple[str, ...], code: int,
                                                  message: str) -> None:
    run = run_on(url)
    n = _log(run, "--contact", "CT2")
    before = _entries(run)
    result = run("entries", *(a.format(n=n) for a in args))
    assert result.exit_code == code, result.output
    assert message in result.output
    assert _entries(run) == before
    assert _audit(url, "evaluate") == _audit(url, "note") == []


def test_list_by_evaluation_and_a_company_with_its_persons(url: str,
                                                           run_on: Callable[[str], Run]
                                                           ) -> None:
    run = run_on(url)
    own = _log(run, "--contact", "CT1", "--evaluation", "positive")
    jose = _log(run, "--contact", "CT2", "--evaluation", "positive")
    _log(run, "--contact", "CT4", "--evaluation", "positive")  # Anna has no company
    josefina = _log(run, "--contact", "CT3")
    [captured] = [e["entry_no"] for e in _entries(run, "--source", "email")]  # José's
    assert {e["entry_no"] for e in _entries(run, "--company", "Fabrikam", "--evaluation",
                                            "positive")} == {own, jose}
    assert {e["entry_no"] for e in _entries(run, "--company", "CT1")} == {
        own, jose, josefina, captured}
    bad = run("entries", "list", "--evaluation", "meh")
    assert bad.exit_code == 1
    assert "--evaluation: 'meh' is not one of" in bad.output
