"""Malformed Graph pages, decoded by msgspec into Graph's schema (`connector/streams/schema.py`).

An item that does not match (a field of the wrong type, no id, not an object) is counted
`malformed:<why>`, logged with msgspec's message, and writes nothing; the other items of its
page are captured. A body that is not a delta page fails the stream with an error naming the
problem, and nothing of it is written.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from connector.errors import Action, GraphError
from connector.items import GraphEvent, GraphMessage, Removed, Skipped
from connector.streams import CalendarViewStream, MailFolderStream
from emulator import EmulatorServer
from emulator.generate import GeneratedData
from storage.models import InteractionLogEntry
from tests.support.sync import Syncer, a_contact_address, count, new_mail, users

MAIL = MailFolderStream("alice@contoso.com", "inbox")
CAL = CalendarViewStream("alice@contoso.com")


def _body(*items: Any, **links: str) -> bytes:
    page: dict[str, Any] = {"value": list(items)}
    page.update({f"@odata.{k}": v for k, v in links.items()})
    return json.dumps(page).encode()


def _message(item_id: str, **fields: Any) -> dict[str, Any]:
    return {"id": item_id, "internetMessageId": f"<{item_id}@x.test>",
            "from": {"emailAddress": {"address": "jane@fabrikam.com"}}, **fields}


def test_items_that_do_not_match_the_schema_are_skipped_alone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    body = _body(
        _message("m1", subject="Quote"),
        _message("m2", subject=12345),
        _message("m3", toRecipients="everyone"),
        _message("m4", isDraft="no"),
        {"subject": "no id"},
        ["not", "an", "object"],
        {"id": "m5", "@removed": {"reason": "deleted"}},
        nextLink="https://graph.test/next",
    )
    with caplog.at_level(logging.WARNING):
        page = MAIL.decode(body)

    assert isinstance(page.items[0], GraphMessage)
    assert page.items[0].subject == "Quote"
    assert page.items[1:] == [
        Skipped("m2", "bad_subject"), Skipped("m3", "bad_to"), Skipped("m4", "bad_is_draft"),
        Skipped("", "no_id"), Skipped("", "not_an_object"), Removed("m5", "deleted"),
    ]  # fmt: skip
    assert page.links == {"@odata.nextLink": "https://graph.test/next"}
    logged = caplog.text
    assert "Expected `str | null`, got `int` - at `$.subject`" in logged
    assert "'m3' skipped (malformed:bad_to)" in logged
    assert "Object missing required field `id`" in logged


@pytest.mark.parametrize(("event", "reason"), [
    ({"isCancelled": "yes"}, "bad_is_cancelled"),
    ({"attendees": "everyone"}, "bad_attendees"),
    ({"start": "2025-03-01T09:00:00"}, "bad_start"),
    ({"organizer": {"emailAddress": {"address": 42}}}, "bad_organizer"),
    ({"iCalUId": 7}, "bad_ical_uid"),
    ({"iCalUId": None}, "no_ical_uid"),
    ({"end": {"dateTime": "tomorrow", "timeZone": "UTC"}}, "bad_end"),
])  # fmt: skip
def test_an_event_of_the_wrong_shape_is_skipped_naming_its_field(
    event: dict[str, Any], reason: str
) -> None:
    good = {"id": "e1", "iCalUId": "uid-1", "subject": "Review",
            "start": {"dateTime": "2025-03-01T09:00:00.0000000", "timeZone": "UTC"},
            "end": {"dateTime": "2025-03-01T10:00:00.0000000", "timeZone": "UTC"}}
    assert isinstance(CAL.decode(_body(good, deltaLink="d")).items[0], GraphEvent)

    page = CAL.decode(_body({**good, **event}, deltaLink="d"))

    assert page.items == [Skipped("e1", reason)]
    assert CAL.parse_item({**good, **event}) == Skipped("e1", reason)  # a $batch answer


@pytest.mark.parametrize(("body", "problem"), [
    (b'{"value": "nope", "@odata.deltaLink": "d"}', "Expected `array`, got `str` - at `$.value`"),
    (b'{"@odata.nextLink": "n"}', "Object missing required field `value`"),
    (b'{"value": [], "@odata.nextLink": 5}', "got `int` - at `$.@odata.nextLink`"),
    (b"[1, 2]", "Expected `object`, got `array`"),
    (b"<html>Bad gateway</html>", "not JSON"),
])  # fmt: skip
def test_a_body_that_is_not_a_delta_page_fails_naming_the_problem(
    body: bytes, problem: str
) -> None:
    with pytest.raises(GraphError) as failed:
        MAIL.decode(body)
    assert failed.value.action is Action.RETRY
    assert failed.value.message.startswith("mail:inbox: ")
    assert problem in failed.value.message


def test_a_malformed_item_logs_nothing_and_its_page_is_captured(
    run_sync: Syncer, sync_db: Engine, emulator: EmulatorServer, data: GeneratedData,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    first = run_sync()
    assert first.ok, first.errors
    before = count(sync_db, InteractionLogEntry)
    alice, contact = users(data)[0], a_contact_address(data)
    emulator.state.add_message(alice, new_mail(1, contact, alice, subject=12345))
    emulator.state.add_message(alice, new_mail(2, contact, alice, toRecipients="everyone"))
    emulator.state.add_message(alice, new_mail(3, contact, alice))

    with caplog.at_level(logging.WARNING):
        summary = run_sync()

    assert summary.ok, summary.errors
    inbox = next(s for s in summary.streams if s.mailbox == alice and s.stream == "mail:inbox")
    assert (inbox.pages, inbox.outcome.items_seen) == (1, 3)
    assert +inbox.outcome.skipped == {"malformed:bad_subject": 1, "malformed:bad_to": 1}
    assert summary.total.entries_created == 1
    e = InteractionLogEntry
    assert count(sync_db, e) == before + 1
    assert count(sync_db, e, e.internet_message_id == "<new-3@example.test>") == 1
    assert count(sync_db, e, e.internet_message_id.in_(
        ["<new-1@example.test>", "<new-2@example.test>"])) == 0
    assert "got `int` - at `$.subject`" in caplog.text
