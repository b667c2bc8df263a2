"""`POST /$batch`: up to 20 sub-requests, `dependsOn`, Outlook's four-way parallelism."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from .render import dumps
from .wire import GraphError, Req, Resp, parse_query, split_segments

if TYPE_CHECKING:
    from .app import Emulator

MAX_REQUESTS = 20
PARALLEL = 4


def _validate(body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, dict) or not isinstance(body.get("requests"), list):
        raise GraphError(400, "BadRequest", "Invalid batch payload format.")
    items = body["requests"]
    if not items:
        raise GraphError(400, "BadRequest", "Invalid batch payload format.")
    if len(items) > MAX_REQUESTS:
        raise GraphError(400, "BadRequest", "The number of batch requests exceeds the limit of 20.")
    ids: set[str] = set()
    for item in items:
        if not isinstance(item, dict):
            raise GraphError(400, "BadRequest", "Invalid batch payload format.")
        for name in ("id", "method", "url"):
            if not isinstance(item.get(name), str) or not item[name]:
                raise GraphError(400, "BadRequest", f"Batch request is missing '{name}'.")
        if item["id"] in ids:
            raise GraphError(400, "BadRequest", f"Batch request id '{item['id']}' is duplicated.")
        for dep in item.get("dependsOn") or []:
            if dep not in ids:
                raise GraphError(400, "BadRequest", f"Request dependsOn unknown id '{dep}'.")
        ids.add(item["id"])
    return items


def _sub_request(outer: Req, item: dict[str, Any]) -> Req:
    parts = urlsplit(item["url"])
    # An item's URL is percent-encoded as on the wire (`alice%40contoso.com`); HTTP paths
    # reach the routes decoded (by the ASGI server), so batch items must too.
    segments = split_segments(unquote(parts.path))
    if segments[:1] != ["v1.0"]:
        segments = ["v1.0", *segments]
    headers = {str(k).lower(): str(v) for k, v in (item.get("headers") or {}).items()}
    for name in ("authorization", "client-request-id"):
        if name in outer.headers:
            headers.setdefault(name, outer.headers[name])
    if [s.lower() for s in segments[1:2]] == ["$batch"]:
        raise GraphError(400, "BadRequest", "A batch request cannot contain another batch.")
    body = item.get("body")
    raw = b"" if body is None else (body.encode() if isinstance(body, str) else dumps(body))
    return Req(item["method"].upper(), segments, parse_query(parts.query), headers, raw, outer.root)


def _answer(item_id: str, resp: Resp) -> dict[str, Any]:
    out: dict[str, Any] = {"id": item_id, "status": resp.status}
    headers = dict(resp.headers)
    if resp.body:
        headers["Content-Type"] = resp.media_type
    out["headers"] = headers
    if resp.body:
        try:
            out["body"] = json.loads(resp.body)
        except ValueError:
            out["body"] = resp.body.decode("utf-8", "replace")
    return out


async def run_batch(emu: Emulator, req: Req) -> Resp:
    """Run a batch; sequential when any item has `dependsOn`, else four at a time."""
    if req.method != "POST":
        raise GraphError(405, "Request_BadRequest", "Only POST is allowed on $batch.")
    items = _validate(req.json())
    answers: dict[str, dict[str, Any]] = {}
    if any(item.get("dependsOn") for item in items):
        for item in items:
            failed = [d for d in item.get("dependsOn") or [] if answers[d]["status"] >= 400]
            if failed:
                answers[item["id"]] = _failed_dependency(item["id"])
                continue
            resp = await emu.dispatch(_sub_request(req, item), check_auth=False)
            answers[item["id"]] = _answer(item["id"], resp)
    else:
        gate = asyncio.Semaphore(PARALLEL)

        async def run(item: dict[str, Any]) -> None:
            async with gate:
                resp = await emu.dispatch(_sub_request(req, item), check_auth=False)
            answers[item["id"]] = _answer(item["id"], resp)

        await asyncio.gather(*(run(item) for item in items))
    return Resp(200, dumps({"responses": [answers[item["id"]] for item in items]}))


def _failed_dependency(item_id: str) -> dict[str, Any]:
    return {
        "id": item_id,
        "status": 424,
        "headers": {"Content-Type": "application/json"},
        "body": {"error": {"code": "FailedDependency", "message": "A dependency failed."}},
    }
