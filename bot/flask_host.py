"""What the bot's Flask (sync WSGI) endpoints share: reading and refusing requests, JSON
answers, the direct path for the hot one (`DirectPosts`), and the Bot Connector of the
Microsoft 365 Agents SDK.

A command runs in the WSGI thread that received it. Only what is asyncio in the SDK (the
Bot Connector client, the MSAL token) runs on ONE long-lived event loop in a background
thread, so loop-bound objects (aiohttp sessions, locks) are never shared between loops: a
WSGI thread submits a coroutine there and waits for its result.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import json
import logging
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass
from typing import IO, Any

from flask import Flask, Response, request
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
    return Response(_json(body), status=status, mimetype="application/json")


def _json(body: Any) -> str:
    return json.dumps(body, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class Answer:
    """What an endpoint answers, before it is a response: `status` and a JSON `body` (None:
    an empty body, as Flask's `Response(status=…)` has)."""

    status: int = 200
    body: Any = None

    def response(self) -> Response:
        """As a Flask response (the app's `after_request` functions then run on it)."""
        if self.body is None:
            return Response(status=self.status)
        return json_response(self.body, self.status)

    def headers_and_body(self) -> tuple[list[tuple[str, str]], bytes]:
        """The headers and bytes Flask sends for `response()`, less what `after_request`
        adds: the same Content-Type, and the Content-Length."""
        if self.body is None:
            return [("Content-Type", _EMPTY_TYPE), ("Content-Length", "0")], b""
        data = _json(self.body).encode()
        return [("Content-Type", "application/json"), ("Content-Length", str(len(data)))], data


_EMPTY_TYPE = f"{Response.default_mimetype}; charset=utf-8"


class HttpError(Exception):
    """A request the bot refuses: answered as `{"error": message}` with `status`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def answer(self) -> Answer:
        return Answer(self.status, {"error": self.message})


def http_error_response(exc: HttpError) -> Response:
    return exc.answer().response()


def read_body(limit: int) -> bytes:
    """The raw request body, or 413 when it is larger than `limit` bytes."""
    return _read(limit, request.content_length, request.stream)


def read_environ_body(environ: dict[str, Any], limit: int) -> bytes:
    """`read_body` of a WSGI request, read as Flask's request reads it (werkzeug's stream)."""
    from werkzeug.wsgi import get_content_length, get_input_stream

    return _read(limit, get_content_length(environ), get_input_stream(environ))


def _read(limit: int, length: int | None, stream: IO[bytes]) -> bytes:
    too_large = HttpError(413, f"request body larger than {limit // 1024} KiB")
    if length is not None and length > limit:
        raise too_large
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise too_large
    return data


StartResponse = Callable[..., Any]


class DirectPosts:
    """The WSGI app in front of a Flask app: `POST path` with an `Authorization` header is
    answered by `handler(environ)` straight away, without Flask's request machinery (its
    request and app contexts, routing, response object and hooks cost ~0.3 ms a request,
    as much as the view's own parsing and token check: docs/bot-profile.md). Its answer
    carries the headers the app's `after_request` functions add to that path's answers
    (found once, by running them); an `HttpError` is answered as the Flask view's error
    handler answers it. Anything else, and any other failure, is Flask's, as before."""

    def __init__(self, app: Flask, path: str, handler: Callable[[dict[str, Any]], Answer],
                 flask_wsgi: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
                 ) -> None:
        self.app = app
        self.path = path
        self.handler = handler
        self.flask_wsgi = flask_wsgi
        self._added: list[tuple[str, str]] | None = None

    def __call__(self, environ: dict[str, Any], start_response: StartResponse
                 ) -> Iterable[bytes]:
        if (environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") != self.path
                or not environ.get("HTTP_AUTHORIZATION")):
            return self.flask_wsgi(environ, start_response)
        try:
            answer = self.handler(environ)
        except HttpError as exc:
            answer = exc.answer()
        except Exception as exc:  # noqa: BLE001 — Flask's answer: logged, 500 (raised in tests)
            with self.app.request_context(environ):
                failed = self.app.handle_exception(exc)
            return failed(environ, start_response)
        headers, data = answer.headers_and_body()
        start_response(_status_line(answer.status), headers + self._added_headers())
        return [data]

    def _added_headers(self) -> list[tuple[str, str]]:
        """What the app's `after_request` functions add to an answer at `path` (the pages'
        security headers), found on the first request, once every surface is registered."""
        if self._added is None:
            plain = Response()
            with self.app.test_request_context(self.path, method="POST"):
                hooked = self.app.process_response(Response())
            self._added = [item for item in hooked.headers.items()
                           if item not in plain.headers.items()]
        return self._added


@functools.cache
def _status_line(status: int) -> str:
    return Response(status=status).status  # werkzeug's own reason phrase, as Flask sends it


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
