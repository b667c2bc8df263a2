"""Subscriptions: validation handshake, change notifications and lifecycle events."""

from __future__ import annotations

import asyncio
import json
import queue
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.subscription import Subscription

from emulator import EmulatorServer
from tests.support.builders import ALICE, graph_message
from tests.support.emulator import sdk_client

# One pooled client per module: a fresh client per call costs ~50 ms of TLS set-up.
HTTP = httpx.Client(timeout=30)


@pytest.fixture(scope="module", autouse=True)
def _close_http() -> Iterator[None]:
    yield
    HTTP.close()


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


class Receiver:
    """A tiny webhook endpoint: echoes validation tokens, queues notification bodies."""

    def __init__(self, *, echo: bool = True) -> None:
        self.received: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        self.validations: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                parts = urlsplit(self.path)
                token = parse_qs(parts.query).get("validationToken")
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if token:
                    receiver.validations.append(parts.path)
                    answer = token[0].encode() if echo else b"nope"
                    self.send_response(200)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                    return
                receiver.received.put((parts.path, json.loads(body)))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def next(self, timeout: float = 10.0) -> tuple[str, dict[str, Any]]:
        return self.received.get(timeout=timeout)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _subscribe(emu: EmulatorServer, url: str, resource: str) -> Subscription:
    client = sdk_client(emu)
    body = Subscription(
        change_type="created,updated,deleted",
        notification_url=f"{url}/notify",
        lifecycle_notification_url=f"{url}/lifecycle",
        resource=resource,
        expiration_date_time=datetime.now(UTC) + timedelta(hours=2),
        client_state="secret-state",
    )
    created = asyncio.run(client.subscriptions.post(body))
    assert created is not None
    return created


def test_handshake_then_change_notification_with_client_state(
    emu: EmulatorServer, receiver: Receiver
) -> None:
    sub = _subscribe(emu, receiver.url, "users/u-alice/mailFolders('inbox')/messages")
    assert sub.id
    assert sorted(receiver.validations) == ["/lifecycle", "/notify"]
    emu.state.add_message(ALICE, graph_message(321))
    path, body = receiver.next()
    assert path == "/notify"
    [note] = body["value"]
    assert note["subscriptionId"] == sub.id
    assert note["clientState"] == "secret-state"
    assert note["changeType"] == "created"
    assert note["resourceData"]["id"] == "msg-0321"
    assert note["resource"] == "Users/u-alice/Messages/msg-0321"
    assert note["tenantId"]
    assert note["subscriptionExpirationDateTime"]
    emu.state.add_message(ALICE, graph_message(322, folder="sentitems"))  # other folder: no note
    emu.state.delete_message(ALICE, "msg-0321")
    _, body = receiver.next()
    assert body["value"][0]["changeType"] == "deleted"


def test_event_subscription_and_lifecycle_events(emu: EmulatorServer, receiver: Receiver) -> None:
    sub = _subscribe(emu, receiver.url, "users/alice@contoso.com/events")
    emu.state.update_event(ALICE, "ev-1", {"subject": "Moved"})
    _, body = receiver.next()
    assert body["value"][0]["changeType"] == "updated"
    assert body["value"][0]["resourceData"]["id"] == "ev-1"
    assert sub.id is not None
    emu.fire_lifecycle(sub.id, "missed")
    path, body = receiver.next()
    assert path == "/lifecycle"
    assert body["value"][0]["lifecycleEvent"] == "missed"
    control = emu.url + f"/_emulator/subscriptions/{sub.id}/lifecycle"
    assert HTTP.post(control, json={"event": "subscriptionRemoved"}).status_code == 202
    _, body = receiver.next()
    assert body["value"][0]["lifecycleEvent"] == "subscriptionRemoved"
    assert HTTP.get(emu.base_url + f"/subscriptions/{sub.id}").status_code == 404


def test_failed_handshake_is_400_to_the_creator(emu: EmulatorServer) -> None:
    bad = Receiver(echo=False)
    try:
        with pytest.raises(ODataError) as caught:
            _subscribe(emu, bad.url, "users/u-alice/messages")
        assert caught.value.response_status_code == 400
    finally:
        bad.close()
    assert HTTP.get(emu.base_url + "/subscriptions").json()["value"] == []


def test_renew_and_delete_subscription(emu: EmulatorServer, receiver: Receiver) -> None:
    sub = _subscribe(emu, receiver.url, "users/u-alice/messages")
    url = emu.base_url + f"/subscriptions/{sub.id}"
    later = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    renewed = HTTP.patch(url, json={"expirationDateTime": later})
    assert renewed.status_code == 200
    assert renewed.json()["expirationDateTime"].startswith(later[:19])
    too_far = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert HTTP.patch(url, json={"expirationDateTime": too_far}).status_code == 400
    assert HTTP.delete(url).status_code == 204
    assert HTTP.get(url).status_code == 404
