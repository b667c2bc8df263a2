"""Graph's JSON as typed structs: what a delta page may hold, validated as it is decoded.

msgspec decodes a page's bytes straight into these frozen structs (field names renamed to
Graph's camelCase; fields interlog does not read are ignored), and `streams/mail.py` and
`streams/calendar.py` turn each one into interlog's own item (`connector/items.py`): the
address lower-cased, times in naive UTC, the sensitivity read. They are Graph's schema,
not a second definition of the items, and nothing outside `connector/streams/` sees them.

They hold no reference cycles, so the garbage collector does not track them (`gc=False`).
A field of the wrong type, or a missing `id`, is a `msgspec.ValidationError` naming it
(``Expected `array | null`, got `str` - at `$.toRecipients` ``); `reason` turns it into the
short reason an item is counted under (`malformed:bad_to`).
"""

from __future__ import annotations

import re

import msgspec
from msgspec import Struct, field


class EmailAddress(Struct, frozen=True, gc=False):
    address: str | None = None
    name: str | None = None


class Recipient(Struct, frozen=True, gc=False, rename="camel"):
    """`{"emailAddress": {"address", "name"}}`: a sender, recipient or organizer."""

    email_address: EmailAddress | None = None


class RemovedMark(Struct, frozen=True, gc=False):
    reason: str | None = None


class Item(Struct, frozen=True, gc=False):
    """What every delta item has: its id, and `@removed` when it is gone from the round."""

    id: str
    removed: RemovedMark | None = field(name="@removed", default=None)


class ExtendedProperty(Struct, frozen=True, gc=False):
    id: str | None = None
    value: str | None = None


class Message(Item, frozen=True, gc=False, rename="camel"):
    """A message of a mail-folder delta (the `$select`ed header fields)."""

    internet_message_id: str | None = None
    subject: str | None = None
    from_: Recipient | None = field(name="from", default=None)
    to_recipients: list[Recipient | None] | None = None
    cc_recipients: list[Recipient | None] | None = None
    bcc_recipients: list[Recipient | None] | None = None
    received_date_time: str | None = None  # read by `base.utc`: 7 fractional digits, truncated
    sent_date_time: str | None = None
    is_draft: bool | None = None
    has_attachments: bool | None = None
    categories: list[str] | None = None
    web_link: str | None = None
    conversation_id: str | None = None
    single_value_extended_properties: list[ExtendedProperty] | None = None


class DateTimeZone(Struct, frozen=True, gc=False, rename="camel"):
    date_time: str | None = None
    time_zone: str | None = None


class ResponseStatus(Struct, frozen=True, gc=False):
    response: str | None = None


class Attendee(Struct, frozen=True, gc=False, rename="camel"):
    email_address: EmailAddress | None = None
    type: str | None = None
    status: ResponseStatus | None = None


class Event(Item, frozen=True, gc=False, rename="camel"):
    """An event of a calendarView delta (or of `GET /events/{id}`)."""

    ical_uid: str | None = field(name="iCalUId", default=None)
    subject: str | None = None
    start: DateTimeZone | None = None
    end: DateTimeZone | None = None
    organizer: Recipient | None = None
    attendees: list[Attendee | None] | None = None
    is_cancelled: bool | None = None
    is_online_meeting: bool | None = None
    is_all_day: bool | None = None
    sensitivity: str | None = None
    type: str | None = None
    series_master_id: str | None = None
    categories: list[str] | None = None
    web_link: str | None = None


class Page[T](Struct, frozen=True, gc=False):
    """A delta page: its items and the link to the next page or round."""

    value: list[T]
    next_link: str | None = field(name="@odata.nextLink", default=None)
    delta_link: str | None = field(name="@odata.deltaLink", default=None)


# The reason an item is counted under, by the Graph field a validation error is at;
# any other field gives `bad_<its name in snake case>`.
FIELD_REASONS = {
    "id": "no_id", "toRecipients": "bad_to", "ccRecipients": "bad_cc",
    "bccRecipients": "bad_bcc", "receivedDateTime": "bad_received",
    "sentDateTime": "bad_sent", "singleValueExtendedProperties": "bad_sensitivity",
    "iCalUId": "bad_ical_uid", "@removed": "bad_removed",
}  # fmt: skip
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_AT = " - at `$"


def reason(error: msgspec.ValidationError) -> str:
    """The short reason for an item that failed validation (decoded on its own, so the
    error's path starts at the item): `no_id`, `not_an_object`, `bad_to`, `bad_subject`…"""
    text = str(error)
    if text.startswith("Object missing required field `id`"):
        return "no_id"
    head, at, path = text.partition(_AT)
    if not at:
        return "not_an_object" if head.startswith("Expected `object`") else "invalid"
    name = re.split(r"[.\[`]", path.removeprefix("."), maxsplit=1)[0]
    return FIELD_REASONS.get(name) or "bad_" + _CAMEL.sub("_", name).lower()


class _Ident(Struct, gc=False):
    id: str


def item_id(raw: object) -> str:
    """The id of an item that failed validation, when it has a usable one ("" otherwise)."""
    try:
        if isinstance(raw, msgspec.Raw):
            return msgspec.json.decode(raw, type=_Ident).id
        return msgspec.convert(raw, _Ident).id
    except msgspec.ValidationError:
        return ""
