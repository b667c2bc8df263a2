"""`CalendarViewStream`: calendarView delta of a mailbox's primary calendar, in UTC.

calendarView delta takes no `$select`; the window is fixed when a round opens (it is
encoded in the links), so `connector/sync/engine.py` opens a new round when the window is stale.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kiota_abstractions.request_information import RequestInformation
from msgraph.generated.users.item.calendar_view.delta.delta_request_builder import (
    DeltaRequestBuilder,
)

from connector.graph.client import GraphClient
from connector.items import Attendee, GraphEvent
from connector.streams.base import (
    Malformed,
    Stream,
    Window,
    address,
    configure,
    flag,
    optional_text,
    strings,
    text,
    utc,
)
from storage.vocabulary import StreamKind

UTC_NAMES = frozenset({"utc", "etc/utc", "z", "gmt", "coordinated universal time", ""})


def iso_z(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def event_time(value: Any, field: str) -> datetime:
    """`{"dateTime": "…0000000", "timeZone": "UTC"}` → naive UTC (we always ask for UTC)."""
    if not isinstance(value, dict):
        raise Malformed(f"no_{field}")
    zone = value.get("timeZone")
    if isinstance(zone, str) and zone.strip().lower() not in UTC_NAMES:
        raise Malformed(f"{field}_not_utc")
    parsed = utc(value.get("dateTime"), field)
    if parsed is None:
        raise Malformed(f"no_{field}")
    return parsed


def attendees(value: Any) -> tuple[Attendee, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise Malformed("bad_attendees")
    out = []
    for item in value:
        found = address(item)
        if found is None:
            continue
        status = item.get("status") if isinstance(item.get("status"), dict) else {}
        out.append(
            Attendee(found, text(item, "type", "required"), text(status, "response", "none"))
        )
    return tuple(out)


class CalendarViewStream(Stream):
    """`GET /users/{user}/calendarView/delta?startDateTime&endDateTime`."""

    kind = StreamKind.CALENDAR
    path = "/users/{user}/calendarView/delta"

    @staticmethod
    def prefer(page_size: int) -> list[str]:
        return [
            f"odata.maxpagesize={page_size}", 'IdType="ImmutableId"', 'outlook.timezone="UTC"'
        ]  # fmt: skip

    def _builder(self, client: GraphClient) -> DeltaRequestBuilder:
        return client.sdk.users.by_user_id(self.mailbox).calendar_view.delta

    def first_request(
        self, client: GraphClient, page_size: int, window: Window | None
    ) -> RequestInformation:
        if window is None:
            raise ValueError("a calendarView round needs a window")
        query = DeltaRequestBuilder.DeltaRequestBuilderGetQueryParameters(
            start_date_time=iso_z(window.start), end_date_time=iso_z(window.end)
        )
        config = configure(self.prefer(page_size), query)
        return self._builder(client).to_get_request_information(config)

    def link_request(self, client: GraphClient, link: str, page_size: int) -> RequestInformation:
        builder = self._builder(client).with_url(link)
        return builder.to_get_request_information(configure(self.prefer(page_size)))

    def event_request(self, client: GraphClient, event_id: str) -> RequestInformation:
        """`GET /users/{user}/events/{id}`: checks whether an `@removed` event still exists."""
        builder = client.sdk.users.by_user_id(self.mailbox).events.by_event_id(event_id)
        return builder.to_get_request_information(configure(self.prefer(1)[1:]))

    def parse(self, raw: dict[str, Any]) -> GraphEvent:
        ical_uid = optional_text(raw, "iCalUId")
        if ical_uid is None:
            raise Malformed("no_ical_uid")
        return GraphEvent(
            id=raw["id"],
            ical_uid=ical_uid,
            subject=text(raw, "subject"),
            start=event_time(raw.get("start"), "start"),
            end=event_time(raw.get("end"), "end"),
            organizer=address(raw.get("organizer")),
            attendees=attendees(raw.get("attendees")),
            is_cancelled=flag(raw, "isCancelled"),
            is_online_meeting=flag(raw, "isOnlineMeeting"),
            is_all_day=flag(raw, "isAllDay"),
            sensitivity=text(raw, "sensitivity", "normal") or "normal",
            type=text(raw, "type", "singleInstance") or "singleInstance",
            series_master_id=optional_text(raw, "seriesMasterId"),
            categories=strings(raw, "categories"),
            web_link=optional_text(raw, "webLink"),
        )
