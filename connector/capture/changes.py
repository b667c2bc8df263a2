"""Changes to entries already logged: a meeting moved or renamed, canceled or deleted.

Nothing here ever restores a canceled entry or deletes one: a user's cancel stands, and a
message deleted in Graph keeps its entries.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from connector.capture.participants import Plan
from connector.capture.state import MeetingEntry, PageState, chunks
from storage.models import AuditEvent, InteractionLogEntry, utcnow

CANCELED_IN_OUTLOOK = "meeting canceled in Outlook"
DELETED_BY_ORGANIZER = "meeting deleted from its organizer's calendar"


def cancel_meetings(
    session: Session, state: PageState, keys_reasons: Iterable[tuple[str, str]], *, actor: str
) -> int:
    """Cancel the active entries of each meeting key with its reason; audited per entry."""
    by_reason: dict[str, list[int]] = {}
    for key, reason in keys_reasons:
        entries = state.meeting_entries.get(key, [])
        for i, entry in enumerate(entries):
            if not entry.canceled:
                by_reason.setdefault(reason, []).append(entry.entry_no)
                entries[i] = MeetingEntry(entry.entry_no, entry.contact_id, entry.occurred_at,
                                          entry.duration_min, entry.subject, True)
    e = InteractionLogEntry
    now = utcnow()
    audits: list[dict[str, object]] = []
    for reason, entry_nos in by_reason.items():
        for batch in chunks(sorted(entry_nos)):
            session.execute(
                sa.update(e).where(e.entry_no.in_(batch), e.canceled.is_(False))
                .values(canceled=True, canceled_reason=reason)
                .execution_options(synchronize_session=False)
            )
        audits += [{"at": now, "actor": actor, "action": "cancel", "entry_no": n,
                    "details": json.dumps({"reason": reason})} for n in entry_nos]
    if audits:
        session.execute(sa.insert(AuditEvent), audits)
    return len(audits)


def move_meetings(session: Session, state: PageState, plans: Iterable[Plan]) -> list[int]:
    """Give existing entries of each meeting its current start, length and subject."""
    params: list[dict[str, Any]] = []
    for plan in plans:
        for entry in state.meeting_entries.get(plan.key, []):
            if (entry.occurred_at, entry.duration_min, entry.subject) != (
                plan.occurred_at, plan.duration_min, plan.subject
            ):
                params.append({"_no": entry.entry_no, "_at": plan.occurred_at,
                               "_minutes": plan.duration_min, "_subject": plan.subject})
    if params:
        table = cast(sa.Table, InteractionLogEntry.__table__)
        stmt = (
            sa.update(table)
            .where(table.c.entry_no == sa.bindparam("_no"))
            .values(occurred_at=sa.bindparam("_at"), duration_min=sa.bindparam("_minutes"),
                    subject=sa.bindparam("_subject"))
        )
        session.connection().execute(stmt, sorted(params, key=lambda p: p["_no"]))
    return [p["_no"] for p in params]
