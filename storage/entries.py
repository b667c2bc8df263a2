"""Interaction log operations shared by every surface: log, cancel, restore, delete, query.

Every function takes the caller's `Session` and never commits: the caller owns the
transaction, so a refusal half-way leaves nothing behind.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
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


@dataclass(frozen=True)
class EntryFilter:
    """The filters of the Interaction Log Entries window; `None` means any."""

    contact_id: int | None = None
    company_no: str | None = None
    template_code: str | None = None
    group_code: str | None = None
    salesperson_code: str | None = None
    user_upn: str | None = None
    source: str | None = None
    status: str = "all"  # active | canceled | all
    since: date | None = None
    until: date | None = None  # inclusive
    document_no: str | None = None

    def where(self) -> list[sa.ColumnElement[bool]]:
        if self.status not in ("active", "canceled", "all"):
            raise InterlogError(f"status {self.status!r}: expected active, canceled or all")
        e = InteractionLogEntry
        clauses: list[sa.ColumnElement[bool]] = []
        equal = {
            e.contact_id: self.contact_id,
            e.contact_company_no: self.company_no,
            e.template_code: self.template_code.upper() if self.template_code else None,
            e.group_code: self.group_code.upper() if self.group_code else None,
            e.salesperson_code: self.salesperson_code,
            e.user_upn: self.user_upn.lower() if self.user_upn else None,
            e.source: self.source,
            e.document_no: self.document_no,
        }
        clauses += [column == value for column, value in equal.items() if value is not None]
        if self.status == "active":
            clauses.append(e.canceled.is_(False))
        elif self.status == "canceled":
            clauses.append(e.canceled.is_(True))
        if self.since is not None:
            clauses.append(e.occurred_at >= datetime.combine(self.since, time()))
        if self.until is not None:
            clauses.append(e.occurred_at < datetime.combine(self.until + timedelta(days=1), time()))
        return clauses


def query_entries(
    session: Session, filters: EntryFilter, *, limit: int | None = None, offset: int = 0,
    newest_first: bool = False,
) -> list[InteractionLogEntry]:
    order = InteractionLogEntry.entry_no.desc() if newest_first else InteractionLogEntry.entry_no
    stmt = sa.select(InteractionLogEntry).where(*filters.where()).order_by(order)
    return list(session.scalars(stmt.offset(offset).limit(limit)))


@dataclass(frozen=True)
class Totals:
    count: int
    cost: Decimal
    duration_min: Decimal


def totals(session: Session, filters: EntryFilter) -> Totals:
    """Count, cost and duration of the entries the filters select, canceled ones left out."""
    e = InteractionLogEntry
    row = session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(e.cost), 0),
                  sa.func.coalesce(sa.func.sum(e.duration_min), 0))
        .where(*filters.where(), e.canceled.is_(False))
    ).one()
    return Totals(count=row[0], cost=Decimal(row[1]), duration_min=Decimal(row[2]))


def delete_canceled(
    session: Session, filters: EntryFilter, *, actor: str, dry_run: bool = False,
    only: Collection[int] | None = None,
) -> list[int]:
    """Delete the canceled entries the filters select (only canceled ones, ever).

    `only` narrows the call to those entry numbers (what a user confirmed). Returns the
    entry numbers deleted, or that would be deleted on a dry run.
    """
    canceled_only = replace(filters, status="canceled")
    e = InteractionLogEntry
    entry_nos = list(session.scalars(
        sa.select(e.entry_no).where(*canceled_only.where()).order_by(e.entry_no)
    ))
    if only is not None:
        allowed = set(only)
        entry_nos = [n for n in entry_nos if n in allowed]
    if dry_run or not entry_nos:
        return entry_nos
    for chunk_start in range(0, len(entry_nos), 500):
        chunk = entry_nos[chunk_start : chunk_start + 500]
        session.execute(sa.delete(e).where(e.entry_no.in_(chunk), e.canceled.is_(True)))
        session.add_all(AuditEvent(actor=actor, action="delete", entry_no=n) for n in chunk)
    session.flush()
    return entry_nos


def entry_to_json(entry: InteractionLogEntry) -> dict[str, object]:
    """An entry as `interlog entries list --json` prints it (the design's field names)."""
    return {
        "entry_no": entry.entry_no,
        "contact_no": entry.contact_no,
        "contact_company_no": entry.contact_company_no,
        "contact_name": entry.contact_name,
        "date": entry.occurred_at.date().isoformat(),
        "time": entry.occurred_at.time().replace(microsecond=0).isoformat(),
        "template_code": entry.template_code,
        "group_code": entry.group_code,
        "information_flow": entry.information_flow,
        "initiated_by": entry.initiated_by,
        "subject": entry.subject,
        "duration_min": float(entry.duration_min),
        "cost": float(entry.cost),
        "correspondence_type": entry.correspondence_type,
        "canceled": entry.canceled,
        "attempt_failed": entry.attempt_failed,
        "evaluation": entry.evaluation,
        "source": entry.source,
        "user": entry.user_upn,
        "salesperson_code": entry.salesperson_code,
        "segment_no": entry.segment_no,
        "document_type": entry.document_type,
        "document_no": entry.document_no,
        "internet_message_id": entry.internet_message_id,
        "ical_uid": entry.ical_uid,
        "web_link": entry.web_link,
    }
