"""The wire, seen with plain httpx: errors, paths, throttling, faults, $batch, control API."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from emulator import EmulatorServer
from tests.support.builders import ALICE, graph_message

# One pooled client per module: a fresh client per call costs ~50 ms of TLS set-up.
HTTP = httpx.Client(timeout=30)


@pytest.fixture(scope="module", autouse=True)
def _close_http() -> Iterator[None]:
    yield
    HTTP.close()


DELTA = "/users/alice@contoso.com/mailFolders/inbox/messages/delta"


def _error(resp: httpx.Response) -> dict[str, Any]:
    body = resp.json()
    inner = body["error"]["innerError"]
    assert {"date", "request-id", "client-request-id"} <= set(inner)
    assert resp.headers["request-id"] == inner["request-id"]
    return dict(body["error"])


def test_double_slashes_delta_parentheses_and_key_form_are_accepted(emu: EmulatorServer) -> None:
    folder = emu.state.mailbox(ALICE).folder("inbox").id  # type: ignore[union-attr]
    for path in (
        "//users/alice@contoso.com/mailFolders/inbox/messages/delta()",
        f"/users/u-alice/mailfolders('{folder}')/messages/delta",
        "/users('u-alice')/mailFolders('Inbox')/messages/delta",
    ):
        resp = HTTP.get(emu.base_url + path)
        assert resp.status_code == 200, (path, resp.text)
        assert "request-id" in resp.headers
        assert len(resp.json()["value"]) == 10


def test_malformed_requests_are_graph_400s_and_unknown_paths_404s(emu: EmulatorServer) -> None:
    cases = [
        (f"{DELTA}?changeType=sideways", 400),
        (f"{DELTA}?$filter=subject eq 'x'", 400),
        (f"{DELTA}?$search=hello", 400),
        ("/users?$top=abc", 400),
        ("/users/u-alice/calendarView/delta", 400),
        ("/users/u-alice/nothing-here", 404),
        ("/users/nobody@contoso.com/messages", 404),
        ("/users/u-alice/messages/does-not-exist", 404),
    ]
    for path, status in cases:
        resp = HTTP.get(emu.base_url + path)
        assert resp.status_code == status, (path, resp.text)
        assert _error(resp)["code"]
    assert HTTP.get(emu.url + "/v2/what").status_code == 404
    bad_json = HTTP.post(emu.base_url + "/$batch", content=b"{nope")
    assert bad_json.status_code == 400
    assert _error(bad_json)["code"] == "BadRequest"
    assert _error(HTTP.get(emu.base_url + "/users/nobody/messages"))["code"] == "ErrorInvalidUser"


def test_required_token_gives_401_invalid_authentication_token(emu_factory: Any) -> None:
    emu = emu_factory(require_token="s3cret")
    assert HTTP.get(emu.base_url + "/users").status_code == 401
    wrong = HTTP.get(emu.base_url + "/users", headers={"Authorization": "Bearer nope"})
    assert _error(wrong)["code"] == "InvalidAuthenticationToken"
    ok = HTTP.get(emu.base_url + "/users", headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200


def test_more_than_four_concurrent_requests_per_mailbox_get_429(emu_factory: Any) -> None:
    emu = emu_factory(latency_s=0.4)

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=emu.base_url, timeout=30) as client:
            return await asyncio.gather(*(client.get(DELTA) for _ in range(8)))

    answers = asyncio.run(burst())
    statuses = sorted(r.status_code for r in answers)
    assert statuses.count(200) >= 1
    assert statuses.count(200) <= 4
    throttled = [r for r in answers if r.status_code == 429]
    assert len(throttled) >= 4
    assert throttled[0].headers["Retry-After"] == "1"
    assert _error(throttled[0])["code"] == "ApplicationThrottled"
    assert "MailboxConcurrency" in _error(throttled[0])["message"]
    assert emu.state.counters_snapshot()["throttled"] == len(throttled)


def test_request_budget_per_mailbox_gives_429_with_retry_after(emu_factory: Any) -> None:
    emu = emu_factory(mailbox_budget=3)
    answers = [HTTP.get(emu.base_url + DELTA) for _ in range(4)]
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 600
    assert HTTP.get(emu.base_url + "/users/bob@contoso.com/messages").status_code == 200


def test_injected_faults_answer_the_next_matching_requests(emu: EmulatorServer) -> None:
    armed = HTTP.post(
        emu.url + "/_emulator/faults",
        json={"status": 503, "count": 2, "path": "messages/delta", "retryAfter": 7},
    )
    assert armed.status_code == 201
    emu.state.inject_fault(504, mailbox="bob@contoso.com")
    first = HTTP.get(emu.base_url + DELTA)
    assert first.status_code == 503
    assert first.headers["Retry-After"] == "7"
    assert HTTP.get(emu.base_url + "/users/u-alice").status_code == 200  # path does not match
    assert HTTP.get(emu.base_url + DELTA).status_code == 503
    assert HTTP.get(emu.base_url + DELTA).status_code == 200
    bob = HTTP.get(emu.base_url + "/users/bob@contoso.com/messages")
    assert bob.status_code == 504
    assert "Retry-After" not in bob.headers
    emu.state.inject_fault(410, count=1)
    assert _error(HTTP.get(emu.base_url + DELTA))["code"] == "syncStateNotFound"
    assert HTTP.post(emu.url + "/_emulator/faults", json={"status": 302}).status_code == 400


def test_batch_runs_items_with_depends_on_and_per_item_status(emu: EmulatorServer) -> None:
    body = {
        "requests": [
            {"id": "1", "method": "GET", "url": "/users/u-alice"},
            {"id": "2", "method": "GET", "url": "/users/u-alice/messages/msg-0001",
             "dependsOn": ["1"]},
            {"id": "3", "method": "GET", "url": "/users/nobody/messages/x", "dependsOn": ["2"]},
            {"id": "4", "method": "GET", "url": "users/u-alice/messages?$top=2",
             "dependsOn": ["3"]},
        ]
    }  # fmt: skip
    resp = HTTP.post(emu.base_url + "/$batch", json=body)
    assert resp.status_code == 200
    answers = {r["id"]: r for r in resp.json()["responses"]}
    assert answers["1"]["status"] == 200
    assert answers["1"]["body"]["displayName"] == "Alice"
    assert answers["2"]["body"]["subject"] == "Subject 1"
    assert answers["3"]["status"] == 404
    assert answers["4"]["status"] == 424


def test_batch_limits_twenty_items_and_throttles_per_item(emu_factory: Any) -> None:
    emu = emu_factory(mailbox_budget=5)
    too_many = {"requests": [{"id": str(i), "method": "GET", "url": "/users"} for i in range(21)]}
    assert HTTP.post(emu.base_url + "/$batch", json=too_many).status_code == 400
    items = [{"id": str(i), "method": "GET", "url": DELTA} for i in range(8)]
    resp = HTTP.post(emu.base_url + "/$batch", json={"requests": items})
    statuses = [r["status"] for r in resp.json()["responses"]]
    assert statuses.count(200) == 5
    assert statuses.count(429) == 3
    throttled = next(r for r in resp.json()["responses"] if r["status"] == 429)
    assert "Retry-After" in throttled["headers"]


def test_batch_parallel_items_never_exceed_mailbox_concurrency(emu_factory: Any) -> None:
    emu = emu_factory(latency_s=0.05)
    items = [{"id": str(i), "method": "GET", "url": DELTA} for i in range(12)]
    resp = HTTP.post(emu.base_url + "/$batch", json={"requests": items}, timeout=30)
    assert [r["status"] for r in resp.json()["responses"]] == [200] * 12


def test_control_api_changes_data_and_reads_counters(emu: EmulatorServer) -> None:
    control = emu.url + "/_emulator"
    assert HTTP.post(f"{control}/counters/reset").status_code == 204
    created = HTTP.post(f"{control}/users/{ALICE}/messages", json=graph_message(777))
    assert created.status_code == 201
    assert created.json() == {"id": "msg-0777"}
    patched = HTTP.patch(f"{control}/users/{ALICE}/messages/msg-0777", json={"subject": "Hi"})
    assert patched.status_code == 204
    got = HTTP.get(emu.base_url + f"/users/{ALICE}/messages/msg-0777")
    assert got.json()["subject"] == "Hi"
    assert HTTP.delete(f"{control}/users/{ALICE}/messages/msg-0777").status_code == 204
    assert HTTP.delete(f"{control}/users/{ALICE}/messages/msg-0777").status_code == 404
    assert HTTP.post(f"{control}/tokens/expire", json={"mailbox": ALICE}).status_code == 204
    counters = HTTP.get(f"{control}/counters").json()
    assert counters["requestsByRoute"] == {"message": 1}
    assert counters["bytesOut"] > 0
    assert HTTP.get(f"{control}/sizes").json()["tombstones"] == 1


def test_sensitivity_extended_property_only_when_expanded(emu: EmulatorServer) -> None:
    prop = [{"id": "Integer 0x36", "value": "2"}]
    emu.state.add_message(ALICE, graph_message(42, singleValueExtendedProperties=prop))
    plain = HTTP.get(emu.base_url + f"{DELTA}?$top=100").json()["value"]
    assert all("singleValueExtendedProperties" not in m for m in plain)
    expand = "singleValueExtendedProperties($filter=id eq 'Integer 0x0036')"
    page = HTTP.get(emu.base_url + DELTA, params={"$expand": expand, "$top": "100"}).json()
    tagged = [m for m in page["value"] if "singleValueExtendedProperties" in m]
    assert [m["id"] for m in tagged] == ["msg-0042"]


def test_filter_received_caps_the_round(emu_factory: Any) -> None:
    emu = emu_factory(filter_cap=5)
    url = emu.base_url + DELTA + "?$filter=receivedDateTime ge 2024-05-10T00:00:00Z"
    seen: list[dict[str, Any]] = []
    while True:
        page = HTTP.get(url, headers={"Prefer": "odata.maxpagesize=2"}).json()
        seen += page["value"]
        if "@odata.deltaLink" in page:
            break
        url = page["@odata.nextLink"]
    assert len(seen) == 5
    assert all(m["receivedDateTime"] >= "2024-05-10" for m in seen)
