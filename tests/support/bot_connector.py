"""A local Bot Connector: a real HTTP server on 127.0.0.1 that records the activities the bot
POSTs to `/v3/conversations/{id}/activities` (and replies, `…/activities/{replyToId}`),
answers as the Bot Connector does (`201 {"id": …}`), and issues the bot's token.

The token endpoint takes a client-credentials request (`POST /{tenant}/oauth2/v2.0/token`,
form `grant_type`, `client_id`, `client_secret`, `scope`) as Entra ID does and answers an
`access_token`; the conversation endpoints refuse (401) any bearer token it did not issue,
so a test sees that the bot really sends its own token. `fail_next` makes the next POSTs
fail with 503, as a Bot Connector outage would.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any

import httpx

from tests.support.servers import JsonHandler

BOT_SECRET = "bot-connector-secret"
_ACTIVITIES = re.compile(r"^/v3/conversations/([^/]+)/activities(?:/([^/?]+))?(?:\?.*)?$")
_TOKEN = re.compile(r"^/[^/]+/oauth2/v2\.0/token$")


@dataclass(frozen=True)
class Posted:
    """One activity the bot sent: to which conversation, as a reply to what, with what."""

    conversation_id: str
    reply_to: str | None
    authorization: str | None
    activity: dict[str, Any]

    @property
    def card(self) -> dict[str, Any]:
        """The Adaptive Card it carries."""
        [attachment] = self.activity["attachments"]
        assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
        return dict(attachment["content"])


class _Handler(JsonHandler):
    server: FakeBotConnector

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if _TOKEN.match(self.path):
            self._token(raw)
            return
        match = _ACTIVITIES.match(self.path)
        if match is None:
            self._send(404, {"error": {"code": "NotFound", "message": self.path}})
            return
        auth = self.headers.get("Authorization")
        if auth != f"Bearer {self.server.issued}":
            self._send(401, {"error": {"code": "Unauthorized", "message": "bad token"}})
            return
        if self.server.take_failure():
            self._send(503, {"error": {"code": "ServiceUnavailable", "message": "try later"}})
            return
        conversation = urllib.parse.unquote(match.group(1))
        posted = Posted(conversation, match.group(2), auth, json.loads(raw or b"{}"))
        activity_id = self.server.record(posted)
        self._send(201, {"id": activity_id})

    def _token(self, raw: bytes) -> None:
        form = dict(urllib.parse.parse_qsl(raw.decode()))
        if (form.get("grant_type"), form.get("client_secret")) != ("client_credentials",
                                                                  BOT_SECRET):
            self._send(401, {"error": "invalid_client"})
            return
        self.server.token_requests += 1
        self._send(200, {"token_type": "Bearer", "expires_in": 3600,
                         "access_token": self.server.issued})


class FakeBotConnector(ThreadingHTTPServer):
    """The server; `posted` holds what the bot sent, in order."""

    issued: str
    posted: list[Posted]
    token_requests: int
    _fail: int
    _lock: threading.Lock

    def record(self, posted: Posted) -> str:
        with self._lock:
            self.posted.append(posted)
            return f"activity-{len(self.posted)}"

    def take_failure(self) -> bool:
        with self._lock:
            if self._fail > 0:
                self._fail -= 1
                return True
            return False

    def fail_next(self, n: int = 1) -> None:
        with self._lock:
            self._fail = n

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/"

    def sent_to(self, conversation_id: str) -> list[Posted]:
        """The proactive activities (not replies) sent to a conversation."""
        return [p for p in self.posted if p.conversation_id == conversation_id
                and p.reply_to is None]


@dataclass
class TokenClient:
    """The bot's token source in tests: a client-credentials request to the fake."""

    connector: FakeBotConnector
    secret: str = BOT_SECRET
    calls: list[tuple[str, list[str]]] = field(default_factory=list)

    async def __call__(self, resource: str, scopes: list[str]) -> str:
        self.calls.append((resource, scopes))
        async with httpx.AsyncClient() as http:
            answer = await http.post(f"{self.connector.url}botframework.com/oauth2/v2.0/token",
                                     data={"grant_type": "client_credentials",
                                           "client_id": "bot", "client_secret": self.secret,
                                           "scope": " ".join(scopes)})
            answer.raise_for_status()
            return str(answer.json()["access_token"])


@contextmanager
def bot_connector() -> Iterator[FakeBotConnector]:
    """A fake Bot Connector on a free loopback port, until the block ends."""
    server = FakeBotConnector(("127.0.0.1", 0), _Handler)
    server.issued = secrets.token_urlsafe(16)
    server.posted, server.token_requests, server._fail = [], 0, 0
    server._lock = threading.Lock()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
