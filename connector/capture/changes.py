"""Changes to entries already logged: a meeting moved or renamed, canceled or deleted.

Capture decides which entries change and why; `storage.entry_writes` writes and audits the
changes. Nothing here ever restores a canceled entry or deletes one: a user's cancel
stands, and a message deleted in Graph keeps its entries.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy.orm import Session

from connector.capture.participants import Plan
from connector.capture.state import PageState, chunks
from storage.entry_writes import MeetingMove, cancel_where
from storage.models import InteractionLogEntry

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


def meeting_moves(state: PageState, plans: Iterable[Plan]) -> list[MeetingMove]:
    """The existing entries of each meeting whose start, length or subject changed."""
    moves = []
    for plan in plans:
        minutes = plan.duration_min if plan.duration_min is not None else Decimal(0)
        now = (plan.occurred_at, minutes, plan.subject)
        moves += [MeetingMove(entry.entry_no, *now)
                  for entry in state.meeting_entries.get(plan.key, [])
                  if (entry.occurred_at, entry.duration_min, entry.subject) != now]
    return moves
