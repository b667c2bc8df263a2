"""Outcomes (evaluation, note lines, cost given) and a company's entries (NAV's roll-up)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.entries import (
    EntryFilter,
    Interaction,
    cancel_entries,
    entries_of,
    entry_to_json,
    evaluate_entries,
    log_interaction,
    note_entries,
    query_entries,
    totals,
)
from storage.errors import NotFound, Refused
from storage.models import AuditEvent, InteractionLogEntry
from storage.outcomes import MAX_NOTE_LINES
from storage.values import BadValue

if TYPE_CHECKING:
    from storage.models import Contact
    from tests.support.world import World


def _log(db: Session, contact: Contact, **kw: object) -> InteractionLogEntry:
    return log_interaction(db, contact, Interaction(template_code="CALL", **kw),  # type: ignore[arg-type]
                           actor="test")


def _audit(db: Session, action: str) -> list[tuple[int | None, str, dict[str, object]]]:
    rows = db.execute(sa.select(AuditEvent.entry_no, AuditEvent.actor, AuditEvent.details)
                      .where(AuditEvent.action == action).order_by(AuditEvent.id)).all()
    return [(no, actor, json.loads(details) if details else {}) for no, actor, details in rows]


def test_logged_with_its_outcome_and_a_given_cost(db: Session, world: World) -> None:
    entry = _log(db, world.jose, evaluation="positive", note="called back\n\n  agreed  ",
                 attempt_failed=True, cost=Decimal("12.5"))
    db.flush()
    db.expire_all()
    row = entry_to_json(db.get(InteractionLogEntry, entry.entry_no))  # type: ignore[arg-type]
    assert (row["evaluation"], row["note"], row["attempt_failed"], row["cost"]) == (
        "positive", "called back\nagreed", True, 12.5)


def test_evaluate_afterwards_is_audited_with_the_previous_value(db: Session,
                                                                 world: World) -> None:
    a, b = _log(db, world.jose), _log(db, world.anna, evaluation="negative")
    evaluate_entries(db, [a.entry_no, b.entry_no], "very_positive", actor="cli:ana")
    evaluate_entries(db, [a.entry_no], "very_positive", actor="cli:ana")  # unchanged: no row
    db.flush()
    assert [db.get(InteractionLogEntry, n).evaluation for n in (a.entry_no, b.entry_no)] == [  # type: ignore[union-attr]
        "very_positive", "very_positive"]
    assert _audit(db, "evaluate") == [
        (a.entry_no, "cli:ana", {"evaluation": "very_positive", "previous": ""}),
        (b.entry_no, "cli:ana", {"evaluation": "very_positive", "previous": "negative"})]


def test_canceled_entries_can_be_evaluated_and_noted(db: Session, world: World) -> None:
    entry = _log(db, world.jose)
    cancel_entries(db, [entry.entry_no], actor="test", reason="wrong contact")
    evaluate_entries(db, [entry.entry_no], "neutral", actor="test")
    note_entries(db, [entry.entry_no], "kept for the record", actor="test")
    db.flush()
    db.expire_all()
    again = db.get(InteractionLogEntry, entry.entry_no)
    assert again is not None
    assert (again.canceled, again.evaluation, again.note) == (True, "neutral",
                                                              "kept for the record")


def test_notes_append_lines(db: Session, world: World) -> None:
    entry = _log(db, world.jose, note="first")
    note_entries(db, [entry.entry_no], "second\r\nthird", actor="teams:ana")
    db.flush()
    db.expire_all()
    assert db.get(InteractionLogEntry, entry.entry_no).note == "first\nsecond\nthird"  # type: ignore[union-attr]
    assert _audit(db, "note") == [(entry.entry_no, "teams:ana", {"note": "second\nthird"})]


@pytest.mark.parametrize(("evaluation", "note", "field"), [
    ("great", None, "evaluation"),
    ("positive", " \n ", "note"),
    ("positive", "x" * 251, "note"),
    ("positive", "bell\x07", "note"),
    ("positive", "nul\x00", "note"),
])
def test_bad_outcomes_write_nothing(db: Session, world: World, evaluation: str,
                                    note: str | None, field: str) -> None:
    with pytest.raises(BadValue) as info:
        _log(db, world.jose, evaluation=evaluation, note=note)
    assert info.value.field == field
    assert db.scalar(sa.select(sa.func.count()).select_from(InteractionLogEntry)) == 0


def test_evaluate_and_note_are_all_or_nothing(db: Session, world: World) -> None:
    mine = _log(db, world.jose, user_upn="ana@contoso.com")
    theirs = _log(db, world.jose, user_upn="bo@contoso.com")
    db.flush()
    with pytest.raises(NotFound, match="#999"):
        evaluate_entries(db, [mine.entry_no, 999], "positive", actor="test")
    with pytest.raises(Refused, match=f"#{theirs.entry_no} is not yours"):
        note_entries(db, [mine.entry_no, theirs.entry_no], "hi", actor="test",
                     owner_upn="ana@contoso.com")
    with pytest.raises(BadValue, match="evaluation ''"):
        evaluate_entries(db, [mine.entry_no], "", actor="test")  # only the five values
    assert {(e.evaluation, e.note) for e in query_entries(db, EntryFilter())} == {("", "")}
    assert _audit(db, "evaluate") == _audit(db, "note") == []


def test_a_note_has_at_most_its_lines(db: Session, world: World) -> None:
    entry = _log(db, world.jose, note="\n".join(["line"] * (MAX_NOTE_LINES - 1)))
    note_entries(db, [entry.entry_no], "the last one", actor="test")
    with pytest.raises(BadValue, match="100 lines at most"):
        note_entries(db, [entry.entry_no], "one too many", actor="test")


def test_evaluation_filter(db: Session, world: World) -> None:
    good, _none = _log(db, world.jose, evaluation="positive"), _log(db, world.jose)
    assert [e.entry_no for e in query_entries(db, EntryFilter(evaluation="positive"))] == [
        good.entry_no]
    assert [e.entry_no for e in query_entries(db, EntryFilter(evaluation=""))] == [
        _none.entry_no]


def test_a_company_rolls_up_its_persons(db: Session, world: World) -> None:
    own = _log(db, world.fabrikam, cost=Decimal(1))
    jose = _log(db, world.jose, cost=Decimal(2))
    josefina = _log(db, world.josefina, cost=Decimal(4))
    canceled = _log(db, world.jose, cost=Decimal(8))
    _other = _log(db, world.anna, cost=Decimal(16))
    cancel_entries(db, [canceled.entry_no], actor="test")
    company = EntryFilter(company_no="CT1")
    assert [e.entry_no for e in query_entries(db, company)] == [
        own.entry_no, jose.entry_no, josefina.entry_no, canceled.entry_no]
    assert totals(db, company).cost == Decimal(7)  # canceled left out
    assert entries_of(world.fabrikam, status="active") == EntryFilter(company_no="CT1",
                                                                      status="active")
    assert entries_of(world.jose) == EntryFilter(contact_id=world.jose.id)
    assert [e.entry_no for e in query_entries(db, entries_of(world.jose))] == [
        jose.entry_no, canceled.entry_no]
