"""NAV Log Segment: one entry per contact, once; the logged segment cancel cascade."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.entries import EntryFilter, Interaction, cancel_entries, query_entries, restore_entries
from storage.errors import NotFound, Refused
from storage.models import LoggedSegment
from storage.segments import create_segment, list_segments, log_segment, set_segment_canceled

if TYPE_CHECKING:
    from tests.support.world import World


def _logged(db: Session, world: World) -> LoggedSegment:
    create_segment(db, "s-1", [world.jose, world.anna, world.jose], description="Spring")
    return log_segment(db, "S-1", Interaction(template_code="EMAIL", subject="Offer"), actor="t")


def test_log_segment_gives_one_entry_per_contact(db: Session, world: World) -> None:
    logged = _logged(db, world)
    entries = query_entries(db, EntryFilter())
    assert sorted(e.contact_no for e in entries) == ["CT2", "CT4"]
    assert logged.entry_count == 2
    assert {(e.segment_no, e.logged_segment_id, e.source, e.subject) for e in entries} == {
        ("S-1", logged.id, "segment", "Offer")}
    assert [(s.no, lg is not None) for s, lg in list_segments(db)] == [("S-1", True)]


def test_log_segment_refused_twice_empty_or_unknown(db: Session, world: World) -> None:
    _logged(db, world)
    with pytest.raises(Refused, match="S-1 is logged already"):
        log_segment(db, "S-1", Interaction(template_code="EMAIL"), actor="t")
    create_segment(db, "EMPTY", [])
    with pytest.raises(Refused, match="EMPTY is empty"):
        log_segment(db, "EMPTY", Interaction(template_code="EMAIL"), actor="t")
    with pytest.raises(NotFound):
        log_segment(db, "NOPE", Interaction(template_code="EMAIL"), actor="t")
    with pytest.raises(Refused, match="exists already"):
        create_segment(db, "s-1", [world.anna])
    assert len(query_entries(db, EntryFilter())) == 2


def test_canceling_a_logged_segment_cascades_and_blocks_restore(
    db: Session, world: World
) -> None:
    _logged(db, world)
    numbers = [e.entry_no for e in query_entries(db, EntryFilter())]
    set_segment_canceled(db, "s-1", True, actor="t")
    assert all(e.canceled for e in query_entries(db, EntryFilter()))
    with pytest.raises(Refused, match="segment S-1 is canceled"):
        restore_entries(db, numbers[:1], actor="t")
    assert all(e.canceled for e in query_entries(db, EntryFilter()))
    set_segment_canceled(db, "S-1", False, actor="t")
    assert not any(e.canceled for e in query_entries(db, EntryFilter()))
    # entries of a live segment may be canceled and restored one by one
    cancel_entries(db, numbers[:1], actor="t")
    restore_entries(db, numbers[:1], actor="t")
    assert not db.scalar(sa.select(LoggedSegment.canceled))


def test_cancel_unlogged_segment_is_not_found(db: Session, world: World) -> None:
    create_segment(db, "S-2", [world.anna])
    with pytest.raises(NotFound, match="has not been logged"):
        set_segment_canceled(db, "S-2", True, actor="t")
