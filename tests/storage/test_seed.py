"""Seeding the defaults and syncing configured users are idempotent."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from interlog.config import UserSettings
from storage.entries import setup_template
from storage.models import InteractionGroup, InteractionTemplate, User
from storage.seed import seed_defaults, sync_users


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


def test_sync_users_upserts_by_upn(db: Session) -> None:
    users = [UserSettings(upn="Alice@Contoso.com", salesperson_code="AL", aad_object_id="a1"),
             UserSettings(upn="bob@contoso.com", admin=True)]
    result = sync_users(db, users)
    assert result.added == ["alice@contoso.com", "bob@contoso.com"]
    assert not sync_users(db, users).updated
    moved = [UserSettings(upn="bob@contoso.com", salesperson_code="BO", aad_object_id="a1")]
    assert sync_users(db, moved).updated == ["bob@contoso.com"]
    rows = {u.upn: u for u in db.scalars(sa.select(User))}
    assert rows["alice@contoso.com"].aad_object_id is None  # the id moved to bob
    assert (rows["bob@contoso.com"].aad_object_id, rows["bob@contoso.com"].admin) == ("a1", False)
