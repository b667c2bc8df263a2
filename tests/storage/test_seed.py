"""Seeding the defaults is idempotent (users: tests/storage/test_users.py)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.entries import setup_template
from storage.models import InteractionGroup, InteractionTemplate
from storage.seed import seed_defaults


def test_seed_is_idempotent_and_keeps_admin_changes(db: Session) -> None:
    first = seed_defaults(db)
    assert first.templates == ["EMAIL", "MEETING", "CALL"]
    assert setup_template(db, "phone_call").code == "CALL"
    assert setup_template(db, "meeting").code == "MEETING"
    call = db.get(InteractionTemplate, "CALL")
    assert call is not None
    call.description = "Call (edited)"
    second = seed_defaults(db)
    assert not second.changed
    assert call.description == "Call (edited)"
    assert db.scalar(sa.select(sa.func.count()).select_from(InteractionGroup)) == 4

