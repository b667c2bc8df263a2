"""Default groups, templates and setup (what `interlog init` seeds), and `[[user]]` sync.

Both are idempotent: running them twice changes nothing the second time, and neither
overwrites a group, template or setup key an admin has already defined.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.models import InteractionGroup, InteractionTemplate, TemplateSetup, User

DEFAULT_GROUPS: tuple[tuple[str, str], ...] = (
    ("EMAIL", "Email"),
    ("MEETINGS", "Meetings"),
    ("CALLS", "Phone calls"),
    ("DOCS", "Documents sent"),
)

# code, group, description, flow, initiated_by, unit_cost, unit_duration_min, correspondence
DEFAULT_TEMPLATES: tuple[tuple[str, str, str, str, str, str, str, str], ...] = (
    ("EMAIL", "EMAIL", "Email", "outbound", "us", "0", "0", "email"),
    ("MEETING", "MEETINGS", "Meeting", "outbound", "us", "0", "30", ""),
    ("CALL", "CALLS", "Phone call", "outbound", "us", "0", "5", ""),
)

DEFAULT_SETUP: tuple[tuple[str, str], ...] = (
    ("email", "EMAIL"),
    ("meeting", "MEETING"),
    ("phone_call", "CALL"),
)


@dataclass
class SeedResult:
    """What a seed or user sync added or changed (empty lists: nothing to do)."""

    groups: list[str] = field(default_factory=list)
    templates: list[str] = field(default_factory=list)
    setup: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.groups or self.templates or self.setup)


def seed_defaults(session: Session) -> SeedResult:
    """Add the default groups, templates and setup keys that are missing."""
    result = SeedResult()
    for code, description in DEFAULT_GROUPS:
        if session.get(InteractionGroup, code) is None:
            session.add(InteractionGroup(code=code, description=description))
            result.groups.append(code)
    session.flush()
    for code, group, desc, flow, by, cost, duration, corr in DEFAULT_TEMPLATES:
        if session.get(InteractionTemplate, code) is None:
            session.add(InteractionTemplate(
                code=code, group_code=group, description=desc, information_flow=flow,
                initiated_by=by, unit_cost=Decimal(cost), unit_duration_min=Decimal(duration),
                correspondence_type=corr,
            ))
            result.templates.append(code)
    session.flush()
    for kind, template_code in DEFAULT_SETUP:
        if session.get(TemplateSetup, kind) is None:
            session.add(TemplateSetup(kind=kind, template_code=template_code))
            result.setup.append(f"{kind}={template_code}")
    session.flush()
    return result


class UserLike(Protocol):
    """The shape of `interlog.config.UserSettings` (storage does not import the connector)."""

    @property
    def upn(self) -> str: ...
    @property
    def salesperson_code(self) -> str: ...
    @property
    def aad_object_id(self) -> str: ...
    @property
    def admin(self) -> bool: ...


@dataclass
class UserSyncResult:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)


def sync_users(session: Session, users: Iterable[UserLike]) -> UserSyncResult:
    """Upsert one `User` per configured `[[user]]` (by UPN, case-insensitive).

    Users that are not in the configuration are left alone (the bot may have added them).
    """
    result = UserSyncResult()
    for item in users:
        upn = item.upn.strip().lower()
        aad = item.aad_object_id.strip() or None
        user = session.scalar(sa.select(User).where(User.upn == upn))
        if aad is not None:
            _release_aad_object_id(session, aad, upn)
        if user is None:
            session.add(User(upn=upn, salesperson_code=item.salesperson_code,
                             aad_object_id=aad, admin=item.admin))
            result.added.append(upn)
        elif (user.salesperson_code, user.aad_object_id, user.admin) != (
            item.salesperson_code, aad, item.admin
        ):
            user.salesperson_code = item.salesperson_code
            user.aad_object_id = aad
            user.admin = item.admin
            result.updated.append(upn)
        session.flush()
    return result


def _release_aad_object_id(session: Session, aad: str, upn: str) -> None:
    """An AAD object id now configured for `upn` is taken away from any other user."""
    other = session.scalar(sa.select(User).where(User.aad_object_id == aad, User.upn != upn))
    if other is not None:
        other.aad_object_id = None
        session.flush()
