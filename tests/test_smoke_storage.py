from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from storage.contacts import resolve_contact
from storage.entries import EntryFilter, Interaction, cancel_entries, log_interaction, totals
from storage.models import Contact, InteractionGroup, InteractionTemplate


def test_log_and_cancel_leaves_canceled_out_of_totals(db: Session) -> None:
    db.add(InteractionGroup(code="CALLS", description="Calls"))
    db.add(InteractionTemplate(code="CALL", group_code="CALLS", description="Phone call",
                               unit_cost=Decimal("2.50"), unit_duration_min=Decimal(5)))
    jose = Contact(no="CT1", type="person", name="José Pérez", search_name="jose perez")
    db.add(jose)
    db.flush()
    assert resolve_contact(db, "jose perez") is jose
    first = log_interaction(db, jose, Interaction(template_code="CALL"), actor="test")
    second = log_interaction(db, jose, Interaction(template_code="CALL"), actor="test")
    assert second.entry_no > first.entry_no
    cancel_entries(db, [first.entry_no], actor="test")
    t = totals(db, EntryFilter(contact_id=jose.id))
    assert (t.count, t.cost, t.duration_min) == (1, Decimal("2.50"), Decimal(5))
