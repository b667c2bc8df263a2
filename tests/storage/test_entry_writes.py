"""The one home of entry writes: insert_entries, move_meetings, cancel_where, restore_where,
delete_canceled, and their audit (one row per entry change, one INSERT per set)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.entries import EntryFilter, Interaction, entry_row, get_template, log_interaction
from storage.entry_writes import (
    MeetingMove,
    NewEntry,
    cancel_where,
    delete_canceled,
    insert_entries,
    insert_entry,
    move_meetings,
    restore_where,
)
from storage.models import AuditEvent, Contact, InteractionLogEntry
from storage.segments import create_segment, log_segment, set_segment_canceled

if TYPE_CHECKING:
    from tests.support.world import World

AT = datetime(2025, 3, 14, 15, 30, tzinfo=UTC).replace(tzinfo=None)  # naive UTC, as stored
E = InteractionLogEntry


def _row(db: Session, contact: Contact, *, template: str = "CALL", **fields: Any) -> NewEntry:
    row = entry_row(contact, Interaction(template_code=template, occurred_at=AT),
                    get_template(db, template), "")
    row.update(fields)  # type: ignore[typeddict-item]
    return row


def _audit(db: Session, *actions: str) -> list[tuple[str, int | None, str, str]]:
    """(action, entry_no, actor, details) of the audit rows with these actions, in order."""
    query = sa.select(AuditEvent.action, AuditEvent.entry_no, AuditEvent.actor,
                      AuditEvent.details).order_by(AuditEvent.id)
    return [tuple(r) for r in db.execute(query.where(AuditEvent.action.in_(actions)))]  # type: ignore[misc]


@contextmanager
def _inserts(db: Session) -> Iterator[list[str]]:
    """The tables of the INSERT statements sent to the database inside the block."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        head, _, table = statement.partition("INSERT INTO ")  # after a WITH: its CTEs
        if table and (not head.strip() or head.lstrip().upper().startswith("WITH")):
            seen.append(table.split()[0].strip('"'))

    connection = db.connection()
    sa.event.listen(connection, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        sa.event.remove(connection, "before_cursor_execute", note)


def test_insert_entries_writes_the_rows_in_order_with_one_log_row_each(
    db: Session, world: World
) -> None:
    rows = [_row(db, c, subject=f"call {i}", document_no=f"D{i}")
            for i, c in enumerate((world.jose, world.anna, world.fabrikam))]

    entry_nos = insert_entries(db, rows, actor="cli:tester")

    assert entry_nos == sorted(entry_nos)
    assert len(set(entry_nos)) == 3
    entries = [db.get(E, n) for n in entry_nos]
    assert [(e.contact_no, e.subject, e.document_no, e.canceled, e.evaluation)
            for e in entries if e is not None] == [
        ("CT2", "call 0", "D0", False, ""), ("CT4", "call 1", "D1", False, ""),
        ("CT1", "call 2", "D2", False, "")]
    assert _audit(db, "log") == [("log", n, "cli:tester", "") for n in entry_nos]


def test_insert_entries_skips_a_captured_row_already_logged_for_its_contact(
    db: Session, world: World
) -> None:
    mail = {"source": "email", "internet_message_id": "<m1@fabrikam.com>"}
    [first] = insert_entries(db, [_row(db, world.jose, **mail)], actor="sync:a@contoso.com")

    again = insert_entries(db, [_row(db, world.jose, **mail), _row(db, world.anna, **mail)],
                           actor="sync:b@contoso.com")

    assert len(again) == 1
    assert again[0] > first
    count = sa.select(sa.func.count()).where(E.internet_message_id == "<m1@fabrikam.com>")
    assert db.scalar(count) == 2
    assert [(a, n, who) for a, n, who, _ in _audit(db, "log")] == [
        ("log", first, "sync:a@contoso.com"), ("log", again[0], "sync:b@contoso.com")]


def test_a_set_of_entries_costs_one_insert_and_one_audit_insert(
    db: Session, world: World
) -> None:
    rows = [_row(db, world.anna, subject=f"s{i}") for i in range(40)]
    with _inserts(db) as seen:
        entry_nos = insert_entries(db, rows, actor="test")
    totals = ["entry_day_totals"]  # one upsert for every grain (storage/aggregates.py)
    assert seen == ["interaction_log_entries", "audit_events", *totals]
    assert len(_audit(db, "log")) == len(entry_nos) == 40

    with _inserts(db) as seen:
        cancel_where(db, E.entry_no.in_(entry_nos), actor="test", reason="duplicate")
    assert seen == ["audit_events", *totals]

    assert insert_entries(db, [], actor="test") == []


def test_one_entry_comes_back_as_written_without_being_read_back(
    db: Session, world: World
) -> None:
    row = _row(db, world.anna, subject="renewal")
    statements: list[str] = []
    connection = db.connection()

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement.lstrip().split()[0].upper())

    sa.event.listen(connection, "before_cursor_execute", note)
    try:
        entry = insert_entry(db, row, actor="test")
    finally:
        sa.event.remove(connection, "before_cursor_execute", note)
    # the entry, its audit row and its totals (one upsert for every grain, its CTE first);
    # no SELECT
    assert statements == ["INSERT", "INSERT", "WITH"]
    assert entry in db  # the session's own object from now on
    written = {c.name: getattr(entry, c.name) for c in E.__table__.columns}
    db.expire(entry)
    read = {c.name: getattr(entry, c.name) for c in E.__table__.columns}
    assert written == read
    assert (read["subject"], read["canceled"], read["contact_no"]) == (
        "renewal", False, world.anna.no)


def test_more_rows_than_one_statement_binds_all_get_numbers(db: Session, world: World) -> None:
    rows = [_row(db, world.jose, ical_uid=f"uid-{i}", source="meeting") for i in range(1500)]

    entry_nos = insert_entries(db, rows, actor="test")

    assert len(entry_nos) == len(set(entry_nos)) == 1500
    assert entry_nos == sorted(entry_nos)
    assert len(_audit(db, "log")) == 1500


def test_cancel_where_cancels_the_active_ones_with_the_reason_audited_per_entry(
    db: Session, world: World
) -> None:
    a, b, c = insert_entries(db, [_row(db, world.jose), _row(db, world.jose),
                                  _row(db, world.anna)], actor="test")
    loaded = db.get(E, a)
    assert loaded is not None
    assert not loaded.canceled
    assert cancel_where(db, E.entry_no == b, actor="test", reason="first") == [b]

    done = cancel_where(db, E.contact_id == world.jose.id, actor="teams:1 Ann",
                        reason="meeting canceled in Outlook")

    assert done == [a]  # b was canceled already and keeps its reason
    assert loaded.canceled
    assert loaded.canceled_reason == "meeting canceled in Outlook"
    reasons = {no: why for no, why in db.execute(sa.select(E.entry_no, E.canceled_reason))}
    assert (reasons[b], reasons[c]) == ("first", None)
    assert _audit(db, "cancel") == [
        ("cancel", b, "test", '{"reason": "first"}'),
        ("cancel", a, "teams:1 Ann", '{"reason": "meeting canceled in Outlook"}')]


def test_restore_where_clears_the_flag_of_the_canceled_ones_only(
    db: Session, world: World
) -> None:
    a, b = insert_entries(db, [_row(db, world.anna), _row(db, world.anna)], actor="test")
    cancel_where(db, E.entry_no == a, actor="test", reason="oops")

    assert restore_where(db, E.entry_no.in_([a, b]), actor="web:ann") == [a]

    entry = db.get(E, a)
    assert entry is not None
    assert (entry.canceled, entry.canceled_reason) == (False, None)
    assert _audit(db, "restore") == [("restore", a, "web:ann", "")]


def test_move_meetings_moves_the_entries_and_audits_each_move(
    db: Session, world: World
) -> None:
    meeting = {"source": "meeting", "ical_uid": "uid-1", "duration_min": Decimal(30)}
    a, b = insert_entries(db, [_row(db, world.jose, **meeting), _row(db, world.anna, **meeting)],
                          actor="sync:a@contoso.com")
    later = AT + timedelta(days=1)

    moved = move_meetings(db, [MeetingMove(b, later, Decimal(90), "Review (moved)"),
                               MeetingMove(a, later, Decimal(90), "Review (moved)")],
                          actor="sync:a@contoso.com")

    assert moved == [a, b]
    db.expire_all()
    rows = db.execute(sa.select(E.entry_no, E.occurred_at, E.duration_min, E.subject, E.ical_uid)
                      .order_by(E.entry_no)).all()
    assert [tuple(r) for r in rows] == [(a, later, Decimal(90), "Review (moved)", "uid-1"),
                                        (b, later, Decimal(90), "Review (moved)", "uid-1")]
    audits = _audit(db, "move")
    assert [(n, who) for _, n, who, _ in audits] == [(a, "sync:a@contoso.com"),
                                                    (b, "sync:a@contoso.com")]
    assert json.loads(audits[0][3]) == {"occurred_at": later.isoformat(), "duration_min": "90",
                                        "subject": "Review (moved)"}
    assert move_meetings(db, [], actor="test") == []


def test_a_deleted_entry_keeps_its_contact_and_template_in_its_delete_row(
    db: Session, world: World
) -> None:
    [entry_no] = insert_entries(db, [_row(db, world.anna, template="MEETING")], actor="test")
    cancel_where(db, E.entry_no == entry_no, actor="test", reason=None)

    assert delete_canceled(db, EntryFilter(), actor="cli:admin") == [entry_no]

    assert db.get(E, entry_no) is None
    [(_, no, who, details)] = _audit(db, "delete")
    assert (no, who, json.loads(details)) == (
        entry_no, "cli:admin", {"contact_no": "CT4", "template": "MEETING"})


def test_every_surface_writes_the_same_audit_shape(db: Session, world: World) -> None:
    entry = log_interaction(db, world.jose, Interaction(template_code="CALL"), actor="api:erp")
    create_segment(db, "S1", [world.anna, world.anna_b])
    log_segment(db, "S1", Interaction(template_code="CALL"), actor="cli:admin")
    set_segment_canceled(db, "S1", True, actor="cli:admin")

    segment_nos = sorted(db.scalars(sa.select(E.entry_no).where(E.segment_no == "S1")))
    assert [(a, n, who) for a, n, who, _ in _audit(db, "log", "cancel")] == [
        ("log", entry.entry_no, "api:erp"),
        *(("log", n, "cli:admin") for n in segment_nos),
        *(("cancel", n, "cli:admin") for n in segment_nos)]
    cancels = {d for a, _, _, d in _audit(db, "cancel")}
    assert [json.loads(d) for d in cancels] == [
        {"reason": "segment S1 canceled", "segment": "S1"}]
    at = db.scalars(sa.select(AuditEvent.at).where(AuditEvent.entry_no.in_(segment_nos)))
    assert all(isinstance(when, datetime) for when in at)
