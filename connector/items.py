"""What a Graph page becomes at the connector boundary: frozen dataclasses, never raw JSON.

The streams parse Graph's JSON into these; matching, rules and storage only ever see them.
Slotted: a first sync makes and frees thousands a page, and a slotted object costs less
to build and to free than one with a `__dict__`; filled by `quick_init` (`connector/frozen.py`),
not the frozen dataclass's slower `__init__`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from connector.frozen import quick_init


@quick_init
@dataclass(frozen=True, slots=True)
class Address:
    address: str  # lower-case
    name: str = ""

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2]

    @property
    def local_part(self) -> str:
        return self.address.rpartition("@")[0]


@quick_init
@dataclass(frozen=True, slots=True)
class GraphMessage:
    """A mail message, with only the header fields interlog needs."""

    id: str
    internet_message_id: str | None
    subject: str
    sender: Address | None  # `from` in Graph (who the mail is from)
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    bcc: tuple[Address, ...]
    received_at: datetime | None  # naive UTC
    sent_at: datetime | None  # naive UTC
    is_draft: bool = False
    has_attachments: bool = False
    categories: tuple[str, ...] = ()
    web_link: str | None = None
    sensitivity: str = "normal"  # normal | personal | private | confidential
    folder: str = ""
    conversation_id: str | None = None


@quick_init
@dataclass(frozen=True, slots=True)
class Attendee:
    address: Address
    type: str = "required"  # required | optional | resource
    response: str = "none"


@quick_init
@dataclass(frozen=True, slots=True)
class GraphEvent:
    """A calendar event (single instance, occurrence or exception) as calendarView gives it."""

    id: str
    ical_uid: str
    subject: str
    start: datetime  # naive UTC
    end: datetime  # naive UTC
    organizer: Address | None
    attendees: tuple[Attendee, ...]
    is_cancelled: bool = False
    is_online_meeting: bool = False
    is_all_day: bool = False
    sensitivity: str = "normal"
    type: str = "singleInstance"  # singleInstance | occurrence | exception | seriesMaster
    series_master_id: str | None = None
    categories: tuple[str, ...] = ()
    web_link: str | None = None


@quick_init
@dataclass(frozen=True, slots=True)
class Removed:
    """An `@removed` item: deleted, or (calendarView) moved out of the window."""

    id: str
    reason: str = "deleted"


@quick_init
@dataclass(frozen=True, slots=True)
class Skipped:
    """An item that could not be parsed: counted by reason, never a crash."""

    id: str
    reason: str


type DeltaItem = GraphMessage | GraphEvent | Removed | Skipped
