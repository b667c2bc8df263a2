"""Interaction log operations shared by every surface: log, cancel, restore, delete, query.

Every function takes the caller's `Session` and never commits: the caller owns the
transaction, so a refusal half-way leaves nothing behind.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.errors import InterlogError, NotFound, Refused
from storage.models import (
    FLOWS,
    INITIATORS,
    SOURCES,
    AuditEvent,
    Contact,
    InteractionLogEntry,
    InteractionTemplate,
    LoggedSegment,
    TemplateSetup,
    User,
    utcnow,
)


def get_template(session: Session, code: str) -> InteractionTemplate:
    template = session.get(InteractionTemplate, code.upper())
    if template is None:
        raise NotFound(f"no interaction template {code!r}")
    return template


def setup_template(session: Session, kind: str) -> InteractionTemplate:
    """The default template the setup names for an event kind (email, meeting, phone_call)."""
    setup = session.get(TemplateSetup, kind)
    if setup is None:
        raise NotFound(f"the template setup names no template for {kind!r}; run `interlog init`")
    return get_template(session, setup.template_code)


def audit(
    session: Session, actor: str, action: str, entry_no: int | None, **details: object
) -> None:
    session.add(
        AuditEvent(
            actor=actor,
            action=action,
            entry_no=entry_no,
            details=json.dumps(details, default=str, sort_keys=True) if details else "",
        )
    )


@dataclass(frozen=True)
class Interaction:
    """What a person or system says happened; unset fields come from the template."""

    template_code: str
    subject: str | None = None
    occurred_at: datetime | None = None  # naive UTC; now when unset
    duration_min: Decimal | None = None
    cost: Decimal | None = None
    information_flow: str | None = None
    initiated_by: str | None = None
    correspondence_type: str | None = None
    attempt_failed: bool = False
    source: str = "manual"
    user_upn: str | None = None
    document_type: str | None = None
    document_no: str | None = None


def check_interaction(interaction: Interaction) -> None:
    """Refuse values no entry may hold (a bad direction, a negative duration, …)."""
    for name, value, allowed in (
        ("information flow", interaction.information_flow, FLOWS),
        ("initiated by", interaction.initiated_by, INITIATORS),
        ("source", interaction.source, SOURCES),
    ):
        if value is not None and value not in allowed:
            raise InterlogError(f"{name} {value!r}: expected one of {', '.join(allowed)}")
    for name, amount in (("duration", interaction.duration_min), ("cost", interaction.cost)):
        if amount is not None and not Decimal(0) <= amount < Decimal("1e8"):
            raise InterlogError(f"{name} {amount} is out of range (0 to 99999999)")


def new_entry(
    session: Session, contact: Contact, interaction: Interaction, template: InteractionTemplate
) -> InteractionLogEntry:
    """An unsaved entry: the template's defaults, overridden by what the interaction says."""
    check_interaction(interaction)
    user = _user(session, interaction.user_upn)
    return InteractionLogEntry(
        contact_id=contact.id,
        contact_no=contact.no,
        contact_company_no=contact.company_no,
        contact_name=contact.name,
        occurred_at=interaction.occurred_at or utcnow().replace(microsecond=0),
        template_code=template.code,
        group_code=template.group_code,
        information_flow=interaction.information_flow or template.information_flow,
        initiated_by=interaction.initiated_by or template.initiated_by,
        subject=(interaction.subject or template.description)[:250],
        duration_min=_first(interaction.duration_min, template.unit_duration_min),
        cost=_first(interaction.cost, template.unit_cost),
        correspondence_type=_first(interaction.correspondence_type, template.correspondence_type),
        canceled=False,
        attempt_failed=interaction.attempt_failed,
        evaluation="",
        source=interaction.source,
        user_upn=interaction.user_upn.lower() if interaction.user_upn else None,
        salesperson_code=user.salesperson_code if user is not None else "",
        document_type=interaction.document_type,
        document_no=interaction.document_no,
    )


def _first[T](value: T | None, default: T) -> T:
    return default if value is None else value


def _user(session: Session, upn: str | None) -> User | None:
    if not upn:
        return None
    return session.scalar(sa.select(User).where(User.upn == upn.lower()))


def log_interaction(
    session: Session, contact: Contact, interaction: Interaction, *, actor: str
) -> InteractionLogEntry:
    """Log one interaction for one contact; returns the flushed entry (its `entry_no` set)."""
    template = get_template(session, interaction.template_code)
    entry = new_entry(session, contact, interaction, template)
    session.add(entry)
    session.flush()
    audit(session, actor, "log", entry.entry_no, contact_no=contact.no, template=template.code)
    return entry


def _entries(session: Session, entry_nos: Iterable[int]) -> list[InteractionLogEntry]:
    wanted = list(dict.fromkeys(entry_nos))
    found = {
        e.entry_no: e
        for e in session.scalars(
            sa.select(InteractionLogEntry).where(InteractionLogEntry.entry_no.in_(wanted))
        )
    }
    missing = [n for n in wanted if n not in found]
    if missing:
        names = ", ".join(f"#{n}" for n in missing)
        raise NotFound(f"no interaction log entry {names}; nothing was changed")
    return [found[n] for n in wanted]


def _check_owner(entries: Sequence[InteractionLogEntry], owner_upn: str | None) -> None:
    if owner_upn is None:
        return
    for entry in entries:
        if (entry.user_upn or "") != owner_upn.lower():
            raise Refused(f"entry #{entry.entry_no} is not yours; only an admin may change it")


def cancel_entries(
    session: Session,
    entry_nos: Iterable[int],
    *,
    actor: str,
    reason: str | None = None,
    owner_upn: str | None = None,
) -> list[InteractionLogEntry]:
    """Mark entries canceled (all or nothing). `owner_upn` limits the call to own entries."""
    entries = _entries(session, entry_nos)
    _check_owner(entries, owner_upn)
    for entry in entries:
        if not entry.canceled:
            entry.canceled = True
            entry.canceled_reason = reason
            audit(session, actor, "cancel", entry.entry_no, reason=reason)
    session.flush()
    return entries


def restore_entries(
    session: Session, entry_nos: Iterable[int], *, actor: str, owner_upn: str | None = None
) -> list[InteractionLogEntry]:
    """Clear the canceled flag (all or nothing); refused under a canceled logged segment."""
    entries = _entries(session, entry_nos)
    _check_owner(entries, owner_upn)
    segment_ids = {e.logged_segment_id for e in entries if e.logged_segment_id is not None}
    if segment_ids:
        canceled = session.scalars(
            sa.select(LoggedSegment).where(
                LoggedSegment.id.in_(segment_ids), LoggedSegment.canceled.is_(True)
            )
        ).first()
        if canceled is not None:
            raise Refused(
                f"logged segment {canceled.segment_no} is canceled; restore the segment instead"
            )
    for entry in entries:
        if entry.canceled:
            entry.canceled = False
            entry.canceled_reason = None
            audit(session, actor, "restore", entry.entry_no)
    session.flush()
    return entries


# The query half (filters, totals, delete canceled, JSON) lives in storage/entry_queries.py;
# these names stay importable from here.
from storage.entry_queries import (  # noqa: E402
    EntryFilter,
    Totals,
    delete_canceled,
    entry_to_json,
    query_entries,
    totals,
)

__all__ = [
    "EntryFilter", "Interaction", "Totals", "audit", "cancel_entries", "check_interaction",
    "delete_canceled", "entry_to_json", "get_template", "log_interaction", "new_entry",
    "query_entries", "restore_entries", "setup_template", "totals",
]
