"""Who a user is and what they may do: one answer for the pages, the bot and capture.

The `users` table is the only source. The configuration's `[[user]]` entries seed it
(`seed_users`: at `interlog init`, when the app is built, and at the start of `interlog worker`
and `interlog sync`); from then on the pages, the bot and capture all read the table here,
so a person is an admin in Teams exactly when they are one on the pages.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.dialect import first_object
from storage.models import InteractionLogEntry, User
from storage.user_values import UserLike, normal_upn, user_problem
from storage.values import BadValue


class Asker(Protocol):
    """Whoever asks for a change: a `User`, or a surface's own view of one (the web's user)."""

    @property
    def upn(self) -> str: ...
    @property
    def admin(self) -> bool: ...


def find_user(session: Session, *, upn: str | None = None,
              aad_object_id: str | None = None) -> User | None:
    """The user with this UPN (case-insensitive), else the one with this Entra object id."""
    if upn and upn.strip():
        user = first_object(session, User, "upn", lambda q: q.where(
            User.upn == sa.bindparam("upn")), {"upn": normal_upn(upn)})
        if user is not None:
            return user
    if aad_object_id and aad_object_id.strip():  # the bot, on every command
        return first_object(session, User, "aad_object_id", lambda q: q.where(
            User.aad_object_id == sa.bindparam("aad")), {"aad": aad_object_id.strip()})
    return None


def salesperson_codes(session: Session) -> dict[str, str]:
    """UPN → salesperson code for every user (capture stamps its entries with it)."""
    rows = session.execute(sa.select(User.upn, User.salesperson_code))
    return {normal_upn(upn): code or "" for upn, code in rows}


def is_owner(upn: str, entry: InteractionLogEntry) -> bool:
    """Whether `entry` is `upn`'s own (its `user`)."""
    return normal_upn(entry.user_upn or "") == normal_upn(upn)


def can_change_entry(user: Asker, entry: InteractionLogEntry) -> bool:
    """Users may cancel and restore their own entries; admins any."""
    return user.admin or is_owner(user.upn, entry)


def owner_limit(user: Asker) -> str | None:
    """The `owner_upn` that cancel and restore take for `user`: none for an admin (any entry),
    else the user's UPN (their own entries only)."""
    return None if user.admin else normal_upn(user.upn)


@dataclass
class UserSeedResult:
    """The UPNs a seed added, changed and removed (all empty: the table already matched)."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def seed_users(session: Session, users: Iterable[UserLike]) -> UserSeedResult:
    """Make the table hold exactly the configured `[[user]]`s (by UPN, case-insensitive).

    A user no longer in a configuration that lists users is removed, so taking a person
    out of `interlog.toml` takes away their access and rights (their entries keep their
    UPN); an empty list leaves the table alone. An Entra object id configured for one user
    is taken away from any other user that held it.
    """
    users = list(users)
    for item in users:  # every writer of a salesperson code comes through here
        if (problem := user_problem(item)) is not None:
            raise BadValue("user", f"user {item.upn!r}: {problem}")
    result = UserSeedResult()
    for item in users:
        upn = normal_upn(item.upn)
        aad = item.aad_object_id.strip() or None
        user = session.scalar(sa.select(User).where(User.upn == upn))
        if aad is not None:
            _release_aad_object_id(session, aad, upn)
        if user is None:
            session.add(User(upn=upn, salesperson_code=item.salesperson_code,
                             aad_object_id=aad, admin=item.admin, time_zone=item.time_zone))
            result.added.append(upn)
        elif (user.salesperson_code, user.aad_object_id, user.admin, user.time_zone) != (
            item.salesperson_code, aad, item.admin, item.time_zone
        ):
            user.salesperson_code = item.salesperson_code
            user.aad_object_id = aad
            user.admin = item.admin
            user.time_zone = item.time_zone
            result.updated.append(upn)
        session.flush()
    if users:
        result.removed = _remove_others(session, {normal_upn(item.upn) for item in users})
    return result


def _remove_others(session: Session, configured: set[str]) -> list[str]:
    gone = list(session.scalars(sa.select(User).where(User.upn.not_in(configured))
                                .order_by(User.upn)))
    for user in gone:
        session.delete(user)
    session.flush()
    return [user.upn for user in gone]


def _release_aad_object_id(session: Session, aad: str, upn: str) -> None:
    """An Entra object id now configured for `upn` is taken away from any other user."""
    other = session.scalar(sa.select(User).where(User.aad_object_id == aad, User.upn != upn))
    if other is not None:
        other.aad_object_id = None
        session.flush()
