"""Flask (sync WSGI) host for the Microsoft 365 Agents SDK.

The SDK is asyncio throughout; all of its coroutines run on ONE long-lived event loop in
a background thread, so loop-bound objects (aiohttp sessions, locks) are never shared
between loops. A WSGI thread submits a coroutine and waits for its result.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import threading
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any

from flask import Response, jsonify, request
from microsoft_agents.hosting.core import (
    ClaimsIdentity,
    ConnectorClientBase,
    HttpAdapterBase,
    HttpResponse,
    TeamsConnectorClient,
    TurnContext,
    UserTokenClient,
)

# (resource, scopes) → an access token for the Bot Connector; "" when anonymous.
TokenSource = Callable[[str, list[str]], Awaitable[str]]

log = logging.getLogger(__name__)


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


class FlaskRequestAdapter:
    """`HttpRequestProtocol` over a request already read and parsed in the WSGI thread."""

    def __init__(self, headers: Mapping[str, str], body: dict[str, Any],
                 claims: ClaimsIdentity) -> None:
        self._headers = dict(headers)
        self._body = body
        self._claims = claims

    @property
    def method(self) -> str:
        return "POST"

    @property
    def headers(self) -> dict[str, str]:
        return self._headers

    async def json(self) -> dict[str, Any]:
        return self._body

    def get_claims_identity(self) -> ClaimsIdentity:
        return self._claims

    def get_path_param(self, name: str) -> str:
        return ""


class ReplyClientFactory:
    """Connector clients for replies to the activity's serviceUrl, with the bot's token.

    No user-token (OAuth sign-in) service is used, so no token is fetched for it: a turn
    costs at most one (cached) Bot Connector token, and none with expectReplies.
    """

    def __init__(self, token_source: TokenSource) -> None:
        self._token_source = token_source

    async def create_connector_client(
        self, context: TurnContext | None, claims_identity: ClaimsIdentity, service_url: str,
        audience: str, scopes: list[str] | None = None, use_anonymous: bool = False,
    ) -> ConnectorClientBase:
        token = "" if use_anonymous else await self._token(
            audience, scopes or claims_identity.get_token_scope())
        return TeamsConnectorClient(endpoint=service_url, token=token)

    async def _token(self, audience: str, scopes: list[str]) -> str:
        """The bot's outgoing token, or 502 (JSON) when Entra ID does not give one. It is
        asked for before the turn runs, so a failure leaves nothing done."""
        try:
            return await self._token_source(audience, scopes)
        except Exception as exc:  # MSAL, the network, a misconfigured app: all the same here
            log.warning("cannot get the bot's token to reply to Teams: %s: %s",
                        type(exc).__name__, exc)
            raise HttpError(502, "the bot cannot get its token to reply to Teams; "
                                 "check [bot] app_id, app_password and app_tenant_id") from exc

    async def create_user_token_client(
        self, context: TurnContext, claims_identity: ClaimsIdentity, use_anonymous: bool = False
    ) -> UserTokenClient:
        return UserTokenClient(endpoint="https://token.botframework.com", token="",
                               app_id=claims_identity.get_app_id() or "anonymous")


class FlaskCloudAdapter(HttpAdapterBase):
    """`HttpAdapterBase` holds the shared logic (process the turn, 202 / invoke / replies)."""


def to_flask(response: HttpResponse) -> Response:
    if response.body is not None:
        result = jsonify(response.body)
        result.status_code = int(response.status_code)
    else:
        result = Response(status=int(response.status_code))
    for name, value in (response.headers or {}).items():
        result.headers[name] = value
    return result


class HttpError(Exception):
    """A request the bot refuses: answered as `{"error": message}` with `status`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def http_error_response(exc: HttpError) -> Response:
    result = jsonify({"error": exc.message})
    result.status_code = exc.status
    return result


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
