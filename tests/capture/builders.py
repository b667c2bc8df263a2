"""Builders of the boundary dataclasses: `a_message().from_("x@y").to("a@b").build()`."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Self

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
