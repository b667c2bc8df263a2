"""From a message or event to a `Plan`: direction, user, contacts to log, addresses unmatched.

Direction comes from the sender / organiser (internal → outbound/us, external → inbound/them),
never from the mailbox that held the item. Outbound items give an entry to every external
recipient (to, cc, bcc) or attendee that matches a contact; inbound mail gives one to the
sender's contact; an externally organised meeting gives one to every external participant.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from connector.capture import skip
from connector.capture.context import CaptureContext, ContactInfo, Who
from connector.capture.rules import Facts
from connector.frozen import quick_init
from connector.items import Address, GraphEvent, GraphMessage
from storage.vocabulary import InformationFlow, InitiatedBy, ItemKind

NORMAL = "normal"  # the sensitivity of most items: no privacy rule applies


@quick_init
@dataclass(frozen=True, slots=True)
class Plan:
    """What one item should log; `contacts` empty means nobody matched (`no_contact`)."""

    kind: ItemKind  # email | meeting
    key: str  # internetMessageId or iCalUId
    graph_id: str
    direction: InformationFlow
    user_upn: str
    occurred_at: datetime
    duration_min: Decimal | None  # meetings: the real length; email: from the template
    subject: str
    web_link: str | None
    is_organizer: bool
    contacts: tuple[ContactInfo, ...]
    unmatched: tuple[Address, ...]
    facts: Facts | None  # None when no rule could use it (no rules, or nobody to log)

    @property
    def initiated_by(self) -> InitiatedBy:
        return initiated_by(self.direction)


def initiated_by(direction: InformationFlow) -> InitiatedBy:
    """Outbound items are initiated by us, inbound ones by them."""
    return InitiatedBy.US if direction == InformationFlow.OUTBOUND else InitiatedBy.THEM


def _direction(outbound: bool) -> InformationFlow:
    """Sent by an internal address: outbound (and initiated by us); else inbound."""
    return InformationFlow.OUTBOUND if outbound else InformationFlow.INBOUND


def _subject(ctx: CaptureContext, subject: str, sensitivity: str) -> tuple[str, bool]:
    """The entry's subject, and whether it is redacted (then no rule sees the real one)."""
    if sensitivity == NORMAL:  # most items: neither private nor of unknown privacy
        return (subject.strip() or "(no subject)")[:250], False
    if skip.is_private(sensitivity) and ctx.sync.private_items == "redact":
        return skip.PRIVATE_SUBJECT, True
    if skip.is_unknown(sensitivity) and ctx.sync.unknown_privacy == "redact":
        return skip.PRIVATE_SUBJECT, True
    return (subject.strip() or "(no subject)")[:250], False


def _gate(ctx: CaptureContext, seen: Who, sensitivity: str) -> str | None:
    """The reason to skip an item because of its sender / organiser (`seen`) or privacy."""
    if seen.automated:
        return skip.AUTOMATED
    if seen.excluded:
        return skip.EXCLUDED
    if sensitivity != NORMAL and skip.is_private(sensitivity) and ctx.sync.private_items == "skip":
        return skip.PRIVATE
    return None


def _targets(ctx: CaptureContext, people: Iterable[Address]) -> list[Address] | str:
    """External, loggable people (deduplicated); a skip reason when there are none."""
    who = ctx.who
    external = [p for p in dict.fromkeys(people) if not who(p).internal]
    if not external:
        return skip.INTERNAL_ONLY
    loggable = [p for p in external if not who(p).excluded and not who(p).automated]
    return loggable or skip.EXCLUDED


def _match(
    ctx: CaptureContext, people: list[Address]
) -> tuple[tuple[ContactInfo, ...], tuple[Address, ...]]:
    contacts: dict[int, ContactInfo] = {}
    unmatched: list[Address] = []
    for person in people:
        contact = ctx.who(person).contact
        if contact is None:
            unmatched.append(person)
        else:
            contacts.setdefault(contact.id, contact)
    return tuple(contacts.values()), tuple(unmatched)


def plan_message(ctx: CaptureContext, mailbox: str, msg: GraphMessage) -> Plan | str:
    """The plan for a message, or the reason it is not logged."""
    if not msg.internet_message_id:
        return skip.malformed("no_internet_message_id")
    if msg.sender is None or not msg.sender.address:
        return skip.malformed("no_from")
    if msg.is_draft:
        return skip.DRAFT
    who = ctx.who
    seen = who(msg.sender)
    reason = _gate(ctx, seen, msg.sensitivity)
    if reason:
        return reason
    outbound = seen.internal
    recipients = [*msg.to, *msg.cc, *msg.bcc]
    if outbound:
        if all(who(p).internal for p in recipients):
            return skip.INTERNAL_ONLY
        targets = _targets(ctx, recipients)
        if isinstance(targets, str):
            return targets
    else:  # an external sender the gate let through: its own target
        targets = [msg.sender]
    when = (msg.sent_at or msg.received_at) if outbound else (msg.received_at or msg.sent_at)
    if when is None:
        return skip.malformed("no_date")
    subject, redacted = _subject(ctx, msg.subject, msg.sensitivity)
    contacts, unmatched = _match(ctx, targets)
    direction = _direction(outbound)
    return Plan(
        kind=ItemKind.EMAIL, key=msg.internet_message_id, graph_id=msg.id, direction=direction,
        user_upn=msg.sender.address if outbound else mailbox,
        occurred_at=when.replace(microsecond=0), duration_min=None, subject=subject,
        web_link=msg.web_link,
        is_organizer=False, contacts=contacts, unmatched=unmatched,
        facts=Facts(
            kind=ItemKind.EMAIL, direction=direction,
            subject="" if redacted else subject, from_domain=msg.sender.domain,
            participant_domains=frozenset(p.domain for p in [msg.sender, *recipients]),
            categories=frozenset(c.lower() for c in msg.categories),
            has_attachments=msg.has_attachments,
        ) if ctx.rules and contacts else None,
    )


def plan_event(ctx: CaptureContext, mailbox: str, event: GraphEvent) -> Plan | str:
    """The plan for a calendar event, or the reason it is not logged."""
    if not event.ical_uid:
        return skip.malformed("no_ical_uid")
    if event.type == "seriesMaster":
        return skip.SERIES_MASTER
    organizer = event.organizer
    if organizer is None or not organizer.address:
        return skip.malformed("no_organizer")
    seen = ctx.who(organizer)
    reason = _gate(ctx, seen, event.sensitivity)
    if reason:
        return reason
    people = [organizer, *(a.address for a in event.attendees if a.type != "resource")]
    targets = _targets(ctx, people)
    if isinstance(targets, str):
        return targets
    outbound = seen.internal
    subject, redacted = _subject(ctx, event.subject, event.sensitivity)
    minutes = max((event.end - event.start).total_seconds(), 0) / 60
    contacts, unmatched = _match(ctx, targets)
    direction = _direction(outbound)
    return Plan(
        kind=ItemKind.MEETING, key=event.ical_uid, graph_id=event.id, direction=direction,
        user_upn=organizer.address if outbound else mailbox,
        occurred_at=event.start.replace(microsecond=0),
        duration_min=Decimal(str(round(minutes, 2))), subject=subject, web_link=event.web_link,
        is_organizer=organizer.address == mailbox, contacts=contacts, unmatched=unmatched,
        facts=Facts(
            kind=ItemKind.MEETING, direction=direction, subject="" if redacted else subject,
            from_domain=organizer.domain, participant_domains=frozenset(p.domain for p in people),
            categories=frozenset(c.lower() for c in event.categories),
            online_meeting=event.is_online_meeting,
        ) if ctx.rules and contacts else None,
    )
