"""Upcoming meetings with contacts: captured, not started yet, so not in the log.

Capture keeps a meeting that has not started as a `pending` copy (`captured_items`) with
its external participants (`captured_addresses`); it becomes entries when it starts. This
is what the contact page, the bot's `show` and `entries list --upcoming` show meanwhile.
Contacts are matched as now: a participant's address of a contact, else (with `by_domain`)
the company owning the address's domain. One meeting per iCalUId across mailboxes' copies.
Every function takes the caller's `Session` and only reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.capture_models import CapturedAddress, CapturedItem
from storage.models import CompanyDomain, Contact, ContactEmail
from storage.vocabulary import ItemKind


@dataclass(frozen=True)
class UpcomingContact:
    no: str
    name: str


@dataclass(frozen=True)
class Upcoming:
    ical_uid: str
    subject: str
    start: datetime  # naive UTC
    contacts: tuple[UpcomingContact, ...]


def upcoming_meetings(
    session: Session, *, now: datetime, contact_id: int | None = None, by_domain: bool = True,
    limit: int | None = None,
) -> list[Upcoming]:  # fmt: skip
    """Meetings starting after `now` with at least one contact, soonest first; with
    `contact_id`, those of that contact (a company: also of its persons)."""
    query = _query(by_domain, contact_id is not None)
    return _by_meeting(list(session.execute(query, {"now": now, "contact_id": contact_id})),
                       limit)


@cache
def _query(by_domain: bool, of_contact: bool) -> sa.Select[Any]:
    """Built once per variant, `now` and `contact_id` bound at each call: building this
    union's column proxies cost more than running it (half the bot's `show`,
    docs/bot-profile.md)."""
    ci, ca = CapturedItem, CapturedAddress
    base = (sa.select(ci.id, ci.key, ci.subject, ci.occurred_at, ci.is_organizer)
            .join(ca, ca.captured_item_id == ci.id)
            .where(ci.pending.is_(True), ci.canceled_at.is_(None),
                   ci.kind == ItemKind.MEETING.value, ci.occurred_at > sa.bindparam("now")))
    people = base.add_columns(ContactEmail.contact_id.label("cid")).join(
        ContactEmail, ContactEmail.address == ca.address)
    parts: list[Any] = [people]
    if by_domain:
        no_person = ~sa.exists().where(ContactEmail.address == ca.address)
        parts.append(base.add_columns(CompanyDomain.contact_id.label("cid"))
                     .join(CompanyDomain, CompanyDomain.domain == ca.domain).where(no_person))
    found = sa.union_all(*parts).subquery()
    query = (sa.select(found, Contact.no, Contact.name)
             .join(Contact, Contact.id == found.c.cid))
    if of_contact:
        contact_id = sa.bindparam("contact_id", type_=sa.Integer)
        query = query.where(sa.or_(Contact.id == contact_id, Contact.company_id == contact_id))
    return query


def _by_meeting(rows: list[Any], limit: int | None) -> list[Upcoming]:
    """One meeting per key: the organizer's copy, else the latest captured; contacts of all."""
    best: dict[str, Any] = {}
    contacts: dict[str, dict[str, UpcomingContact]] = {}
    for row in rows:
        item_id, key, _subject, _start, organizer = row[:5]
        kept = best.get(key)
        if kept is None or (organizer, item_id) > (kept[4], kept[0]):
            best[key] = row
        contacts.setdefault(key, {})[row.no] = UpcomingContact(row.no, row.name)
    meetings = [Upcoming(key, row[2], row[3], tuple(sorted(contacts[key].values(),
                                                           key=lambda c: c.no)))
                for key, row in best.items()]
    meetings.sort(key=lambda m: (m.start, m.ical_uid))
    return meetings[:limit] if limit is not None else meetings


def upcoming_to_json(meeting: Upcoming) -> dict[str, Any]:
    """As `entries list --upcoming --json` prints it."""
    return {
        "ical_uid": meeting.ical_uid,
        "subject": meeting.subject,
        "start": meeting.start.isoformat(timespec="seconds") + "Z",
        "contacts": [{"no": c.no, "name": c.name} for c in meeting.contacts],
    }
