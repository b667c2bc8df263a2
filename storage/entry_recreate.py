"""Re-create an interaction (NAV's "Create Interaction" from a log entry): a new manual entry
copied from an existing one, for the same contact and template, dated now or on a given day.

The copy is logged through `storage.entries.log_interaction` (the one home of a manual log),
so it is checked and audited `log` like any other; a `recreate` row on the new entry names
the entry it was copied from. What is copied: the subject, flow, initiated by, duration,
cost, correspondence type and document. What is not: the outcome (evaluation, note,
attempt failed: a new interaction has its own), the canceled flag, the captured keys and
link (the copy is not the email or meeting).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo

from sqlalchemy.orm import Session

from storage.audit import audit
from storage.entries import Interaction, find_entries, log_interaction
from storage.errors import NotFound, Refused
from storage.local_time import local_to_utc, to_local
from storage.models import Contact, InteractionLogEntry, utcnow

RECREATE = "recreate"  # the audit action on the new entry: {"from_entry": N}
LEEWAY = timedelta(minutes=5)  # a clock a little ahead of the server's is not "the future"


def on_day(day: date, zone: tzinfo | None = UTC, now: datetime | None = None) -> datetime:
    """`day` in `zone` (None: the server's) at that zone's time of day `now` (naive UTC; the
    clock's when None), as the naive UTC a table stores (NAV's wizard: the date given, the
    time now). The CLI's days are UTC days, the pages' the signed-in user's."""
    local_now = to_local(now or utcnow(), zone).time().replace(microsecond=0)
    return local_to_utc(datetime.combine(day, local_now), zone)


def recreate_entry(
    session: Session, entry_no: int, *, actor: str, user_upn: str | None = None,
    occurred_at: datetime | None = None,
) -> InteractionLogEntry:  # fmt: skip
    """A new manual entry copied from entry `entry_no`, at `occurred_at` (naive UTC; now when
    None), for `user_upn` (the original's user when None). Refuses a moment in the future."""
    [original] = find_entries(session, [entry_no])
    now = utcnow().replace(microsecond=0)
    if occurred_at is not None and occurred_at > now + LEEWAY:
        raise Refused("{moment} UTC is in the future; a re-created interaction happened"
                      " already", moment=f"{occurred_at:%Y-%m-%d %H:%M}")
    contact = session.get(Contact, original.contact_id)
    if contact is None:
        raise NotFound("entry #{entry_no}'s contact {contact_no} no longer exists",
                       entry_no=entry_no, contact_no=original.contact_no)
    copy = Interaction(
        template_code=original.template_code, subject=original.subject,
        occurred_at=occurred_at or now, duration_min=original.duration_min,
        cost=original.cost, information_flow=original.information_flow,
        initiated_by=original.initiated_by, correspondence_type=original.correspondence_type,
        source="manual", user_upn=user_upn if user_upn is not None else original.user_upn,
        document_type=original.document_type, document_no=original.document_no,
    )
    entry = log_interaction(session, contact, copy, actor=actor)
    audit(session, actor, RECREATE, entry.entry_no, from_entry=entry_no)
    return entry
