"""Paginator, failure table, retry loop, parsing and client set-up: no network."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from connector.errors import (
    Action,
    GraphError,
    RepeatedLinkError,
    classify,
    error_from_response,
    parse_retry_after,
)
from connector.graph.client import StaticTokenCredential, endpoint_for
from connector.items import GraphEvent, GraphMessage, Removed, Skipped
from connector.paging import GraphLinkPaginator
from connector.retry import RetryPolicy, with_retry
from connector.streams import CalendarViewStream, MailFolderStream
from interlog.config import ConfigError, GraphSettings, Secret
from tests.support.clock import FakeClock


def test_paginator_follows_next_links_then_stops_at_the_delta_link() -> None:
    pager = GraphLinkPaginator()
    assert pager.current_value is None
    pager.advance({"value": [], "@odata.nextLink": "https://g/next?1"})  # empty page, more
    assert (pager.current_value, pager.finished) == ("https://g/next?1", False)
    pager.advance({"value": [], "@odata.deltaLink": "https://g/delta?x"})
    assert (pager.finished, pager.delta_link, pager.next_link) == (True, "https://g/delta?x", None)


def test_paginator_refuses_a_repeated_link_and_a_page_without_links() -> None:
    pager = GraphLinkPaginator("https://g/next?1")
    with pytest.raises(RepeatedLinkError):
        pager.advance({"@odata.nextLink": "https://g/next?1"})
    with pytest.raises(GraphError, match="neither a nextLink nor a deltaLink"):
        GraphLinkPaginator().advance({"value": []})


@pytest.mark.parametrize(("status", "code", "action"), [
    (429, "ApplicationThrottled", Action.RETRY), (503, "", Action.RETRY),
    (504, "", Action.RETRY_SMALLER), (410, "", Action.RESYNC),
    (400, "SyncStateNotFound", Action.RESYNC), (404, "ErrorInvalidUser", Action.MAILBOX),
    (403, "ErrorAccessDenied", Action.MAILBOX), (401, "", Action.CONFIG),
    (404, "ErrorItemNotFound", Action.NOT_FOUND), (400, "BadRequest", Action.FATAL),
    (599, "", Action.RETRY),
])  # fmt: skip
def test_failures_are_classified_by_the_table(status: int, code: str, action: Action) -> None:
    assert classify(status, code) is action


def test_error_from_response_reads_graph_body_and_retry_after() -> None:
    body = json.dumps({"error": {"code": "ErrorAccessDenied", "message": "Access denied."}})
    err = error_from_response(403, {"retry-after": "7"}, body.encode(), "delta page")
    assert (err.action, err.status, err.code, err.retry_after) == (
        Action.MAILBOX, 403, "ErrorAccessDenied", 7.0)
    assert "Mail.Read and Calendars.Read" in err.message
    html = error_from_response(502, {}, b"<html>Bad gateway</html>", "delta page")
    assert (html.action, html.code) == (Action.RETRY, "")


def test_retry_after_as_seconds_and_as_http_date() -> None:
    now = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("300") == 300.0
    assert parse_retry_after("Wed, 01 Jan 2025 12:03:00 GMT", now) == 180.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None


def _flaky(errors: list[GraphError]) -> Any:
    calls = {"n": 0}

    async def call() -> str:
        calls["n"] += 1
        if errors:
            raise errors.pop(0)
        return "ok"

    return call, calls


def test_retry_honours_long_retry_after_through_the_clock() -> None:
    clock = FakeClock()
    throttled = [GraphError(Action.RETRY, "429", status=429, retry_after=600) for _ in range(2)]
    call, calls = _flaky(throttled)
    assert asyncio.run(with_retry(call, clock=clock, policy=RetryPolicy(max_retry_after=900))) \
        == "ok"
    assert calls["n"] == 3
    assert all(600 <= s <= 660 for s in clock.sleeps)


def test_retry_gives_up_after_max_attempts_and_never_retries_fatal_errors() -> None:
    clock = FakeClock()
    call, calls = _flaky([GraphError(Action.RETRY, "503", status=503) for _ in range(5)])
    with pytest.raises(GraphError, match="503"):
        asyncio.run(with_retry(call, clock=clock, policy=RetryPolicy(max_attempts=3)))
    assert calls["n"] == 3
    assert all(0 < s <= 2 for s in clock.sleeps)  # backoff with jitter, no Retry-After
    call, calls = _flaky([GraphError(Action.MAILBOX, "403", status=403)])
    with pytest.raises(GraphError, match="403"):
        asyncio.run(with_retry(call, clock=clock))
    assert calls["n"] == 1


def naive(*parts: int) -> datetime:
    """A naive UTC datetime, as the dataclasses carry them."""
    return datetime(*parts, tzinfo=UTC).replace(tzinfo=None)  # type: ignore[misc]


MAIL = MailFolderStream("alice@contoso.com", "inbox")
CAL = CalendarViewStream("alice@contoso.com")


def _msg(**fields: Any) -> dict[str, Any]:
    return {"id": "m1", "from": {"emailAddress": {"address": "Jane@Fabrikam.com"}}, **fields}


def test_message_parsing_is_tolerant_and_counts_what_it_cannot_read() -> None:
    huge = [{"emailAddress": {"address": f"p{i}@x.com"}} for i in range(5000)]
    parsed = MAIL.parse_item(_msg(toRecipients=huge, subject="Grüße — 見積もり ✓",
                                  receivedDateTime="2025-03-01T10:00:00.1234567Z"))
    assert isinstance(parsed, GraphMessage)
    assert (len(parsed.to), parsed.subject) == (5000, "Grüße — 見積もり ✓")
    assert parsed.sender is not None
    assert parsed.sender.address == "jane@fabrikam.com"
    assert parsed.received_at == naive(2025, 3, 1, 10, 0, 0, 123456)
    no_from = MAIL.parse_item({"id": "m2"})
    assert isinstance(no_from, GraphMessage)
    assert (no_from.sender, no_from.to, no_from.subject) == (None, (), "")
    assert MAIL.parse_item(_msg(toRecipients="everyone")) == Skipped("m1", "bad_to")
    assert MAIL.parse_item(_msg(receivedDateTime="yesterday")) == Skipped("m1", "bad_received")
    assert MAIL.parse_item({"subject": "no id"}) == Skipped("", "no_id")
    assert MAIL.parse_item(["not", "an", "object"]) == Skipped("", "not_an_object")
    assert MAIL.parse_item({"id": "m3", "@removed": {"reason": "deleted"}}) == Removed("m3")
    junk = _msg(toRecipients=[{"emailAddress": {"address": "not an address"}}, None])
    assert MAIL.parse_item(junk).to == ()  # type: ignore[union-attr]


def test_message_sensitivity_comes_from_the_mapi_property() -> None:
    prop = {"singleValueExtendedProperties": [{"id": "Integer 0x36", "value": "2"}]}
    assert MAIL.parse_item(_msg(**prop)).sensitivity == "private"  # type: ignore[union-attr]
    assert MAIL.parse_item(_msg()).sensitivity == "normal"  # type: ignore[union-attr]


def test_event_parsing_converts_times_and_refuses_what_it_cannot_place() -> None:
    raw = {"id": "e1", "iCalUId": "uid-1", "subject": "Review",
           "start": {"dateTime": "2025-03-01T09:00:00.0000000", "timeZone": "UTC"},
           "end": {"dateTime": "2025-03-01T10:30:00.0000000", "timeZone": "UTC"},
           "organizer": {"emailAddress": {"address": "alice@contoso.com"}},
           "attendees": [{"type": "required", "status": {"response": "accepted"},
                          "emailAddress": {"address": "jane@fabrikam.com"}}]}
    event = CAL.parse_item(raw)
    assert isinstance(event, GraphEvent)
    assert (event.start, event.end) == (naive(2025, 3, 1, 9), naive(2025, 3, 1, 10, 30))
    assert event.attendees[0].response == "accepted"
    assert CAL.parse_item({**raw, "iCalUId": None}) == Skipped("e1", "no_ical_uid")
    paris = {**raw, "start": {"dateTime": "2025-03-01T09:00:00", "timeZone": "Europe/Paris"}}
    assert CAL.parse_item(paris) == Skipped("e1", "start_not_utc")
    assert CAL.parse_item({**raw, "end": None}) == Skipped("e1", "no_end")


@pytest.mark.parametrize(("cloud", "host"), [
    ("global", "graph.microsoft.com"), ("usgov", "graph.microsoft.us"),
    ("usgov-dod", "dod-graph.microsoft.us"), ("china", "microsoftgraph.chinacloudapi.cn"),
])  # fmt: skip
def test_national_clouds_get_their_host_scope_and_token_allow_list(cloud: str, host: str) -> None:
    ep = endpoint_for(GraphSettings(cloud=cloud))
    assert (ep.base_url, ep.scope, ep.allowed_hosts) == (
        f"https://{host}/v1.0", f"https://{host}/.default", (host,))


def test_base_url_override_and_static_token_rules() -> None:
    ep = endpoint_for(GraphSettings(base_url="http://127.0.0.1:8765/v1.0/",
                                    static_token=Secret("t")))
    assert (ep.base_url, ep.allowed_hosts) == ("http://127.0.0.1:8765/v1.0", ("127.0.0.1",))
    assert ep.scope == "https://graph.microsoft.com/.default"  # never the emulator's host
    with pytest.raises(ConfigError, match="static_token"):
        endpoint_for(GraphSettings(base_url="https://graph.example.com/v1.0",
                                   static_token=Secret("t")))
    with pytest.raises(ConfigError, match="loopback"):
        endpoint_for(GraphSettings(base_url="http://emulator:8765/v1.0"))
    with pytest.raises(ConfigError, match="cloud"):
        endpoint_for(GraphSettings(cloud="mars"))
    assert "secret-token-value" not in repr(StaticTokenCredential("secret-token-value"))
