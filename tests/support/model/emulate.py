"""A history's actions as emulator state changes (`emulator/state.py`'s Python API): Graph's
own JSON for each mailbox's copy of a message or meeting."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from emulator.state import Store
from tests.support.model.world import (
    Action,
    MailChange,
    MailDelete,
    MailMove,
    Meet,
    MeetAttendee,
    MeetCancel,
    MeetDrop,
    Meeting,
    MeetMove,
    Occurrence,
    Send,
    World,
    mail_copies,
)

CHANGES: dict[str, dict[str, Any]] = {
    "read": {"isRead": True}, "flag": {"flag": {"flagStatus": "flagged"}},
    "category": {"categories": ["Blue category"]},
}  # fmt: skip


def copy_id(key: str, mailbox: str) -> str:
    """The Graph id of `mailbox`'s copy; an occurrence `KEY_YYYYMMDD` keeps its suffix."""
    base, _, stamp = key.strip("<>").split("@")[0].partition("_")
    return f"{base}-{mailbox.split('@')[0]}" + (f"_{stamp}" if stamp else "")


def _address(a: str) -> dict[str, Any]:
    return {"emailAddress": {"address": a, "name": a.split("@")[0].title()}}


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _dt(moment: datetime) -> dict[str, str]:
    return {"dateTime": moment.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"}


def apply(store: Store, world: World, action: Action) -> None:
    """Make the emulator hold what `world` (already changed by `action`) holds."""
    match action:
        case Send(mail):
            for mailbox, folder in mail_copies(mail):
                store.add_message(mailbox, {
                    "id": copy_id(mail.key, mailbox), "internetMessageId": mail.key,
                    "subject": f"Subject {mail.key}", "from": _address(mail.sender),
                    "sender": _address(mail.sender),
                    "toRecipients": [_address(a) for a in mail.to],
                    "ccRecipients": [_address(a) for a in mail.cc],
                    "bccRecipients": [_address(a) for a in mail.bcc if mailbox == mail.sender],
                    "receivedDateTime": _stamp(mail.when), "sentDateTime": _stamp(mail.when),
                    "isDraft": mail.draft, "isRead": False, "parentFolderId": folder,
                })  # fmt: skip
        case MailChange(mailbox, key, change):
            store.update_message(mailbox, copy_id(key, mailbox), CHANGES[change])
        case MailMove(mailbox, key, folder):
            store.update_message(mailbox, copy_id(key, mailbox), {"parentFolderId": folder})
        case MailDelete(mailbox, key):
            store.delete_message(mailbox, copy_id(key, mailbox))
        case Meet(meeting):
            for mailbox in world.series_of(meeting.key)[0].holders:
                store.add_event(mailbox, _event(meeting, mailbox))
        case MeetMove(key) | MeetAttendee(key):
            _update(store, world.meetings[key])
        case MeetCancel(key, delete):
            _cancel(store, world, key, delete)
        case MeetDrop(key, mailbox):
            store.delete_event(mailbox, copy_id(key, mailbox))


def _event(m: Meeting, mailbox: str) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "id": copy_id(m.key, mailbox), "iCalUId": m.key, "subject": f"Meeting {m.key}",
        "start": _dt(m.start), "end": _dt(m.start + timedelta(minutes=m.minutes)),
        "isAllDay": m.all_day, "isCancelled": False, "isOrganizer": mailbox == m.organizer,
        "organizer": _address(m.organizer), "sensitivity": "normal", "showAs": "busy",
        "attendees": [_attendee(a, "none") for a in m.attendees], "type": "singleInstance",
    }  # fmt: skip
    if m.occurrences:
        raw["type"] = "seriesMaster"
        raw["recurrence"] = {
            "pattern": {"type": "weekly", "interval": 1,
                        "daysOfWeek": [m.start.strftime("%A").lower()]},
            "range": {"type": "numbered", "startDate": m.start.date().isoformat(),
                      "numberOfOccurrences": m.occurrences},
        }  # fmt: skip
    return raw


def _attendee(address: str, response: str) -> dict[str, Any]:
    return {**_address(address), "type": "required", "status": {"response": response}}


def _state(occ: Occurrence) -> dict[str, Any]:
    return {
        "start": _dt(occ.start), "end": _dt(occ.start + timedelta(minutes=occ.minutes)),
        "attendees": [_attendee(a, r) for a, r in occ.attendees],
        "isCancelled": occ.canceled,
    }  # fmt: skip


def _update(store: Store, occ: Occurrence) -> None:
    """Every copy of one meeting (or one occurrence: it becomes an exception) as it is now."""
    for mailbox in sorted(occ.holders):
        try:
            store.update_event(mailbox, copy_id(occ.key, mailbox), _state(occ))
        except KeyError:  # an internal attendee just added: their copy arrives
            people = tuple(a for a, _ in occ.attendees)
            meeting = Meeting(occ.key, occ.organizer, people, occ.start, occ.minutes, occ.all_day)
            store.add_event(mailbox, {**_event(meeting, mailbox), **_state(occ)})


def _cancel(store: Store, world: World, key: str, delete: bool) -> None:
    group = world.series_of(key)
    organizer = group[0].organizer
    if delete:
        store.delete_event(organizer, copy_id(key, organizer))
    boxes = sorted({b for occ in group for b in occ.holders})
    for mailbox in boxes:
        if key not in world.meetings:  # a whole series: its master and its exceptions
            store.update_event(mailbox, copy_id(key, mailbox), {"isCancelled": True})
        for occ in group:
            if key in world.meetings or occ.moved:
                store.update_event(mailbox, copy_id(occ.key, mailbox), {"isCancelled": True})
