"""Injected faults of any 4xx/5xx with Graph's error code; counters by the real route."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from emulator import EmulatorServer
from tests.support.builders import ALICE

HTTP = httpx.Client(timeout=30)
DELTA = f"/users/{ALICE}/mailFolders/inbox/messages/delta"


@pytest.fixture(scope="module", autouse=True)
def _close_http() -> Iterator[None]:
    yield
    HTTP.close()


def _error(resp: httpx.Response) -> tuple[int, str, str]:
    error = resp.json()["error"]
    return resp.status_code, error["code"], error["message"]


def test_forbidden_and_unauthorized_faults_carry_graphs_codes(emu: EmulatorServer) -> None:
    emu.state.inject_fault(403, mailbox=ALICE)
    status, code, message = _error(HTTP.get(emu.base_url + DELTA))
    assert (status, code) == (403, "ErrorAccessDenied")
    assert "Access is denied" in message
    assert HTTP.get(emu.base_url + DELTA).status_code == 200  # count 1: used up

    armed = HTTP.post(emu.url + "/_emulator/faults", json={
        "status": 401, "path": "messages/delta", "message": "Lifetime validation failed"})
    assert armed.status_code == 201
    assert armed.json()["code"] == "InvalidAuthenticationToken"
    assert _error(HTTP.get(emu.base_url + DELTA)) == (
        401, "InvalidAuthenticationToken", "Lifetime validation failed")


def test_any_status_with_its_own_code_and_bad_statuses_refused(emu: EmulatorServer) -> None:
    emu.state.inject_fault(409, code="ErrorIrresolvableConflict", path="delta")
    emu.state.inject_fault(507)
    assert _error(HTTP.get(emu.base_url + DELTA))[:2] == (409, "ErrorIrresolvableConflict")
    assert _error(HTTP.get(emu.base_url + DELTA))[:2] == (507, "UnknownError")
    for status in (302, 200, 600):
        resp = HTTP.post(emu.url + "/_emulator/faults", json={"status": status})
        assert resp.status_code == 400
        assert "4xx or 5xx" in resp.json()["error"]["message"]
    with pytest.raises(ValueError, match="4xx or 5xx"):
        emu.state.inject_fault(399)
    assert HTTP.get(emu.url + "/_emulator/faults").json() == {"value": []}


def test_failed_requests_are_counted_under_their_route(emu_factory: Any) -> None:
    emu = emu_factory(require_token="secret")
    auth = {"Authorization": "Bearer secret"}
    emu.state.inject_fault(503, path="messages/delta")
    assert HTTP.get(emu.base_url + DELTA, headers=auth).status_code == 503
    assert HTTP.get(emu.base_url + DELTA, headers=auth).status_code == 200
    assert HTTP.get(emu.base_url + DELTA).status_code == 401  # no token
    ghost = "/users/ghost@contoso.com/calendarView/delta"
    assert HTTP.get(emu.base_url + ghost, headers=auth).status_code == 404
    assert HTTP.get(emu.base_url + "/users/u-alice/nothing", headers=auth).status_code == 404
    counters = HTTP.get(emu.url + "/_emulator/counters").json()
    assert counters["requestsByRoute"] == {
        "messagesDelta": 3, "calendarViewDelta": 1, "unknown": 1}
    assert counters["requestsByStatus"] == {"503": 1, "200": 1, "401": 1, "404": 2}
