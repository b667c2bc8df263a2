"""The captured items kept in the database: `GraphMessage` / `GraphEvent` ⇄ compact JSON.

This is interlog's own format (field names of `connector/items.py`, defaults left out,
addresses as `[address, name]`, dates as naive-UTC ISO text), never Graph's JSON: raw Graph
JSON still stops at the stream boundary. Capture keeps it in `captured_items.item` so that a
meeting can be logged when it starts, and an item planned again for a contact added later,
with no Graph request. `item_from_json(item_to_json(x)) == x` for every item.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from connector.items import Address, Attendee, GraphEvent, GraphMessage

_MESSAGE = "m"
_EVENT = "e"
# Compact UTF-8 text, as json.dumps(ensure_ascii=False) wrote it; naive datetimes as
# isoformat() gives them (msgspec encodes them in C).
_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode


def _addr(a: Address) -> list[str]:
    return [a.address, a.name] if a.name else [a.address]


def _from_addr(value: list[str]) -> Address:
    return Address(*value)


def _from_when(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _message(m: GraphMessage, subject: str) -> dict[str, Any]:
    out: dict[str, Any] = {"t": _MESSAGE, "id": m.id, "imid": m.internet_message_id,
                           "subject": subject, "received": m.received_at, "sent": m.sent_at}
    # Plain ifs, not a loop over (name, value, default): capture writes thousands a second.
    if m.sender is not None:
        out["from"] = _addr(m.sender)
    if m.to:
        out["to"] = [_addr(p) for p in m.to]
    if m.cc:
        out["cc"] = [_addr(p) for p in m.cc]
    if m.bcc:
        out["bcc"] = [_addr(p) for p in m.bcc]
    if m.is_draft:
        out["draft"] = True
    if m.has_attachments:
        out["attachments"] = True
    if m.categories:
        out["categories"] = list(m.categories)
    if m.web_link is not None:
        out["link"] = m.web_link
    if m.sensitivity != "normal":
        out["sensitivity"] = m.sensitivity
    if m.folder:
        out["folder"] = m.folder
    if m.conversation_id is not None:
        out["conversation"] = m.conversation_id
    return out


def _event(e: GraphEvent, subject: str) -> dict[str, Any]:
    out: dict[str, Any] = {"t": _EVENT, "id": e.id, "uid": e.ical_uid, "subject": subject,
                           "start": e.start, "end": e.end}
    if e.organizer is not None:
        out["organizer"] = _addr(e.organizer)
    if e.attendees:
        out["attendees"] = [_attendee_json(a) for a in e.attendees]
    for name, value, default in (
        ("cancelled", e.is_cancelled, False), ("online", e.is_online_meeting, False),
        ("all_day", e.is_all_day, False), ("sensitivity", e.sensitivity, "normal"),
        ("type", e.type, "singleInstance"), ("master", e.series_master_id, None),
        ("categories", list(e.categories), []), ("link", e.web_link, None),
    ):  # fmt: skip
        if value != default:
            out[name] = value
    return out


def _attendee_json(a: Attendee) -> list[str]:
    if (a.type, a.response) == ("required", "none"):
        return _addr(a.address)
    return [a.address.address, a.address.name, a.type, a.response]


def item_to_json(item: GraphMessage | GraphEvent, *, subject: str | None = None) -> str:
    """Compact JSON text of a message or event (see the module docstring); `subject`, when
    given, is kept instead of the item's own (capture keeps the one its entries get)."""
    text = item.subject if subject is None else subject
    if isinstance(item, GraphMessage):
        return _encode(_message(item, text)).decode()
    return _encode(_event(item, text)).decode()


def item_from_json(text: str) -> GraphMessage | GraphEvent:
    """The item `item_to_json` wrote. Raises ValueError on text it did not write."""
    data = _decode(text)
    kind = data.get("t") if isinstance(data, dict) else None
    if kind == _MESSAGE:
        return _message_from(data)
    if kind == _EVENT:
        return _event_from(data)
    raise ValueError(f"not a captured item: {text[:80]!r}")


def _message_from(d: dict[str, Any]) -> GraphMessage:
    sender = d.get("from")
    return GraphMessage(
        id=d["id"], internet_message_id=d["imid"], subject=d["subject"],
        sender=None if sender is None else _from_addr(sender),
        to=tuple(_from_addr(p) for p in d.get("to", ())),
        cc=tuple(_from_addr(p) for p in d.get("cc", ())),
        bcc=tuple(_from_addr(p) for p in d.get("bcc", ())),
        received_at=_from_when(d["received"]), sent_at=_from_when(d["sent"]),
        is_draft=d.get("draft", False), has_attachments=d.get("attachments", False),
        categories=tuple(d.get("categories", ())), web_link=d.get("link"),
        sensitivity=d.get("sensitivity", "normal"), folder=d.get("folder", ""),
        conversation_id=d.get("conversation"),
    )


def _attendee(value: list[str]) -> Attendee:
    if len(value) <= 2:
        return Attendee(_from_addr(value))
    address, name, type_, response = value
    return Attendee(Address(address, name), type_, response)


def _event_from(d: dict[str, Any]) -> GraphEvent:
    organizer = d.get("organizer")
    return GraphEvent(
        id=d["id"], ical_uid=d["uid"], subject=d["subject"],
        start=datetime.fromisoformat(d["start"]), end=datetime.fromisoformat(d["end"]),
        organizer=None if organizer is None else _from_addr(organizer),
        attendees=tuple(_attendee(a) for a in d.get("attendees", ())),
        is_cancelled=d.get("cancelled", False), is_online_meeting=d.get("online", False),
        is_all_day=d.get("all_day", False), sensitivity=d.get("sensitivity", "normal"),
        type=d.get("type", "singleInstance"), series_master_id=d.get("master"),
        categories=tuple(d.get("categories", ())), web_link=d.get("link"),
    )
