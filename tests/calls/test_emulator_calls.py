"""The emulator's call records and PSTN call log as Microsoft documents them, read through
the real msgraph-sdk (and our own getPstnCalls request) over HTTP."""

from __future__ import annotations

import asyncio
import json
import queue
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.subscription import Subscription

from connector.graph.client import build_client
from connector.streams.calls import CallRecordsStream
from emulator import EmulatorServer, EmulatorSettings
from emulator.gen_calls import call_record, phone, pstn_row
from tests.support.calls import ALICE, BOB, HANS, NOW, TENANT, settings, teams
from tests.support.emulator import sdk_client

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def emu() -> Iterator[EmulatorServer]:
    with EmulatorServer.start(TENANT, settings=EmulatorSettings(clock=lambda: NOW)) as server:
        yield server


def _add(emu: EmulatorServer, n: int, *, days_ago: float = 0.5) -> str:
    start = NOW - timedelta(days=days_ago)
    return emu.calls.add_record(call_record(f"r{n}", start, 5, teams(ALICE), [phone(HANS)]))


def test_listed_records_have_no_relationships_and_expanding_reads_them(
    emu: EmulatorServer,
) -> None:
    _add(emu, 1)
    client = sdk_client(emu)
    page = asyncio.run(client.communications.call_records.get())
    assert page is not None
    assert page.value is not None
    [listed] = page.value
    assert (listed.id, listed.version) == ("r1", 1)
    assert listed.sessions is None
    assert listed.participants_v2 is None
    http = httpx.Client(base_url=emu.base_url)
    read = http.get("/communications/callRecords/r1",
                    params={"$expand": "sessions($expand=segments)"}).json()
    assert read["sessions"][0]["callee"]["identity"] == {"phone": {"id": HANS}}
    assert read["sessions"][0]["segments"]
    assert "participants_v2" not in read
    both = http.get("/communications/callRecords/r1",
                    params={"$expand": "sessions,participants_v2"})
    assert both.status_code == 400  # one relationship at a time
    parts = http.get("/communications/callRecords/r1/participants_v2").json()["value"]
    assert [p["id"] for p in parts] == [ALICE["id"], HANS]


def test_records_are_kept_30_days_and_grow_in_version(emu: EmulatorServer) -> None:
    _add(emu, 1, days_ago=31)
    _add(emu, 2)
    http = httpx.Client(base_url=emu.base_url)
    assert [r["id"] for r in http.get("/communications/callRecords").json()["value"]] == ["r2"]
    assert http.get("/communications/callRecords/r1").status_code == 404
    assert emu.calls.update_record("r2", {"type": "groupCall"}) == 2
    assert http.get("/communications/callRecords/r2").json()["version"] == 2


def test_the_list_is_paged_and_filtered_on_start(emu: EmulatorServer) -> None:
    for n in range(70):
        _add(emu, n, days_ago=n / 10)
    http = httpx.Client(base_url=emu.base_url)
    first = http.get("/communications/callRecords").json()
    assert len(first["value"]) == 60
    second = httpx.get(first["@odata.nextLink"]).json()
    assert len(second["value"]) == 10
    assert "@odata.nextLink" not in second
    since = (NOW - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    recent = http.get("/communications/callRecords",
                      params={"$filter": f"startDateTime ge {since}"}).json()["value"]
    assert len(recent) == 11


def test_the_sdk_still_builds_get_pstn_calls_without_its_comma(emu: EmulatorServer) -> None:
    """msgraph-sdk-python #285 / #1234: why connector/streams/calls.py builds it itself."""
    client = sdk_client(emu)
    builder = client.communications.call_records.\
        microsoft_graph_call_records_get_pstn_calls_with_from_date_time_with_to_date_time(
            NOW - timedelta(days=1), NOW)
    with pytest.raises(ODataError) as refused:
        asyncio.run(builder.get())
    assert refused.value.response_status_code == 400


def test_our_pstn_request_pages_and_caps_90_days(emu: EmulatorServer) -> None:
    for n in range(1005):
        emu.calls.add_pstn(pstn_row(f"p{n}", ALICE["id"], ALICE["mail"],
                                    NOW - timedelta(minutes=n + 1), 60, outbound=True,
                                    user_number="+4930555000", other_number=HANS))
    graph = build_client(settings(emu.base_url).graph)

    async def read() -> tuple[int, int]:
        info = CallRecordsStream.pstn_request(graph, NOW - timedelta(days=2), NOW)
        rows, link = CallRecordsStream.decode_pstn(await graph.send(info, "pstn"))
        assert link is not None
        more, last = CallRecordsStream.decode_pstn(
            await graph.send(CallRecordsStream.link_request(graph, link), "pstn"))
        assert last is None
        await graph.close()
        return len(rows), len(more)

    assert asyncio.run(read()) == (1000, 5)
    with pytest.raises(ValueError, match="90 days"):
        CallRecordsStream.pstn_request(graph, NOW - timedelta(days=91), NOW)
    too_long = httpx.get(f"{emu.base_url}/communications/callRecords/getPstnCalls("
                         "fromDateTime=2024-01-01T00:00:00Z,toDateTime=2025-01-01T00:00:00Z)")
    assert too_long.status_code == 400


class _Receiver:
    """A webhook endpoint: echoes validation tokens, queues notifications."""

    def __init__(self) -> None:
        self.received: queue.Queue[dict[str, Any]] = queue.Queue()
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                token = parse_qs(urlsplit(self.path).query).get("validationToken")
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                answer = token[0].encode() if token else b""
                if not token:
                    received.put(json.loads(body))
                self.send_response(200 if token else 202)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/notify"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_subscriptions_notify_new_records_and_version_bumps_of_filtered_users(
    emu: EmulatorServer,
) -> None:
    receiver = _Receiver()
    try:
        body = Subscription(
            change_type="updated", notification_url=receiver.url, client_state="s",
            resource=f"/communications/callRecords?$filter=participants/any(p:p/id eq "
                     f"'{ALICE['id']}')",
            expiration_date_time=NOW + timedelta(hours=2))
        assert asyncio.run(sdk_client(emu).subscriptions.post(body)) is not None
        emu.calls.add_record(call_record("bob-only", NOW, 3, teams(BOB), [phone(HANS)]))
        _add(emu, 1)
        emu.calls.update_record("r1", {"type": "groupCall"})
        first, second = receiver.received.get(timeout=10), receiver.received.get(timeout=10)
        assert [(n["value"][0]["resource"], n["value"][0]["changeType"])
                for n in (first, second)] == [("communications/callRecords/r1", "created"),
                                              ("communications/callRecords/r1", "updated")]
        assert first["value"][0]["clientState"] == "s"
        assert receiver.received.empty()  # bob's call: not one of the filtered participants
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
