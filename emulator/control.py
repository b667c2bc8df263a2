"""The control API under `/_emulator/` (outside `/v1.0`): data, faults, tokens, counters."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .wire import GraphError, Req, Resp, json_resp

if TYPE_CHECKING:
    from .app import Emulator


def _body(req: Req) -> dict[str, Any]:
    body = req.json()
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise GraphError(400, "BadRequest", "The request body must be a JSON object.")
    return body


def _fault(emu: Emulator, req: Req) -> Resp:
    body = _body(req)
    try:
        fault = emu.store.inject_fault(
            int(body.get("status", 0)),
            count=int(body.get("count", 1)),
            path=body.get("path"),
            mailbox=body.get("mailbox"),
            retry_after=None if body.get("retryAfter") is None else int(body["retryAfter"]),
            code=None if body.get("code") is None else str(body["code"]),
            message=None if body.get("message") is None else str(body["message"]),
        )
    except (TypeError, ValueError) as exc:
        raise GraphError(400, "BadRequest", str(exc)) from None
    return json_resp(fault.describe(), 201)


def _items(emu: Emulator, req: Req, rest: list[str]) -> Resp:
    """`/_emulator/users/{upn}/{messages|events}[/{id}]`."""
    upn, kind = rest[0], rest[1].lower()
    store = emu.store
    add, update, delete = {
        "messages": (store.add_message, store.update_message, store.delete_message),
        "events": (store.add_event, store.update_event, store.delete_event),
    }[kind]
    if len(rest) == 2 and req.method == "POST":
        return json_resp({"id": add(upn, _body(req))}, 201)
    if len(rest) == 3 and req.method == "PATCH":
        update(upn, rest[2], _body(req))
        return Resp(204)
    if len(rest) == 3 and req.method == "DELETE":
        delete(upn, rest[2])
        return Resp(204)
    raise GraphError(405, "Request_BadRequest", f"The method {req.method} is not allowed here.")


def _calls(emu: Emulator, req: Req, key: str, rest: list[str]) -> Resp:
    """`POST /_emulator/callRecords` (a record), `PATCH /_emulator/callRecords/{id}` (later
    data: its version grows), `POST /_emulator/pstnCalls` (a PSTN call log row)."""
    calls = emu.calls
    if key == "callrecords" and not rest and req.method == "POST":
        return json_resp({"id": calls.add_record(_body(req))}, 201)
    if key == "callrecords" and len(rest) == 1 and req.method == "PATCH":
        return json_resp({"version": calls.update_record(rest[0], _body(req))})
    if key == "pstncalls" and not rest and req.method == "POST":
        return json_resp({"id": calls.add_pstn(_body(req))}, 201)
    raise GraphError(405, "Request_BadRequest", f"The method {req.method} is not allowed here.")


async def handle_control(emu: Emulator, req: Req) -> Resp:
    """Dispatch one control request; `KeyError` → 404, `ValueError` → 400."""
    rest = req.segments[1:]
    key = "/".join(s.lower() for s in rest[:1])
    store = emu.store
    try:
        if key == "health":
            return json_resp({"status": "ok"})
        if key == "counters" and req.method == "GET":
            return json_resp(store.counters_snapshot())
        if key == "counters" and rest[1:] == ["reset"] and req.method == "POST":
            store.reset_counters()
            return Resp(204)
        if key == "sizes":
            return json_resp(store.sizes())
        if key == "faults" and req.method == "GET":
            return json_resp({"value": store.faults.list()})
        if key == "faults" and req.method == "POST":
            return _fault(emu, req)
        if key == "faults" and req.method == "DELETE":
            store.faults.clear()
            return Resp(204)
        if key == "tokens" and rest[1:] == ["expire"] and req.method == "POST":
            store.expire_tokens(_body(req).get("mailbox"))
            return Resp(204)
        if key == "subscriptions" and len(rest) == 1 and req.method == "GET":
            subs = emu.subscriptions
            return json_resp({"value": [subs._public(s) for s in subs.items.values()]})
        if key == "subscriptions" and len(rest) == 3 and rest[2] == "lifecycle":
            emu.subscriptions.lifecycle(rest[1], str(_body(req).get("event", "")))
            return Resp(202)
        if key in ("callrecords", "pstncalls"):
            return _calls(emu, req, key, rest[1:])
        if key == "users" and len(rest) >= 3 and rest[2].lower() in ("messages", "events"):
            return _items(emu, req, rest[1:])
    except KeyError as exc:
        raise GraphError(404, "ResourceNotFound", str(exc.args[0] if exc.args else exc)) from None
    except ValueError as exc:
        raise GraphError(400, "BadRequest", str(exc)) from None
    raise GraphError(404, "ResourceNotFound", f"No control endpoint {req.method} {req.path}.")
