"""Changes to entries already logged: a meeting moved or renamed, canceled or deleted.

Capture decides which entries change and why; `storage.entry_writes` writes and audits the
changes. Nothing here ever restores a canceled entry or deletes one: a user's cancel
stands, and a message deleted in Graph keeps its entries.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from connector.capture.context import CaptureContext
from connector.capture.participants import Plan
from connector.capture.state import PageState, chunks
from storage.capture_models import CapturedItem
from storage.entry_writes import MeetingMove, cancel_where
from storage.models import InteractionLogEntry
from storage.vocabulary import ItemKind

CANCELED_IN_OUTLOOK = "meeting canceled in Outlook"
DELETED_BY_ORGANIZER = "meeting deleted from its organizer's calendar"


def cancel_meetings(
    session: Session, keys_reasons: Iterable[tuple[str, str]], *, actor: str
) -> int:
    """Cancel the active entries of each meeting key with its reason (a key's first reason
    wins); audited per entry. Returns how many entries were canceled."""
    by_reason: dict[str, list[str]] = {}
    seen: set[str] = set()
    for key, reason in keys_reasons:
        if key not in seen:
            seen.add(key)
            by_reason.setdefault(reason, []).append(key)
    canceled = 0
    for reason, keys in by_reason.items():
        for batch in chunks(sorted(keys)):
            canceled += len(cancel_where(session, InteractionLogEntry.ical_uid.in_(batch),
                                         actor=actor, reason=reason))
    return canceled


def meeting_moves(
    ctx: CaptureContext, state: PageState, plans: Iterable[Plan]
) -> list[MeetingMove]:
    """The existing entries of each meeting whose start, length or subject changed. An
    all-day or multi-day meeting (no length of its own) takes its entry's template's."""
    moves = []
    for plan in plans:
        for entry in state.meeting_entries.get(plan.key, []):
            minutes = plan.duration_min
            if minutes is None:
                template = ctx.templates.get(entry.template_code)
                minutes = entry.duration_min if template is None else template.unit_duration_min
            now = (plan.occurred_at, Decimal(minutes), plan.subject)
            if (entry.occurred_at, entry.duration_min, entry.subject) != now:
                moves.append(MeetingMove(entry.entry_no, *now))
    return moves


def end_upcoming(
    session: Session, mailbox: str, *, keys: Collection[str], graph_ids: Collection[str],
    now: datetime,
) -> None:  # fmt: skip
    """Meetings that will not happen are upcoming no more: every copy of a canceled or
    organizer-deleted meeting (`keys`), and this mailbox's copies that were removed or are
    no longer logged (`graph_ids`)."""
    ci = CapturedItem
    for batch in chunks(sorted(keys)):  # `pending` stays: canceled before it was logged
        session.execute(sa.update(ci).where(ci.kind == ItemKind.MEETING.value, ci.key.in_(batch),
                                            ci.canceled_at.is_(None))
                        .values(canceled_at=now))
    # A copy gone (an attendee deleted it) or no longer logged is upcoming no more — unless
    # the meeting is logged already (moved into the future): its move still follows when due.
    logged = sa.exists().where(InteractionLogEntry.ical_uid == ci.key)
    for batch in chunks(sorted(graph_ids)):  # a canceled copy keeps its `pending` (above)
        session.execute(sa.update(ci).where(ci.mailbox == mailbox, ci.graph_id.in_(batch),
                                            ci.pending.is_(True), ci.canceled_at.is_(None),
                                            ~logged)
                        .values(pending=False))
