"""Calendar part of the generator: meetings, series, canceled and private events."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from . import names

if TYPE_CHECKING:
    from .generate import Person

FMT = "%Y-%m-%dT%H:%M:%S.0000000"


def _hex(rng: random.Random, n: int) -> str:
    return f"{rng.getrandbits(n * 4):0{n}x}"


def _attendee(person: Person, response: str, kind: str = "required") -> dict[str, Any]:
    return {
        "type": kind,
        "status": {"response": response, "time": "0001-01-01T00:00:00Z"},
        "emailAddress": {"name": person.name, "address": person.address},
    }


class _EventFactory:
    def __init__(self, rng: random.Random, reference: datetime) -> None:
        self.rng, self.reference = rng, reference

    def slot(self) -> tuple[datetime, datetime]:
        day = self.reference + timedelta(days=self.rng.randrange(-60, 90))
        start = day.replace(hour=self.rng.randrange(8, 17), minute=self.rng.choice([0, 30]))
        return start, start + timedelta(minutes=self.rng.choice([30, 60, 90]))

    def event(
        self, organizer: Person, attendees: list[dict[str, Any]], subject: str, uid: str
    ) -> dict[str, Any]:
        start, end = self.slot()
        item_id = f"AAMkAG{_hex(self.rng, 40)}AAA="
        online = self.rng.random() < 0.4
        out: dict[str, Any] = {
            "id": item_id, "iCalUId": uid, "subject": subject,
            "start": {"dateTime": start.strftime(FMT), "timeZone": "UTC"},
            "end": {"dateTime": end.strftime(FMT), "timeZone": "UTC"},
            "organizer": {"emailAddress": {"name": organizer.name, "address": organizer.address}},
            "attendees": attendees, "isCancelled": False, "isOnlineMeeting": online,
            "onlineMeetingProvider": "teamsForBusiness" if online else "unknown",
            "sensitivity": "normal", "type": "singleInstance", "seriesMasterId": None,
            "categories": [], "showAs": "busy", "isAllDay": False,
            "webLink": f"https://outlook.office365.com/owa/?itemid={item_id}&exvsurl=1&path=/calendar/item",
        }  # fmt: skip
        if online:
            out["onlineMeeting"] = {
                "joinUrl": f"https://teams.microsoft.com/l/meetup-join/{uid[:16]}"
            }
        return out

    def copy_for(self, event: dict[str, Any]) -> dict[str, Any]:
        """The same meeting in another attendee's calendar: same iCalUId, its own id."""
        item_id = f"AAMkAG{_hex(self.rng, 40)}AAA="
        web = f"https://outlook.office365.com/owa/?itemid={item_id}&exvsurl=1&path=/calendar/item"
        return {**event, "id": item_id, "webLink": web}


def _series(f: _EventFactory, owner: Person, ext: Person, topic: str) -> list[dict[str, Any]]:
    uid = "040000008200E00074C5B7101A82E008" + _hex(f.rng, 40).upper()
    attendees = [_attendee(owner, "organizer"), _attendee(ext, "accepted")]
    master = f.event(owner, attendees, f"Weekly {topic} check-in", uid)
    first = datetime.fromisoformat(master["start"]["dateTime"][:19]) - timedelta(days=28)
    length = datetime.fromisoformat(master["end"]["dateTime"][:19]) - first - timedelta(days=28)
    day = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    master.update(
        type="seriesMaster",
        start={"dateTime": first.strftime(FMT), "timeZone": "UTC"},
        end={"dateTime": (first + length).strftime(FMT), "timeZone": "UTC"},
        recurrence={
            "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": [day[first.weekday()]],
                        "firstDayOfWeek": "monday"},
            "range": {"type": "numbered", "startDate": first.date().isoformat(),
                      "numberOfOccurrences": 10, "recurrenceTimeZone": "UTC"},
        },
    )  # fmt: skip
    moved = first + timedelta(days=14)
    exception = {
        **master, "id": f"AAMkAG{_hex(f.rng, 40)}AAA=", "iCalUId": f"{uid}_exc",
        "type": "exception", "seriesMasterId": master["id"], "recurrence": None,
        "originalStart": moved.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "start": {"dateTime": (moved + timedelta(hours=1)).strftime(FMT), "timeZone": "UTC"},
        "end": {"dateTime": (moved + timedelta(hours=1) + length).strftime(FMT), "timeZone": "UTC"},
    }  # fmt: skip
    return [master, exception]


def make_events(
    rng: random.Random, reference: datetime, staff: list[Person], people: list[Person], per: int
) -> dict[str, list[dict[str, Any]]]:
    """Events per mailbox: each mailbox gets about ``per`` events (a series counts once)."""
    f = _EventFactory(rng, reference)
    boxes: dict[str, list[dict[str, Any]]] = {p.address: [] for p in staff}
    counts = dict.fromkeys(boxes, 0)
    while any(c < per for c in counts.values()):
        for o, owner in enumerate(staff):
            if counts[owner.address] >= per:
                continue
            topic = rng.choice(names.TOPICS)
            ext = rng.choice(people)
            if counts[owner.address] == 0 and per >= 3:
                boxes[owner.address].extend(_series(f, owner, ext, topic))
                counts[owner.address] += 1
                continue
            colleague = staff[(o + 1 + rng.randrange(max(1, len(staff) - 1))) % len(staff)]
            _one_event(f, rng, owner, colleague, ext, people, topic, boxes, counts, per)
    return boxes


def _one_event(
    f: _EventFactory, rng: random.Random, owner: Person, colleague: Person, ext: Person,
    people: list[Person], topic: str, boxes: dict[str, list[dict[str, Any]]],
    counts: dict[str, int], per: int,
) -> None:  # fmt: skip
    uid = "040000008200E00074C5B7101A82E008" + _hex(rng, 40).upper()
    roll = rng.random()
    subject = rng.choice(names.MEETINGS).format(t=topic)
    share = colleague != owner and rng.random() < 0.35
    guests = [_attendee(ext, rng.choice(["accepted", "tentativelyAccepted", "none"]))]
    if rng.random() < 0.3:
        guests.append(_attendee(rng.choice(people), "none", "optional"))
    inside = [_attendee(colleague, "accepted")] if share else []
    if roll < 0.2:
        event = f.event(ext, [_attendee(owner, "accepted"), *inside, *guests], subject, uid)
    elif roll < 0.3:
        event = f.event(owner, [_attendee(owner, "organizer"), _attendee(colleague, "accepted")],
                        f"Internal: {topic}", uid)  # fmt: skip
        share = colleague != owner
    else:
        event = f.event(owner, [_attendee(owner, "organizer"), *inside, *guests], subject, uid)
    if 0.3 <= roll < 0.4:
        event.update(isCancelled=True, subject=f"Canceled: {subject}", showAs="free")
    elif 0.4 <= roll < 0.5:
        event["sensitivity"] = "private"
    elif 0.5 <= roll < 0.55:
        start = datetime.fromisoformat(event["start"]["dateTime"][:19]).replace(hour=0, minute=0)
        event.update(
            isAllDay=True, isOnlineMeeting=False, showAs="free",
            start={"dateTime": start.strftime(FMT), "timeZone": "UTC"},
            end={"dateTime": (start + timedelta(days=1)).strftime(FMT), "timeZone": "UTC"},
        )  # fmt: skip
        event.pop("onlineMeeting", None)
    boxes[owner.address].append(event)
    counts[owner.address] += 1
    if share and counts[colleague.address] < per:
        boxes[colleague.address].append(f.copy_for(event))
        counts[colleague.address] += 1
