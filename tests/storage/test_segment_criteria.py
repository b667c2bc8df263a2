"""Segments from criteria (NAV's Add Contacts / Reduce Contacts): the persons of a company,
an email domain, interacted with in a period, a filter of the log; idempotent adding;
the counts cancel and restore report; deleting a segment, logged or not."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from storage.entries import (
    EntryFilter,
    Interaction,
    cancel_entries,
    delete_canceled,
    log_interaction,
    query_entries,
    restore_entries,
)
from storage.errors import InterlogError, NotFound, Refused
from storage.models import AuditEvent, LoggedSegment, Segment
from storage.segment_criteria import ContactCriteria, check_domain
from storage.segments import (
    add_contacts,
    create_segment,
    delete_segment,
    log_segment,
    reduce_contacts,
    segment_contacts,
    segment_rows,
    set_segment_canceled,
)
from tests.support.world import make_world

if TYPE_CHECKING:
    from tests.support.world import World


def _nos(db: Session, no: str = "S") -> list[str]:
    return sorted(c.no for c in segment_contacts(db, no))


def _log(db: Session, contact: object, template: str, day: str) -> int:
    at = datetime.fromisoformat(day + "T10:00")
    entry = log_interaction(db, contact, Interaction(template_code=template, occurred_at=at),  # type: ignore[arg-type]
                            actor="t")
    return entry.entry_no


def test_persons_of_a_company_are_added_once(db: Session, world: World) -> None:
    create_segment(db, "S", [world.jose])
    change = add_contacts(db, "s", ContactCriteria(company_id=world.fabrikam.id), actor="t")
    assert (change.changed, change.unchanged, change.contacts) == (1, 1, 2)
    assert _nos(db) == ["CT2", "CT3"]  # the persons, not the company itself
    again = add_contacts(db, "S", ContactCriteria(company_id=world.fabrikam.id), actor="t")
    assert (again.changed, again.unchanged, again.contacts) == (0, 2, 2)
    assert _nos(db) == ["CT2", "CT3"]


def test_domain_matches_every_address_exactly(db: Session, world: World) -> None:
    create_segment(db, "S", [])
    change = add_contacts(db, "S", ContactCriteria(domain=check_domain("@Example.ORG")),
                          actor="t")
    assert change.changed == 2
    assert _nos(db) == ["CT4", "CT5"]
    add_contacts(db, "S", ContactCriteria(domain=check_domain("gmail.com")), actor="t")
    assert _nos(db) == ["CT2", "CT4", "CT5"]  # José's second address
    assert add_contacts(db, "S", ContactCriteria(domain="mple.org"), actor="t").changed == 0
    assert add_contacts(db, "S", ContactCriteria(domain="_xample.org"), actor="t").changed == 0
    for bad in ("", "@", "not a domain", "a@b.com", "fabrikam.com\x00"):
        with pytest.raises(InterlogError, match="is not an email domain"):
            check_domain(bad)


def test_interacted_with_in_a_period_of_a_template(db: Session, world: World) -> None:
    _log(db, world.jose, "CALL", "2025-01-10")
    _log(db, world.anna, "EMAIL", "2025-01-20")
    canceled = _log(db, world.anna_b, "CALL", "2025-01-15")
    _log(db, world.josefina, "CALL", "2025-03-01")
    cancel_entries(db, [canceled], actor="t")
    create_segment(db, "S", [])
    january = EntryFilter(status="active", since=date(2025, 1, 1), until=date(2025, 1, 31))
    add_contacts(db, "S", ContactCriteria(entries=january), actor="t")
    assert _nos(db) == ["CT2", "CT4"]  # the canceled call does not count
    create_segment(db, "T", [])
    calls = EntryFilter(status="active", since=date(2025, 1, 1), template_code="call")
    add_contacts(db, "T", ContactCriteria(entries=calls), actor="t")
    assert _nos(db, "T") == ["CT2", "CT3"]


def test_criteria_together_all_hold_and_reduce_removes(db: Session, world: World) -> None:
    _log(db, world.jose, "CALL", "2025-01-10")
    _log(db, world.anna, "CALL", "2025-01-10")
    create_segment(db, "S", [])
    both = ContactCriteria(company_id=world.fabrikam.id, entries=EntryFilter(template_code="CALL"))
    assert add_contacts(db, "S", both, actor="t").changed == 1
    assert _nos(db) == ["CT2"]
    add_contacts(db, "S", ContactCriteria(contact_ids=(world.anna.id, world.anna_b.id)),
                 actor="t")
    change = reduce_contacts(db, "S", ContactCriteria(domain="example.org"), actor="t")
    assert (change.changed, change.unchanged, change.contacts) == (2, 0, 1)
    assert _nos(db) == ["CT2"]
    with pytest.raises(InterlogError, match="at least one criterion"):
        add_contacts(db, "S", ContactCriteria(), actor="t")
    with pytest.raises(NotFound, match="no segment 'NOPE'"):
        add_contacts(db, "NOPE", both, actor="t")
    actions = list(db.scalars(sa.select(AuditEvent.details).where(
        AuditEvent.action.in_(["segment_add", "segment_reduce"])).order_by(AuditEvent.id)))
    assert len(actions) == 3
    assert actions[2] == '{"changed": 2, "segment": "S"}'


def test_a_logged_segment_keeps_its_contacts(db: Session, world: World) -> None:
    create_segment(db, "S", [world.anna])
    log_segment(db, "S", Interaction(template_code="EMAIL"), actor="t")
    for change in (add_contacts, reduce_contacts):
        with pytest.raises(Refused, match="S is logged already"):
            change(db, "S", ContactCriteria(company_id=world.fabrikam.id), actor="t")
    assert _nos(db) == ["CT4"]


def test_restore_reports_what_it_restored_not_what_was_logged(
    db: Session, world: World
) -> None:
    create_segment(db, "S", [world.jose, world.josefina, world.anna])
    log_segment(db, "S", Interaction(template_code="EMAIL"), actor="t")
    first = next(e.entry_no for e in query_entries(db, EntryFilter()))
    cancel_entries(db, [first], actor="t")
    canceled = set_segment_canceled(db, "S", True, actor="t")
    assert (len(canceled.changed), canceled.unchanged, canceled.deleted) == (2, 1, 0)
    delete_canceled(db, EntryFilter(), actor="t", only=[first])
    restored = set_segment_canceled(db, "S", False, actor="t")
    assert (len(restored.changed), restored.unchanged, restored.deleted) == (2, 0, 1)
    assert restored.logged.entry_count == 3
    [row] = segment_rows(db)
    assert (row.contacts, row.entries, row.logged is not None) == (3, 2, True)


def test_delete_segments_keeps_the_entries_of_a_canceled_logged_one(
    db: Session, world: World
) -> None:
    create_segment(db, "DRAFT", [world.anna])
    assert delete_segment(db, "draft", actor="t") == 0
    assert db.get(Segment, "DRAFT") is None
    create_segment(db, "S", [world.jose, world.anna])
    log_segment(db, "S", Interaction(template_code="EMAIL"), actor="t")
    with pytest.raises(Refused, match="cancel it first"):
        delete_segment(db, "S", actor="t")
    set_segment_canceled(db, "S", True, actor="t")
    assert delete_segment(db, "S", actor="t") == 2
    assert db.scalar(sa.select(sa.func.count()).select_from(LoggedSegment)) == 0
    entries = query_entries(db, EntryFilter())
    assert [(e.canceled, e.segment_no, e.logged_segment_id) for e in entries] == [
        (True, "S", None), (True, "S", None)]
    restore_entries(db, [entries[0].entry_no], actor="t")  # on its own, now
    assert [e.canceled for e in query_entries(db, EntryFilter())] == [False, True]
    assert segment_rows(db) == []
    with pytest.raises(NotFound):
        delete_segment(db, "S", actor="t")


def test_bad_segment_numbers_and_descriptions_write_nothing(db: Session, world: World) -> None:
    for no, problem in (("A/../B", "segment number"), ("X\x01", "segment number")):
        with pytest.raises(InterlogError, match=problem):
            create_segment(db, no, [world.anna])
    with pytest.raises(InterlogError, match="description"):
        create_segment(db, "OK", [world.anna], description="bad\x00")
    assert db.scalar(sa.select(sa.func.count()).select_from(Segment)) == 0


def test_adding_holds_the_segment_until_commit_on_postgresql(clean_pg_engine: Engine) -> None:
    """While one transaction adds contacts, another cannot log (nor add to) the segment: it
    waits for the row lock (here it gives up at once), so a segment is never logged with
    contacts that a concurrent add is still writing."""
    with Session(clean_pg_engine) as setup, setup.begin():
        world = make_world(setup)
        create_segment(setup, "S", [world.anna])
        fabrikam = world.fabrikam.id
    with Session(clean_pg_engine) as adder, Session(clean_pg_engine) as logger:
        adder.begin()
        add_contacts(adder, "S", ContactCriteria(company_id=fabrikam), actor="a")
        logger.begin()
        logger.execute(sa.text("SET LOCAL lock_timeout = '50ms'"))
        with pytest.raises(OperationalError, match="lock timeout"):
            log_segment(logger, "S", Interaction(template_code="EMAIL"), actor="b")
        logger.rollback()
        adder.commit()
        logged = log_segment(logger, "S", Interaction(template_code="EMAIL"), actor="b")
        count = logged.entry_count
        logger.commit()
    assert count == 3  # Anna, and the two persons the add committed
