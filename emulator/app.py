"""The Starlette app: one pipeline (auth, faults, throttling, counters) in front of the routes."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import auth, graph, login
from . import resources as res
from .settings import EmulatorSettings
from .state import Mailbox, Store
from .tenant import Tenant
from .wire import GraphError, Req, Resp, error_resp, parse_query, split_segments

log = logging.getLogger(__name__)
V = "v1.0"
ROUTES: list[tuple[str, tuple[str, ...], Any, str]] = [
    ("GET", (V, "users"), res.list_users, "users"),
    ("GET", (V, "users", "*"), res.get_user, "user"),
    ("GET", (V, "users", "*", "mailfolders"), res.list_folders, "mailFolders"),
    ("GET", (V, "users", "*", "mailfolders", "*"), res.get_folder, "mailFolder"),
    ("GET", (V, "users", "*", "mailfolders", "*", "messages"), res.list_messages, "folderMsgs"),
    ("GET", (V, "users", "*", "mailfolders", "*", "messages", "delta"), graph.messages_delta,
     "messagesDelta"),
    ("GET", (V, "users", "*", "messages"), res.list_messages, "messages"),
    ("GET", (V, "users", "*", "messages", "*"), res.get_message, "message"),
    ("GET", (V, "users", "*", "events"), res.list_events, "events"),
    ("GET", (V, "users", "*", "events", "*"), res.get_event, "event"),
    ("GET", (V, "users", "*", "calendarview"), res.list_calendar_view, "calendarView"),
    ("GET", (V, "users", "*", "calendarview", "delta"), graph.calendar_delta, "calendarViewDelta"),
]  # fmt: skip


def _match(
    table: list[tuple[str, tuple[str, ...], Any, str]], method: str, segments: list[str]
) -> tuple[Any, str, list[str]] | None:
    """The handler, route name and wildcard values for a path; None when no route has it."""
    lower = [s.lower() for s in segments]
    path_found = False
    for verb, pattern, handler, name in table:
        if len(pattern) != len(lower):
            continue
        if all(p == "*" or p == s for p, s in zip(pattern, lower, strict=True)):
            path_found = True
            if verb == method:
                args = [s for p, s in zip(pattern, segments, strict=True) if p == "*"]
                return handler, name, args
    if path_found:
        raise GraphError(405, "Request_BadRequest", f"The method {method} is not allowed here.")
    return None


def _not_found(segment: str) -> GraphError:
    return GraphError(404, "ResourceNotFound", f"Resource not found for the segment '{segment}'.")


class Emulator:
    """The emulator: a store plus the request pipeline; `app` is the ASGI app."""

    def __init__(self, tenant: Tenant | dict[str, Any] | str, settings: EmulatorSettings) -> None:
        from .calls import CallLog
        from .subscriptions import Subscriptions

        self.settings = settings
        self.store = Store(tenant, settings)
        self.calls = CallLog(self.store)  # /communications/callRecords (emulator/calls.py)
        self.subscriptions = Subscriptions(self.store, settings)
        self.tokens = auth.TokenIssuer(settings.tenant_id, self.store.app,
                                       lifetime_s=settings.token_lifetime_s,
                                       leeway_s=settings.token_leeway_s)
        self.app = Starlette(routes=[Route("/{path:path}", self._endpoint, methods=_METHODS)])

    async def _endpoint(self, request: Request) -> Response:
        req = Req(
            method=request.method,
            segments=split_segments(request.url.path),
            query=parse_query(request.url.query),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=await request.body(),
            root=f"{request.url.scheme}://{request.url.netloc}",
        )
        resp = await self.dispatch(req, check_auth=True)
        resp.headers["request-id"] = req.request_id
        resp.headers["client-request-id"] = req.headers.get("client-request-id", req.request_id)
        return Response(resp.body, resp.status, resp.headers, media_type=resp.media_type)

    async def dispatch(self, req: Req, *, check_auth: bool) -> Resp:
        """Answer one request (HTTP or a `$batch` item); never raises."""
        route = "unknown"
        try:
            if req.segments[:1] == ["_emulator"]:
                from .control import handle_control

                route = "control"
                return await handle_control(self, req)
            if login.is_login_path(req):
                route = "control"  # Entra ID's endpoints, not Graph: counted apart
                return login.handle(self.tokens, self.store.counters, req)
            route = self._route_name(req)  # counted under its route even when it fails
            if check_auth:
                self._check_auth(req)
            resp, route = await self._graph(req)
        except GraphError as err:
            resp = error_resp(req.request_id, req.headers.get("client-request-id"), err)
        except Exception:  # the emulator must never answer with a stack trace
            log.exception("emulator: unhandled error on %s %s", req.method, req.path)
            internal = GraphError(500, "generalException", "An internal server error occurred.")
            resp = error_resp(req.request_id, req.headers.get("client-request-id"), internal)
        if route != "control":
            self.store.counters.record(route, resp.status, len(resp.body))
        return resp

    @staticmethod
    def _route_name(req: Req) -> str:
        """The route a Graph request is for (`unknown` when no route has its path)."""
        segs = req.segments
        if segs[:1] != [V]:
            return "unknown"
        second = segs[1].lower() if len(segs) > 1 else ""
        if second == "$batch" and len(segs) == 2:
            return "$batch"
        if second in ("subscriptions", "communications"):
            return second
        try:
            found = _match(ROUTES, req.method, segs)
        except GraphError:  # the path exists with another method
            return "unknown"
        return "unknown" if found is None else found[1]

    def _check_auth(self, req: Req) -> None:
        """With `require_token`, that token or one this emulator issued; else any (or none)."""
        wanted = self.settings.require_token
        if wanted is None:
            return
        token = auth.bearer(req)
        if token != wanted and not (auth.is_jwt(token) and self.tokens.verify(token)):
            raise GraphError(401, "InvalidAuthenticationToken", "Access token is empty or invalid.")

    async def _graph(self, req: Req) -> tuple[Resp, str]:
        segs = req.segments
        if segs[:1] != [V]:
            raise _not_found(segs[0] if segs else "")
        special = await self._special(req, segs)
        if special is not None:
            return special
        found = _match(ROUTES, req.method, segs)
        if found is None:
            raise _not_found(segs[-1] if segs else "")
        handler, name, args = found
        req.roles = auth.roles_of(self.tokens, req)
        auth.enforce(req.roles, name, req)
        mb = self._mailbox(segs, args)
        self._fault(req, mb)
        if mb is None:
            return handler(self.store, req, None, args), name
        self._budget(mb)
        return await self._gated(mb, lambda: handler(self.store, req, mb, args)), name

    async def _special(self, req: Req, segs: list[str]) -> tuple[Resp, str] | None:
        """`$batch` and `subscriptions`, which have handlers of their own; None otherwise."""
        second = segs[1].lower() if len(segs) > 1 else ""
        if second == "$batch" and len(segs) == 2:
            from .batch import run_batch

            return await run_batch(self, req), "$batch"
        if second == "subscriptions":
            req.roles = auth.roles_of(self.tokens, req)
            return await self.subscriptions.handle(req, segs[2:]), "subscriptions"
        if second == "communications":
            req.roles = auth.roles_of(self.tokens, req)
            self._fault(req, None)
            return await self.calls.handle(req, segs[2:])
        return None

    def _mailbox(self, segs: list[str], args: list[str]) -> Mailbox | None:
        """The mailbox a `/users/{id}/…` path is about (None for `/users` itself)."""
        if len(segs) <= 2:
            return None
        mb = self.store.mailbox(args[0])
        if mb is None:
            code = "Request_ResourceNotFound" if len(segs) == 3 else "ErrorInvalidUser"
            raise GraphError(404, code, f"The requested user '{args[0]}' is invalid.")
        return mb

    async def _gated(self, mb: Mailbox, call: Callable[[], Resp]) -> Resp:
        """Run `call` within the mailbox's concurrency limit (429 beyond it)."""
        gate = mb.gate
        if gate.in_flight >= self.settings.max_concurrency:
            self.store.counters.bump("throttled")
            raise GraphError(
                429, "ApplicationThrottled", "Application is over its MailboxConcurrency limit.",
                {"Retry-After": str(self.settings.concurrency_retry_after)},
            )  # fmt: skip
        gate.in_flight += 1
        try:
            if self.settings.latency_s > 0:
                await asyncio.sleep(self.settings.latency_s)
            return call()
        finally:
            gate.in_flight -= 1

    def _fault(self, req: Req, mb: Mailbox | None) -> None:
        keys = (mb.id.lower(), mb.upn) if mb is not None else ()
        fault = self.store.faults.take(req.path, keys)
        if fault is None:
            return
        self.store.counters.bump("faults")
        code, message = fault.error()
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        raise GraphError(fault.status, code, message, headers)

    def _budget(self, mb: Mailbox) -> None:
        now = self.settings.clock().timestamp()
        gate, window = mb.gate, self.settings.budget_window_s
        if now - gate.window_start >= window:
            gate.window_start, gate.window_count = now, 0
        gate.window_count += 1
        if gate.window_count > self.settings.mailbox_budget:
            self.store.counters.bump("throttled")
            wait = max(1, math.ceil(gate.window_start + window - now))
            raise GraphError(
                429, "ApplicationThrottled",
                "Application is over its request limit for this mailbox.",
                {"Retry-After": str(wait)},
            )  # fmt: skip


_METHODS = ["GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS"]
