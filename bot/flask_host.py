"""What the bot's Flask (sync WSGI) endpoints share: reading and refusing requests, JSON
answers, and the Bot Connector of the Microsoft 365 Agents SDK.

A command runs in the WSGI thread that received it. Only what is asyncio in the SDK (the
Bot Connector client, the MSAL token) runs on ONE long-lived event loop in a background
thread, so loop-bound objects (aiohttp sessions, locks) are never shared between loops: a
WSGI thread submits a coroutine there and waits for its result.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import threading
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any

from flask import Response, request
from microsoft_agents.activity import Activity
from microsoft_agents.hosting.core import ClaimsIdentity, TeamsConnectorClient

# (resource, scopes) → an access token for the Bot Connector; "" when anonymous.
TokenSource = Callable[[str, list[str]], Awaitable[str]]

log = logging.getLogger(__name__)

AGENTS_SDK_SCOPE = "https://api.botframework.com"  # the Bot Connector's audience
CLOSE_AFTER_S = 60.0  # a client replaced by a newer token is closed once its replies are done


class LoopThread:
    """One event loop on one daemon thread, started on first use (no work at import)."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                threading.Thread(target=self._loop.run_forever, name="agents-loop",
                                 daemon=True).start()
            return self._loop

    def run[T](self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise

    def stop(self) -> None:
        with self._lock:
            if self._loop is not None:
                self._loop.call_soon_threadsafe(self._loop.stop)
                self._loop = None


class Connector:
    """Replies to Teams through the Bot Connector: the Agents SDK's `TeamsConnectorClient`,
    one per serviceUrl and token, built once and kept on the one event loop (its aiohttp
    session and connections are reused, not opened per reply).

    No user-token (OAuth sign-in) service is used. A reply costs at most one (cached) Bot
    Connector token, asked for before the command runs, and none with expectReplies or an
    invoke (their answer is the HTTP response).
    """

    MAX_CLIENTS = 32  # serviceUrls are a handful of regional hosts; tokens turn over hourly

    def __init__(self, loop: LoopThread, token_source: TokenSource) -> None:
        self._loop = loop
        self._token_source = token_source
        self._clients: dict[tuple[str, str], TeamsConnectorClient] = {}
        self._closing: set[asyncio.Task[None]] = set()  # referenced until they end

    def token(self, claims: dict[str, Any] | None) -> str:
        """The bot's outgoing token for a turn with these (verified) claims; "" when the turn
        is anonymous (development mode). 502 (JSON) when Entra ID does not give one."""
        if claims is None:
            return ""
        identity = ClaimsIdentity(claims, authentication_type="Bearer")
        audience = (identity.get_token_audience() if identity.is_agent_claim()
                    else AGENTS_SDK_SCOPE)
        try:
            return self._loop.run(self._token(audience, identity.get_token_scope()))
        except Exception as exc:  # MSAL, the network, a misconfigured app: all the same here
            log.warning("cannot get the bot's token to reply to Teams: %s: %s",
                        type(exc).__name__, exc)
            raise HttpError(502, "the bot cannot get its token to reply to Teams; "
                                 "check [bot] app_id, app_password and app_tenant_id") from exc

    async def _token(self, audience: str, scopes: list[str]) -> str:
        return await self._token_source(audience, scopes)

    def reply(self, service_url: str, token: str, message: dict[str, Any],
              timeout: float) -> None:
        """POST `message` to `{serviceUrl}/v3/conversations/{id}/activities/{replyToId}`."""
        self._loop.run(self._reply(service_url, token, message), timeout=timeout)

    async def _reply(self, service_url: str, token: str, message: dict[str, Any]) -> None:
        client = self._client(service_url, token)
        activity = Activity.model_validate(message)
        await client.conversations.reply_to_activity(
            message["conversation"]["id"], message["replyToId"], activity)

    def _client(self, service_url: str, token: str) -> TeamsConnectorClient:
        """The client of `service_url` with `token`, made on the loop (aiohttp binds to it).
        One with an older token for that serviceUrl (or the oldest, past `MAX_CLIENTS`) is
        closed a little later, so a reply still using it ends first."""
        key = (service_url, token)
        client = self._clients.get(key)
        if client is None:
            stale = [k for k in self._clients if k[0] == service_url]
            if len(self._clients) - len(stale) >= self.MAX_CLIENTS:
                stale.append(next(k for k in self._clients if k not in stale))
            for old in stale:
                self._close_later(self._clients.pop(old))
            client = self._clients[key] = TeamsConnectorClient(endpoint=service_url,
                                                               token=token)
        return client

    def _close_later(self, client: TeamsConnectorClient) -> None:
        loop = asyncio.get_running_loop()

        def close() -> None:
            task = loop.create_task(client.close())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

        loop.call_later(CLOSE_AFTER_S, close)


def json_response(body: Any, status: int = 200) -> Response:
    """`body` as a compact JSON response (what `jsonify` gives, without its machinery)."""
    return Response(json.dumps(body, separators=(",", ":")), status=status,
                    mimetype="application/json")


class HttpError(Exception):
    """A request the bot refuses: answered as `{"error": message}` with `status`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def http_error_response(exc: HttpError) -> Response:
    return json_response({"error": exc.message}, exc.status)


def read_body(limit: int) -> bytes:
    """The raw request body, or 413 when it is larger than `limit` bytes."""
    too_large = HttpError(413, f"request body larger than {limit // 1024} KiB")
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    data = request.stream.read(limit + 1)
    if len(data) > limit:
        raise too_large
    return data


def json_object(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object, or 400."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise HttpError(400, "the body is not JSON") from None
    if not isinstance(body, dict):
        raise HttpError(400, "the body is not an activity (a JSON object)")
    return body


def activity_tenant(body: Mapping[str, Any]) -> str | None:
    """The Microsoft Entra tenant an activity comes from (channelData, else conversation)."""
    channel_data = body.get("channelData")
    if isinstance(channel_data, dict) and isinstance(channel_data.get("tenant"), dict):
        tenant = channel_data["tenant"].get("id")
        if isinstance(tenant, str) and tenant:
            return tenant
    conversation = body.get("conversation")
    if isinstance(conversation, dict) and isinstance(conversation.get("tenantId"), str):
        return str(conversation["tenantId"]) or None
    return None


def check_tenant(expected: str, body: Mapping[str, Any]) -> None:
    """403 unless the activity comes from `expected` (when a tenant is configured)."""
    if expected and (activity_tenant(body) or "").lower() != expected.lower():
        raise HttpError(403, "this bot does not serve that tenant")
