"""NAV rules of the interaction log: defaults, numbering, cancel, restore, totals, delete."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.entries import (
    EntryFilter,
    Interaction,
    cancel_entries,
    delete_canceled,
    log_interaction,
    query_entries,
    restore_entries,
    totals,
)
from storage.errors import InterlogError, NotFound, Refused
from storage.models import AuditEvent, InteractionLogEntry, InteractionTemplate, User

if TYPE_CHECKING:
    from tests.support.world import World


def naive(*parts: int) -> datetime:
    """A naive UTC datetime, as the tables store them."""
    return datetime(*parts, tzinfo=UTC).replace(tzinfo=None)  # type: ignore[misc]


def _call(db: Session, world: World, **kw: object) -> InteractionLogEntry:
    return log_interaction(db, kw.pop("contact", world.jose),  # type: ignore[arg-type]
                           Interaction(template_code="CALL", **kw),  # type: ignore[arg-type]
                           actor="test")


def test_template_defaults_are_copied(db: Session, world: World) -> None:
    call = db.get(InteractionTemplate, "CALL")
    assert call is not None
    call.unit_cost, call.initiated_by = Decimal("2.50"), "them"
    entry = _call(db, world)
    assert (entry.group_code, entry.information_flow, entry.initiated_by) == (
        "CALLS", "outbound", "them")
    assert (entry.duration_min, entry.cost, entry.subject) == (
        Decimal(5), Decimal("2.50"), "Phone call")
    assert (entry.contact_no, entry.contact_company_no, entry.contact_name) == (
        "CT2", "CT1", "José Pérez")
    assert entry.source == "manual"
    assert not entry.canceled


def test_explicit_values_win_over_the_template(db: Session, world: World) -> None:
    db.add(User(upn="alice@contoso.com", salesperson_code="AL"))
    at = naive(2025, 3, 14, 15, 30)
    entry = _call(db, world, subject="renewal", duration_min=Decimal(15), cost=Decimal(0),
                  information_flow="inbound", initiated_by="them", attempt_failed=True,
                  occurred_at=at, user_upn="Alice@Contoso.com")
    db.expire_all()
    stored = db.get(InteractionLogEntry, entry.entry_no)
    assert stored is not None
    assert (stored.subject, stored.duration_min, stored.information_flow, stored.initiated_by) == (
        "renewal", Decimal(15), "inbound", "them")
    assert (stored.attempt_failed, stored.occurred_at, stored.user_upn) == (
        True, at, "alice@contoso.com")
    assert stored.salesperson_code == "AL"


def test_bad_interaction_values_are_refused(db: Session, world: World) -> None:
    with pytest.raises(InterlogError, match="information flow 'sideways'"):
        _call(db, world, information_flow="sideways")
    with pytest.raises(InterlogError, match="duration -1"):
        _call(db, world, duration_min=Decimal(-1))
    with pytest.raises(NotFound, match="no interaction template 'nope'"):
        log_interaction(db, world.jose, Interaction(template_code="nope"), actor="t")


def test_entry_numbers_increase_and_are_never_reused(db: Session, world: World) -> None:
    first, second = _call(db, world), _call(db, world)
    assert second.entry_no > first.entry_no
    cancel_entries(db, [second.entry_no], actor="t")
    assert delete_canceled(db, EntryFilter(), actor="t") == [second.entry_no]
    third = _call(db, world)
    assert third.entry_no > second.entry_no


def test_cancel_and_restore_are_all_or_nothing(db: Session, world: World) -> None:
    a, b = _call(db, world), _call(db, world)
    with pytest.raises(NotFound, match=f"#{b.entry_no + 1000}"):
        cancel_entries(db, [a.entry_no, b.entry_no + 1000], actor="t")
    assert not a.canceled
    cancel_entries(db, [a.entry_no, b.entry_no], actor="t", reason="duplicate")
    assert a.canceled
    assert b.canceled
    assert a.canceled_reason == "duplicate"
    with pytest.raises(NotFound):
        restore_entries(db, [a.entry_no, 999999], actor="t")
    assert a.canceled
    restore_entries(db, [a.entry_no], actor="t")
    assert not a.canceled
    assert a.canceled_reason is None
    assert b.canceled
    actions = db.scalars(sa.select(AuditEvent.action).where(
        AuditEvent.entry_no == a.entry_no).order_by(AuditEvent.id)).all()
    assert actions == ["log", "cancel", "restore"]


def test_owner_may_only_cancel_own_entries(db: Session, world: World) -> None:
    mine = _call(db, world, user_upn="bob@contoso.com")
    theirs = _call(db, world, user_upn="alice@contoso.com")
    with pytest.raises(Refused, match=f"#{theirs.entry_no} is not yours"):
        cancel_entries(db, [mine.entry_no, theirs.entry_no], actor="t",
                       owner_upn="Bob@contoso.com")
    assert not mine.canceled
    cancel_entries(db, [mine.entry_no], actor="t", owner_upn="bob@contoso.com")
    assert mine.canceled


def test_totals_leave_canceled_entries_out(db: Session, world: World) -> None:
    _call(db, world, duration_min=Decimal(10), cost=Decimal("1.25"))
    gone = _call(db, world, duration_min=Decimal(100), cost=Decimal(50))
    _call(db, world, contact=world.anna, duration_min=Decimal(7))
    cancel_entries(db, [gone.entry_no], actor="t")
    jose = totals(db, EntryFilter(contact_id=world.jose.id))
    assert (jose.count, jose.duration_min, jose.cost) == (1, Decimal(10), Decimal("1.25"))
    everyone = totals(db, EntryFilter())
    assert (everyone.count, everyone.duration_min) == (2, Decimal(17))
    assert len(query_entries(db, EntryFilter(status="canceled"))) == 1


def test_delete_canceled_only_deletes_canceled_and_honours_filters(
    db: Session, world: World
) -> None:
    old = _call(db, world, occurred_at=naive(2024, 1, 10, 9))
    new = _call(db, world, occurred_at=naive(2025, 6, 1, 9))
    anna = _call(db, world, contact=world.anna, occurred_at=naive(2024, 1, 10, 9))
    active = _call(db, world, occurred_at=naive(2024, 1, 10, 9))
    cancel_entries(db, [old.entry_no, new.entry_no, anna.entry_no], actor="t")
    jose_old = EntryFilter(contact_id=world.jose.id, until=date(2024, 12, 31))
    assert delete_canceled(db, jose_old, actor="t", dry_run=True) == [old.entry_no]
    assert db.get(InteractionLogEntry, old.entry_no) is not None  # dry run deleted nothing
    assert delete_canceled(db, jose_old, actor="t") == [old.entry_no]
    assert delete_canceled(db, EntryFilter(template_code="EMAIL"), actor="t") == []
    assert delete_canceled(db, EntryFilter(status="active"), actor="t") == [
        new.entry_no, anna.entry_no]
    left = [e.entry_no for e in query_entries(db, EntryFilter())]
    assert left == [active.entry_no]
    deleted = db.scalars(sa.select(AuditEvent.entry_no).where(AuditEvent.action == "delete"))
    assert sorted(deleted) == sorted([old.entry_no, new.entry_no, anna.entry_no])


def test_query_filters(db: Session, world: World) -> None:
    _call(db, world, occurred_at=naive(2025, 1, 1, 23, 59))
    _call(db, world, contact=world.josefina, occurred_at=naive(2025, 1, 2))
    by_company = query_entries(db, EntryFilter(company_no="CT1"))
    assert len(by_company) == 2
    day = EntryFilter(since=date(2025, 1, 1), until=date(2025, 1, 1))
    assert [e.contact_no for e in query_entries(db, day)] == ["CT2"]
    with pytest.raises(InterlogError, match="status 'open'"):
        query_entries(db, EntryFilter(status="open"))
