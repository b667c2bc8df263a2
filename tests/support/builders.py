"""Builders of what the connector reads, two shapes:

- the connector's own items (frozen dataclasses of `connector.items`), fluent:
  `a_message().from_("x@y").to("a@b").build()`, `an_event().organizer(...).build()`;
- Graph JSON as the emulator serves it (plain dicts): `graph_message(3)`, `graph_event("ev-1",
  2)`, `inbound(mailbox, n)`, and whole tenants (`small_tenant()`, `tenant_of(40)`).
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Self

from connector.items import Address, Attendee, GraphEvent, GraphMessage

NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC).replace(tzinfo=None)  # naive UTC, fixed
_ids = itertools.count(1)


def addr(text: str) -> Address:
    """`"Jane Doe <Jane@Fabrikam.com>"` or `"jane@fabrikam.com"` → an `Address`."""
    if "<" in text:
        name, _, rest = text.partition("<")
        return Address(rest.rstrip(">").strip().lower(), name.strip())
    return Address(text.strip().lower())


@dataclass
class MessageBuilder:
    message: GraphMessage = field(default_factory=lambda: GraphMessage(
        id=f"AAMk-msg-{next(_ids)}", internet_message_id=f"<m{next(_ids)}@mail.test>",
        subject="Hello", sender=None, to=(), cc=(), bcc=(), received_at=NOW, sent_at=NOW,
        web_link="https://outlook.office.com/mail/x",
    ))

    def _with(self, **changes: object) -> Self:
        self.message = replace(self.message, **changes)  # type: ignore[arg-type]
        return self

    def id(self, graph_id: str) -> Self:
        return self._with(id=graph_id)

    def message_id(self, value: str | None) -> Self:
        return self._with(internet_message_id=value)

    def from_(self, text: str | None) -> Self:
        return self._with(sender=addr(text) if text else None)

    def to(self, *texts: str) -> Self:
        return self._with(to=tuple(addr(t) for t in texts))

    def cc(self, *texts: str) -> Self:
        return self._with(cc=tuple(addr(t) for t in texts))

    def bcc(self, *texts: str) -> Self:
        return self._with(bcc=tuple(addr(t) for t in texts))

    def subject(self, text: str) -> Self:
        return self._with(subject=text)

    def sent(self, at: datetime) -> Self:
        return self._with(sent_at=at)

    def received(self, at: datetime) -> Self:
        return self._with(received_at=at)

    def draft(self) -> Self:
        return self._with(is_draft=True)

    def attachments(self) -> Self:
        return self._with(has_attachments=True)

    def categories(self, *names: str) -> Self:
        return self._with(categories=names)

    def sensitivity(self, value: str) -> Self:
        return self._with(sensitivity=value)

    def build(self) -> GraphMessage:
        return self.message


@dataclass
class EventBuilder:
    event: GraphEvent = field(default_factory=lambda: GraphEvent(
        id=f"AAMk-evt-{next(_ids)}", ical_uid=f"040000008200E00074C5B7101A82E008{next(_ids):08d}",
        subject="Meeting", start=NOW, end=NOW + timedelta(minutes=45), organizer=None,
        attendees=(), web_link="https://outlook.office.com/calendar/x",
    ))

    def _with(self, **changes: object) -> Self:
        self.event = replace(self.event, **changes)  # type: ignore[arg-type]
        return self

    def id(self, graph_id: str) -> Self:
        return self._with(id=graph_id)

    def ical_uid(self, value: str) -> Self:
        return self._with(ical_uid=value)

    def organizer(self, text: str | None) -> Self:
        return self._with(organizer=addr(text) if text else None)

    def attendees(self, *texts: str, type: str = "required") -> Self:
        more = tuple(Attendee(addr(t), type=type) for t in texts)
        return self._with(attendees=self.event.attendees + more)

    def subject(self, text: str) -> Self:
        return self._with(subject=text)

    def at(self, start: datetime, minutes: int = 45) -> Self:
        return self._with(start=start, end=start + timedelta(minutes=minutes))

    def cancelled(self) -> Self:
        return self._with(is_cancelled=True)

    def online(self) -> Self:
        return self._with(is_online_meeting=True)

    def sensitivity(self, value: str) -> Self:
        return self._with(sensitivity=value)

    def series_master(self) -> Self:
        return self._with(type="seriesMaster")

    def occurrence(self, series_master_id: str) -> Self:
        return self._with(type="occurrence", series_master_id=series_master_id)

    def build(self) -> GraphEvent:
        return self.event


def a_message() -> MessageBuilder:
    return MessageBuilder()


def an_event() -> EventBuilder:
    return EventBuilder()


# -- Graph JSON ------------------------------------------------------------------------------

DOMAIN = "contoso.com"
ALICE = f"alice@{DOMAIN}"
BOB = f"bob@{DOMAIN}"


def upn(i: int) -> str:
    """The `i`-th mailbox of a generated tenant: user00@contoso.com, user01@..."""
    return f"user{i:02d}@{DOMAIN}"


def graph_message(i: int, *, folder: str = "inbox", day: int = 1, **extra: Any) -> dict[str, Any]:
    """A Graph message to Alice; `day` is the day of May 2024 it was received."""
    return {
        "id": f"msg-{i:04d}",
        "internetMessageId": f"<m{i}@fabrikam.com>",
        "subject": f"Subject {i}",
        "from": {"emailAddress": {"name": "José Pérez", "address": "jose.perez@fabrikam.com"}},
        "toRecipients": [{"emailAddress": {"name": "Alice", "address": ALICE}}],
        "receivedDateTime": f"2024-05-{day:02d}T10:00:{i % 60:02d}Z",
        "isDraft": False,
        "parentFolderId": folder,
        **extra,
    }


def graph_event(event_id: str, day: int, **extra: Any) -> dict[str, Any]:
    """A one-hour meeting Alice organises on a day of May 2024, 09:00 UTC."""
    return {
        "id": event_id,
        "iCalUId": f"uid-{event_id}",
        "subject": f"Meeting {event_id}",
        "start": {"dateTime": f"2024-05-{day:02d}T09:00:00.0000000", "timeZone": "UTC"},
        "end": {"dateTime": f"2024-05-{day:02d}T10:00:00.0000000", "timeZone": "UTC"},
        "organizer": {"emailAddress": {"name": "Alice", "address": ALICE}},
        "attendees": [],
        **extra,
    }


def small_tenant(messages: int = 25) -> dict[str, Any]:
    """Alice and Bob; Alice has `messages` inbox messages, one sent, and five events."""
    series = graph_event(
        "series-1",
        6,
        type="seriesMaster",
        recurrence={
            "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["monday"]},
            "range": {"type": "numbered", "startDate": "2024-05-06", "numberOfOccurrences": 4},
        },
    )
    return {
        "users": [
            {"id": "u-alice", "userPrincipalName": ALICE, "mail": ALICE, "displayName": "Alice"},
            {"id": "u-bob", "userPrincipalName": BOB, "mail": BOB, "displayName": "Bob"},
        ],
        "messages": {
            ALICE: [graph_message(i, day=1 + i % 28) for i in range(messages)]
            + [graph_message(900, folder="sentitems")],
        },
        "events": {
            ALICE: [
                graph_event("ev-1", 2),
                graph_event("ev-private", 3, sensitivity="private"),
                graph_event("ev-canceled", 4, isCancelled=True),
                graph_event("ev-june", 1,
                            start={"dateTime": "2024-06-20T09:00:00", "timeZone": "UTC"},
                            end={"dateTime": "2024-06-20T10:00:00", "timeZone": "UTC"}),
                series,
            ]
        },
    }  # fmt: skip


def tenant_of(mailboxes: int) -> dict[str, Any]:
    """A tenant of `mailboxes` users (`upn(i)`), no mail and no events yet."""
    users = [{"id": str(uuid.UUID(int=i + 1)), "userPrincipalName": upn(i), "mail": upn(i),
              "displayName": f"User {i}"} for i in range(mailboxes)]
    return {"users": users, "messages": {}, "events": {}}


def inbound(mailbox: str, n: int, *, sender: str = "jane.doe@fabrikam.com",
            when: datetime | None = None) -> dict[str, Any]:
    """A message from an external contact into `mailbox`'s inbox."""
    when = when or datetime.now(UTC) - timedelta(minutes=5)
    return {
        "id": f"m-{mailbox.split('@')[0]}-{n:05d}",
        "internetMessageId": f"<{mailbox.split('@')[0]}-{n}@fabrikam.com>",
        "subject": f"Message {n} to {mailbox}",
        "from": {"emailAddress": {"name": "Jane Doe", "address": sender}},
        "sender": {"emailAddress": {"name": "Jane Doe", "address": sender}},
        "toRecipients": [{"emailAddress": {"name": mailbox, "address": mailbox}}],
        "ccRecipients": [], "bccRecipients": [],
        "receivedDateTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sentDateTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "isDraft": False, "parentFolderId": "inbox",
    }  # fmt: skip
