"""The real msgraph-sdk pages through the emulator's delta endpoints into its own models."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.models.event import Event
from msgraph.generated.models.message import Message
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.users.item.calendar_view.delta.delta_request_builder import (
    DeltaRequestBuilder as CalendarDelta,
)
from msgraph.generated.users.item.mail_folders.item.messages.delta.delta_request_builder import (
    DeltaRequestBuilder as MessagesDelta,
)

from emulator import EmulatorServer
from tests.support.builders import ALICE, graph_event, graph_message
from tests.support.emulator import sdk_client

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WINDOW = {"start_date_time": "2024-05-01T00:00:00Z", "end_date_time": "2024-06-01T00:00:00Z"}


def _config(query: Any = None, prefer: tuple[str, ...] = ("odata.maxpagesize=10",)) -> Any:
    config = RequestConfiguration(query_parameters=query)
    for value in prefer:
        config.headers.add("Prefer", value)
    return config


async def _sync_folder(
    emu: EmulatorServer, folder: str, link: str | None = None, **kw: Any
) -> tuple[list[Message], list[str], str, int]:
    client = sdk_client(emu)
    rb = client.users.by_user_id(ALICE).mail_folders.by_mail_folder_id(folder).messages.delta
    prefer = kw.pop("prefer", ("odata.maxpagesize=10",))
    query = MessagesDelta.DeltaRequestBuilderGetQueryParameters(**kw) if kw else None
    page = await (rb.with_url(link) if link else rb).get(
        request_configuration=_config(query, prefer)
    )
    upserts: list[Message] = []
    removed: list[str] = []
    pages = 0
    while True:
        assert page is not None
        pages += 1
        for item in page.value or []:
            if "@removed" in (item.additional_data or {}):
                removed.append(str(item.id))
            else:
                upserts.append(item)
        if page.odata_next_link:
            page = await rb.with_url(page.odata_next_link).get(
                request_configuration=_config(None, prefer)
            )
            continue
        assert page.odata_delta_link
        return upserts, removed, page.odata_delta_link, pages


def test_sdk_pages_through_folder_delta_then_gets_a_delta_link(emu: EmulatorServer) -> None:
    upserts, removed, link, pages = asyncio.run(_sync_folder(emu, "inbox"))
    assert len(upserts) == 25
    assert removed == []
    assert pages == 3
    assert all(isinstance(m, Message) for m in upserts)
    first = next(m for m in upserts if m.id == "msg-0000")
    assert first.from_ is not None
    assert first.from_.email_address is not None
    assert first.from_.email_address.name == "José Pérez"
    assert first.received_date_time is not None
    assert first.received_date_time.tzinfo is not None
    assert "mailfolders('" in link
    assert "$deltatoken=" in link


def test_second_round_returns_only_adds_updates_and_deletes(emu: EmulatorServer) -> None:
    _, _, link, _ = asyncio.run(_sync_folder(emu, "inbox"))
    emu.state.add_message(ALICE, graph_message(500, subject="New one"))
    emu.state.update_message(ALICE, "msg-0003", {"subject": "Changed"})
    emu.state.delete_message(ALICE, "msg-0004")
    emu.state.update_message(ALICE, "msg-0005", {"parentFolderId": "archive"})
    upserts, removed, link2, _ = asyncio.run(_sync_folder(emu, "inbox", link))
    assert sorted(str(m.id) for m in upserts) == ["msg-0003", "msg-0500"]
    assert {m.id: m.subject for m in upserts}["msg-0003"] == "Changed"
    assert sorted(removed) == ["msg-0004", "msg-0005"]
    again = asyncio.run(_sync_folder(emu, "inbox", link2))
    assert again[0] == []
    assert again[1] == []


def test_change_type_filter_limits_the_round(emu: EmulatorServer) -> None:
    _, _, link, _ = asyncio.run(_sync_folder(emu, "inbox", change_type="created"))
    emu.state.add_message(ALICE, graph_message(501))
    emu.state.update_message(ALICE, "msg-0001", {"subject": "x"})
    emu.state.delete_message(ALICE, "msg-0002")
    upserts, removed, _, _ = asyncio.run(_sync_folder(emu, "inbox", link))
    assert [m.id for m in upserts] == ["msg-0501"]
    assert removed == []


def test_expired_or_unknown_token_is_410_sync_state_not_found(emu: EmulatorServer) -> None:
    _, _, link, _ = asyncio.run(_sync_folder(emu, "inbox"))
    emu.state.expire_tokens(ALICE)
    with pytest.raises(ODataError) as caught:
        asyncio.run(_sync_folder(emu, "inbox", link))
    assert caught.value.response_status_code == 410
    assert caught.value.error is not None
    assert caught.value.error.code == "syncStateNotFound"
    bogus = link.split("$deltatoken=")[0] + "$deltatoken=not-a-token"
    with pytest.raises(ODataError):
        asyncio.run(_sync_folder(emu, "inbox", bogus))
    upserts, _, _, _ = asyncio.run(_sync_folder(emu, "inbox"))  # a full resync works
    assert len(upserts) == 25


def test_select_returns_only_selected_fields(emu: EmulatorServer) -> None:
    upserts, _, _, _ = asyncio.run(_sync_folder(emu, "inbox", select=["subject", "from"]))
    message = upserts[0]
    assert message.subject
    assert message.from_ is not None
    assert message.received_date_time is None
    assert message.internet_message_id is None


def test_maxpagesize_is_honoured_up_to_the_cap(emu_factory: Any) -> None:
    emu = emu_factory(max_page_size=7)
    _, _, _, pages = asyncio.run(_sync_folder(emu, "inbox", prefer=("odata.maxpagesize=500",)))
    assert pages == 4  # 25 messages / 7 per page


def test_immutable_ids_differ_in_form_and_are_stable(emu: EmulatorServer) -> None:
    prefer = ('IdType="ImmutableId"', "odata.maxpagesize=50")
    first, _, _, _ = asyncio.run(_sync_folder(emu, "inbox", prefer=prefer))
    second, _, _, _ = asyncio.run(_sync_folder(emu, "inbox", prefer=prefer))
    ids = sorted(str(m.id) for m in first)
    assert ids == sorted(str(m.id) for m in second)
    assert "msg-0000" not in ids
    client = sdk_client(emu)
    got = asyncio.run(client.users.by_user_id(ALICE).messages.by_message_id(ids[0]).get())
    assert got is not None
    assert got.subject


async def _calendar(emu: EmulatorServer, link: str | None = None, tz: str = "UTC") -> Any:
    client = sdk_client(emu)
    rb = client.users.by_user_id(ALICE).calendar_view.delta
    query = None if link else CalendarDelta.DeltaRequestBuilderGetQueryParameters(**WINDOW)
    prefer = ("odata.maxpagesize=3", f'outlook.timezone="{tz}"')
    page = await (rb.with_url(link) if link else rb).get(
        request_configuration=_config(query, prefer)
    )
    events: list[Event] = []
    removed: list[str] = []
    while True:
        for item in page.value or []:
            (removed.append(str(item.id)) if "@removed" in (item.additional_data or {})
             else events.append(item))  # fmt: skip
        if not page.odata_next_link:
            return events, removed, page.odata_delta_link
        page = await rb.with_url(page.odata_next_link).get(
            request_configuration=_config(None, prefer)
        )


def test_calendar_view_delta_expands_series_and_keeps_flags(emu: EmulatorServer) -> None:
    events, removed, link = asyncio.run(_calendar(emu))
    by_id = {e.id: e for e in events}
    assert removed == []
    assert link
    occurrences = [e for e in events if e.series_master_id == "series-1"]
    assert len(occurrences) == 4
    assert "series-1" not in by_id
    assert len({e.i_cal_u_id for e in occurrences}) == 4  # each occurrence its own iCalUId
    assert by_id["ev-private"].sensitivity is not None
    assert by_id["ev-private"].sensitivity.value == "private"
    assert by_id["ev-canceled"].is_cancelled is True
    assert "ev-june" not in by_id
    start = by_id["ev-1"].start
    assert start is not None
    assert start.date_time == "2024-05-02T09:00:00.0000000"


def test_calendar_round_two_reports_moves_out_of_window_as_removed(emu: EmulatorServer) -> None:
    _, _, link = asyncio.run(_calendar(emu))
    june = {"dateTime": "2024-06-10T09:00:00", "timeZone": "UTC"}
    emu.state.update_event(ALICE, "ev-1", {"start": june, "end": june})
    emu.state.add_event(ALICE, graph_event("ev-new", 20))
    emu.state.delete_event(ALICE, "ev-canceled")
    events, removed, _ = asyncio.run(_calendar(emu, link))
    assert [e.id for e in events] == ["ev-new"]
    assert sorted(removed) == ["ev-1", "ev-canceled"]


def test_outlook_timezone_converts_event_times(emu: EmulatorServer) -> None:
    events, _, _ = asyncio.run(_calendar(emu, tz="Europe/Paris"))
    start = next(e for e in events if e.id == "ev-1").start
    assert start is not None
    assert (start.date_time, start.time_zone) == ("2024-05-02T11:00:00.0000000", "Europe/Paris")


def test_sdk_reads_users_folders_and_single_items(emu: EmulatorServer) -> None:
    async def run() -> tuple[Any, ...]:
        client = sdk_client(emu)
        users = await client.users.get()
        user = client.users.by_user_id(ALICE)
        folders = await user.mail_folders.get()
        inbox = await user.mail_folders.by_mail_folder_id("inbox").get()
        message = await user.messages.by_message_id("msg-0001").get()
        event = await user.events.by_event_id("series-1").get()
        return users, folders, inbox, message, event

    users, folders, inbox, message, event = asyncio.run(run())
    assert [u.user_principal_name for u in users.value] == [ALICE, "bob@contoso.com"]
    assert "Inbox" in [f.display_name for f in folders.value]
    assert inbox.total_item_count == 25
    assert message.subject == "Subject 1"
    assert message.parent_folder_id == inbox.id
    assert event.type.value == "seriesMaster"
    assert event.recurrence is not None


def test_sdk_follows_next_links_of_list_endpoints(emu: EmulatorServer) -> None:
    from msgraph.generated.users.item.calendar_view.calendar_view_request_builder import (
        CalendarViewRequestBuilder,
    )
    from msgraph.generated.users.item.messages.messages_request_builder import (
        MessagesRequestBuilder,
    )

    async def run() -> tuple[list[Message], list[Event]]:
        user = sdk_client(emu).users.by_user_id(ALICE)
        query = MessagesRequestBuilder.MessagesRequestBuilderGetQueryParameters(top=10)
        page = await user.messages.get(RequestConfiguration(query_parameters=query))
        messages = list(page.value or [])
        while page.odata_next_link:
            page = await user.messages.with_url(page.odata_next_link).get()
            messages += page.value or []
        view = CalendarViewRequestBuilder.CalendarViewRequestBuilderGetQueryParameters(
            top=2, **WINDOW
        )
        cal = await user.calendar_view.get(RequestConfiguration(query_parameters=view))
        events = list(cal.value or [])
        while cal.odata_next_link:
            cal = await user.calendar_view.with_url(cal.odata_next_link).get()
            events += cal.value or []
        return messages, events

    messages, events = asyncio.run(run())
    assert len(messages) == 26
    assert len({m.id for m in messages}) == 26
    received = [m.received_date_time for m in messages]
    assert received == sorted(received, reverse=True)  # type: ignore[type-var]
    assert len(events) == 7  # ev-1, private, canceled and four occurrences
    assert [e.start.date_time for e in events] == sorted(e.start.date_time for e in events)  # type: ignore[union-attr, type-var]
