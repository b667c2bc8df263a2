"""storage/users.py: who a user is, who may change an entry, and seeding from `[[user]]`."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from interlog.config import UserSettings
from storage.models import InteractionLogEntry, User
from storage.users import (
    can_change_entry,
    find_user,
    owner_limit,
    salesperson_codes,
    seed_users,
)


def _users(db: Session) -> dict[str, User]:
    return {u.upn: u for u in db.scalars(sa.select(User))}


def test_seed_upserts_by_upn_and_moves_an_object_id(db: Session) -> None:
    users = [UserSettings(upn="Alice@Contoso.com", salesperson_code="AL", aad_object_id="a1"),
             UserSettings(upn="bob@contoso.com", admin=True)]
    result = seed_users(db, users)
    assert result.added == ["alice@contoso.com", "bob@contoso.com"]
    assert not seed_users(db, users).changed
    moved = [UserSettings(upn="bob@contoso.com", salesperson_code="BO", aad_object_id="a1"),
             UserSettings(upn="alice@contoso.com", salesperson_code="AL")]
    assert seed_users(db, moved).updated == ["bob@contoso.com"]
    rows = _users(db)
    assert rows["alice@contoso.com"].aad_object_id is None  # the id moved to bob
    assert (rows["bob@contoso.com"].aad_object_id, rows["bob@contoso.com"].admin) == ("a1", False)


def test_a_user_taken_out_of_the_config_loses_access_and_rights(db: Session) -> None:
    db.add(User(upn="dave@contoso.com", salesperson_code="DA", aad_object_id="d1", admin=True))
    db.flush()
    result = seed_users(db, [UserSettings(upn=" ALICE@contoso.com ", admin=True)])
    assert (result.added, result.updated, result.removed) == (
        ["alice@contoso.com"], [], ["dave@contoso.com"])
    assert set(_users(db)) == {"alice@contoso.com"}
    assert find_user(db, aad_object_id="d1") is None


def test_a_config_without_users_leaves_the_table_alone(db: Session) -> None:
    db.add(User(upn="dave@contoso.com", salesperson_code="DA", aad_object_id="d1", admin=True))
    db.flush()
    assert not seed_users(db, []).changed
    dave = _users(db)["dave@contoso.com"]
    assert (dave.salesperson_code, dave.aad_object_id, dave.admin) == ("DA", "d1", True)


def test_find_user_by_upn_then_by_object_id(db: Session) -> None:
    seed_users(db, [UserSettings(upn="alice@contoso.com", aad_object_id="a1"),
                    UserSettings(upn="bob@contoso.com", aad_object_id="b1")])

    def upn_of(**key: str) -> str | None:
        user = find_user(db, **key)
        return None if user is None else user.upn

    assert upn_of(upn="ALICE@Contoso.com") == "alice@contoso.com"
    assert upn_of(aad_object_id="b1") == "bob@contoso.com"
    assert upn_of(upn="alice@contoso.com", aad_object_id="b1") == "alice@contoso.com"
    assert upn_of(upn="mallory@contoso.com", aad_object_id="b1") == "bob@contoso.com"
    assert upn_of(upn="mallory@contoso.com") is None
    assert upn_of(aad_object_id="") is None
    assert upn_of() is None


def test_salesperson_codes_come_from_the_table(db: Session) -> None:
    seed_users(db, [UserSettings(upn="Alice@contoso.com", salesperson_code="AL"),
                    UserSettings(upn="carol@contoso.com")])
    db.add(User(upn="bob@contoso.com", salesperson_code="BO"))  # added outside the config
    db.flush()
    assert salesperson_codes(db) == {"alice@contoso.com": "AL", "bob@contoso.com": "BO",
                                     "carol@contoso.com": ""}


def test_users_change_their_own_entries_admins_any() -> None:
    alice = User(upn="alice@contoso.com", admin=False)
    carol = User(upn="carol@contoso.com", admin=True)
    alices = InteractionLogEntry(entry_no=1, user_upn="Alice@Contoso.com")
    bobs = InteractionLogEntry(entry_no=2, user_upn="bob@contoso.com")
    nobodys = InteractionLogEntry(entry_no=3, user_upn=None)
    assert [can_change_entry(alice, e) for e in (alices, bobs, nobodys)] == [True, False, False]
    assert [can_change_entry(carol, e) for e in (alices, bobs, nobodys)] == [True, True, True]
    assert (owner_limit(alice), owner_limit(carol)) == ("alice@contoso.com", None)
