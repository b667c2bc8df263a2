"""Tenant validation, and memory that follows the tenant rather than the delta rounds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from emulator import EmulatorServer, EmulatorSettings, Store, load_tenant
from tests.support.builders import ALICE, graph_message, small_tenant

# One pooled client per module: a fresh client per call costs ~50 ms of TLS set-up.
HTTP = httpx.Client(timeout=30)


@pytest.fixture(scope="module", autouse=True)
def _close_http() -> Iterator[None]:
    yield
    HTTP.close()


@pytest.mark.parametrize(
    ("doc", "problem"),
    [
        ([], "JSON object"),
        ({"users": []}, "non-empty"),
        ({"users": [{"id": "1"}]}, "userPrincipalName"),
        ({"users": [{"id": "1", "userPrincipalName": "a@x"}], "messages": {"b@x": []}},
         "no such user"),
        ({"users": [{"id": "1", "userPrincipalName": "a@x"}], "messages": {"a@x": [{}]}}, "'id'"),
        ({"users": [{"id": "1", "userPrincipalName": "a@x"}],
          "messages": {"a@x": [{"id": "m", "receivedDateTime": "yesterday"}]}}, "ISO 8601"),
        ({"users": [{"id": "1", "userPrincipalName": "a@x"}],
          "events": {"a@x": [{"id": "e", "start": "soon"}]}}, "dateTimeTimeZone"),
        ({"users": [{"id": "1", "userPrincipalName": "a@x"}], "contacts": {}}, "unknown"),
    ],
)  # fmt: skip
def test_bad_tenant_is_a_value_error_naming_the_problem(doc: Any, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        load_tenant(doc)


def test_tenant_file_that_is_not_json_is_named(tmp_path: Any) -> None:
    path = tmp_path / "t.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(ValueError, match="not JSON"):
        load_tenant(path)


def _round(emu: EmulatorServer, url: str) -> tuple[int, str]:
    items = 0
    while True:
        page = HTTP.get(url, headers={"Prefer": "odata.maxpagesize=7"}).json()
        items += len(page["value"])
        if "@odata.deltaLink" in page:
            return items, page["@odata.deltaLink"]
        url = page["@odata.nextLink"]


def test_many_delta_rounds_do_not_grow_state(emu: EmulatorServer) -> None:
    url = emu.base_url + "/users/u-alice/mailFolders/inbox/messages/delta"
    _, link = _round(emu, url)
    before = emu.state.sizes()
    for _ in range(60):
        items, link = _round(emu, link)
        assert items == 0
    assert emu.state.sizes() == before


def test_repeated_updates_keep_the_change_log_compact() -> None:
    store = Store(small_tenant(), EmulatorSettings())
    for i in range(2000):
        store.update_message(ALICE, "msg-0001", {"subject": f"v{i}"})
    store.add_message(ALICE, graph_message(999))
    store.delete_message(ALICE, "msg-0999")
    sizes = store.sizes()
    assert sizes["log"] <= 2 * sizes["entries"] + 64 * 8
    assert sizes["tombstones"] == 1
