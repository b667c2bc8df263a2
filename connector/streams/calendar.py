"""`CalendarViewStream`: calendarView delta of a mailbox's primary calendar, in UTC.

calendarView delta takes no `$select`; the window is fixed when a round opens (it is
encoded in the links), so `connector/sync/engine.py` opens a new round when the window is stale.
"""

from __future__ import annotations

from datetime import datetime

from kiota_abstractions.request_information import RequestInformation
from msgraph.generated.users.item.calendar_view.delta.delta_request_builder import (
    DeltaRequestBuilder,
)

from connector.graph.client import GraphClient
from connector.items import Attendee, GraphEvent
from connector.streams import schema
from connector.streams.base import Malformed, Stream, Window, address, configure, utc
from storage.vocabulary import StreamKind

UTC_NAMES = frozenset({"utc", "etc/utc", "z", "gmt", "coordinated universal time", ""})


def iso_z(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def event_time(value: schema.DateTimeZone | None, field: str) -> datetime:
    """`{"dateTime": "…0000000", "timeZone": "UTC"}` → naive UTC (we always ask for UTC)."""
    if value is None:
        raise Malformed(f"no_{field}")
    zone = value.time_zone
    if zone is not None and zone.strip().lower() not in UTC_NAMES:
        raise Malformed(f"{field}_not_utc")
    parsed = utc(value.date_time, field)
    if parsed is None:
        raise Malformed(f"no_{field}")
    return parsed


def attendees(values: list[schema.Attendee | None] | None) -> tuple[Attendee, ...]:
    out = []
    for item in values or ():
        found = address(item)
        if found is None or item is None:
            continue
        response = item.status.response if item.status is not None else None
        out.append(Attendee(found, item.type or "required", response or "none"))
    return tuple(out)


class CalendarViewStream(Stream):
    """`GET /users/{user}/calendarView/delta?startDateTime&endDateTime`."""

    kind = StreamKind.CALENDAR
    wire_type = schema.Event
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

    def convert(self, wire: schema.Event) -> GraphEvent:
        if not wire.ical_uid:
            raise Malformed("no_ical_uid")
        return GraphEvent(
            id=wire.id,
            ical_uid=wire.ical_uid,
            subject=wire.subject or "",
            start=event_time(wire.start, "start"),
            end=event_time(wire.end, "end"),
            organizer=address(wire.organizer),
            attendees=attendees(wire.attendees),
            is_cancelled=wire.is_cancelled is True,
            is_online_meeting=wire.is_online_meeting is True,
            is_all_day=wire.is_all_day is True,
            sensitivity=wire.sensitivity or "normal",
            type=wire.type or "singleInstance",
            series_master_id=wire.series_master_id or None,
            categories=tuple(wire.categories) if wire.categories else (),
            web_link=wire.web_link or None,
        )
