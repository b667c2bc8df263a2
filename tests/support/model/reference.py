"""The reference model: which entries must exist after a history, from docs/capture.md.

Written from the documented capture rules (and issue 11, items 1, 2 and 5), never from
`connector/`. A history is folded into *observations*: what the mailboxes held at each
complete sync (a killed sync and the sync that resumes it count as one). The rules are pure
functions of those observations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tests.support.model.world import (
    COMPANY,
    LATE,
    MAILBOXES,
    PERSONS,
    ROBOT,
    SYNCED,
    History,
    Mail,
    Occurrence,
    Sync,
    World,
    is_internal,
)

EMAIL_MINUTES = 3  # the EMAIL template's unit duration (harness.py seeds it)
MEETING_MINUTES = 45  # the MEETING template's: all-day and multi-day meetings take it
BACKFILL_DAYS = 30
AUTOMATED = ("no-reply", "noreply", "do-not-reply", "donotreply", "mailer-daemon",
             "postmaster")


@dataclass(frozen=True)
class Flags:
    """Rules not built yet can be switched on as they land."""

    upcoming: bool = False  # item 2: a meeting is an entry only once it has started
    late_contacts: bool = False  # item 5: a contact added later gets its past


@dataclass(frozen=True)
class Expected:
    """One entry, as compared: `user` None where the rules leave it open (inbound items:
    the first mailbox the item was found in)."""

    kind: str  # email | meeting
    key: str
    contact: str
    canceled: bool
    at: datetime
    minutes: int
    flow: str
    user: str | None


@dataclass(frozen=True)
class Observation:
    at: datetime
    mail: dict[tuple[str, str], str]  # (mailbox, key) → folder, synced folders only
    meetings: dict[str, Occurrence]  # occurrences with at least one copy, or deleted


def observe(history: History) -> tuple[World, list[Observation]]:
    """The world after the history, and what each complete sync saw."""
    world = World(now=history.start)
    seen: list[Observation] = []
    for step in history.steps:
        world.apply(step)
        if isinstance(step, Sync) and step.how not in ("kill", "stop"):  # those are resumed
            mail = {k: f for k, f in world.copies.items() if f in SYNCED}
            meetings = {k: o for k, o in world.meetings.items()
                        if o.holders or o.organizer_deleted}
            seen.append(Observation(world.now, mail, meetings))
    return world, seen


def contact_of(address: str, late: dict[str, str]) -> str | None:
    """Every address of a contact, case-insensitively; else the company of the domain."""
    address = address.lower()
    if address in late:
        return late[address]
    if (no := PERSONS.get(address)) is not None:
        return no
    return COMPANY[0] if address.endswith("@" + COMPANY[2]) else None


def automated(address: str) -> bool:
    return address == ROBOT or address.split("@")[0].lower() in AUTOMATED


def expected(history: History, flags: Flags) -> set[Expected]:
    world, seen = observe(history)
    late = {LATE[0]: LATE[1]} if flags.late_contacts and LATE[0] in world.contacts else {}
    out: set[Expected] = set()
    for mail in world.mails.values():
        out |= mail_entries(mail, seen, late)
    for key in world.meetings:
        out |= meeting_entries(key, seen, late, flags)
    return out


def mail_entries(mail: Mail, seen: list[Observation], late: dict[str, str]) -> set[Expected]:
    """Mail: direction from the sender; outbound → each external recipient's contact,
    inbound → the sender's; never drafts, automated senders, internal-only mail, or mail
    received before backfill_days (in any round); changes, moves and deletes change nothing."""
    everyone = (mail.sender, *mail.to, *mail.cc, *mail.bcc)
    if mail.draft or automated(mail.sender) or all(is_internal(a) for a in everyone):
        return set()
    outbound = is_internal(mail.sender)
    people: set[str] = set()
    for obs in seen:
        if mail.when < obs.at - timedelta(days=BACKFILL_DAYS):
            continue
        boxes = {box for (box, key) in obs.mail if key == mail.key}
        if not boxes:
            continue
        if not outbound:
            people.add(mail.sender)
            continue
        people |= {a for a in (*mail.to, *mail.cc) if not is_internal(a)}
        if mail.sender in boxes:  # bcc is only in the sender's own copy
            people |= {a for a in mail.bcc if not is_internal(a)}
    contacts = {c for a in people if not automated(a) and (c := contact_of(a, late))}
    flow, user = ("outbound", mail.sender) if outbound else ("inbound", None)
    return {Expected("email", mail.key, c, False, mail.when, EMAIL_MINUTES, flow, user)
            for c in contacts}


def meeting_entries(
    key: str, seen: list[Observation], late: dict[str, str], flags: Flags
) -> set[Expected]:  # fmt: skip
    """Meetings: one entry per external participant's contact; never logged when canceled
    the first time it is seen; canceled when canceled or deleted by its organizer (an
    attendee deleting their copy changes nothing); moves follow.

    With `upcoming` (item 2), a meeting is logged once a sync runs after its start, from
    what was kept of it; canceled before that, or with every copy gone, never; a logged
    meeting moved into the future keeps its date until the new start has passed, and so do
    attendees added meanwhile: they get their entries when it is due again.
    """
    known: Occurrence | None = None  # what capture keeps of it
    logged: Occurrence | None = None  # as last logged (its date and length)
    people: set[str] = set()
    for obs in seen:
        view = obs.meetings.get(key)
        if view is None and logged is None:
            known, people = None, set()  # copies gone before it was logged: dropped
        elif view is not None and _ended(view):
            if logged is None:
                return set()  # canceled when first seen, or before it started
            known = view
        elif view is not None:
            known = view
        due = known is not None and (not flags.upcoming or known.start <= obs.at)
        if known is not None and due and not _ended(known):
            people |= {known.organizer, *(a for a, _ in known.attendees)}
            if _contacts(people, late):  # a meeting without a contact is no entry
                logged = known
    if logged is None or known is None:
        return set()
    contacts = _contacts(people, late)
    outbound = is_internal(logged.organizer)
    long = logged.all_day or logged.minutes >= 24 * 60
    minutes = MEETING_MINUTES if long else logged.minutes
    flow, user = ("outbound", logged.organizer) if outbound else ("inbound", None)
    return {
        Expected("meeting", key, c, _ended(known), logged.start, minutes, flow, user)
        for c in contacts
    }


def _contacts(people: set[str], late: dict[str, str]) -> set[str]:
    return {c for a in people if not is_internal(a) and (c := contact_of(a, late))}


def _ended(occ: Occurrence) -> bool:
    return occ.canceled or occ.organizer_deleted


__all__ = ["MAILBOXES", "Expected", "Flags", "expected", "observe"]
