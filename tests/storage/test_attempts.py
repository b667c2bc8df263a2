"""An attempt marked failed afterwards (the outcome card's "no answer"): the flag, the
per-day totals' failed and reached counts moved with it, audited once, own entries only."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.attempts import mark_attempt_failed
from storage.entries import Interaction, cancel_entries, log_interaction
from storage.errors import NotFound, Refused
from storage.models import AuditEvent, InteractionLogEntry
from tests.support.aggregates import assert_totals_match
from tests.support.world import World


def _log(db: Session, world: World) -> InteractionLogEntry:
    return log_interaction(db, world.jose, Interaction(
        template_code="CALL", user_upn="ana@contoso.com"), actor="test")


def test_failed_afterwards_moves_the_totals_and_is_audited_once(db: Session,
                                                                world: World) -> None:
    a, b = _log(db, world), _log(db, world)
    canceled = _log(db, world)
    cancel_entries(db, [canceled.entry_no], actor="test")
    assert_totals_match(db)
    mark_attempt_failed(db, [a.entry_no, canceled.entry_no], actor="teams:x Ana")
    mark_attempt_failed(db, [a.entry_no], actor="teams:x Ana")  # already failed: no change
    db.expire_all()
    flags = {n: db.get(InteractionLogEntry, n).attempt_failed  # type: ignore[union-attr]
             for n in (a.entry_no, b.entry_no, canceled.entry_no)}
    assert flags == {a.entry_no: True, b.entry_no: False, canceled.entry_no: True}
    assert_totals_match(db)
    rows = db.execute(sa.select(AuditEvent.entry_no, AuditEvent.details).where(
        AuditEvent.action == "evaluate").order_by(AuditEvent.id)).all()
    assert [(n, json.loads(d)) for n, d in rows] == [
        (a.entry_no, {"attempt_failed": True}), (canceled.entry_no, {"attempt_failed": True})]


def test_someone_elses_or_a_missing_entry_changes_nothing(db: Session, world: World) -> None:
    entry = _log(db, world)
    with pytest.raises(Refused):
        mark_attempt_failed(db, [entry.entry_no], actor="x", owner_upn="bob@contoso.com")
    with pytest.raises(NotFound):
        mark_attempt_failed(db, [entry.entry_no, 999_999], actor="x")
    db.expire_all()
    assert db.get(InteractionLogEntry, entry.entry_no).attempt_failed is False  # type: ignore[union-attr]
    assert_totals_match(db)
