"""Transport-neutral requests, responses and Graph-shaped errors (shared by `$batch`)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

from .render import dumps


@dataclass
class Req:
    """A request after path normalisation: segments without empties, `x('id')` split."""

    method: str
    segments: list[str]
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    root: str  # e.g. "http://127.0.0.1:8765"
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    roles: frozenset[str] | None = None  # the app's roles, once its token is read

    @property
    def path(self) -> str:
        """The normalised path, e.g. `/v1.0/users/x/mailFolders/inbox/messages/delta`."""
        return "/" + "/".join(self.segments)

    def json(self) -> Any:
        """The body as JSON; raises GraphError 400 when it is not."""
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            raise GraphError(400, "BadRequest", "The request body is not valid JSON.") from None

    def prefer(self) -> dict[str, str]:
        """`Prefer` preferences, keys lower-cased, quotes stripped."""
        out: dict[str, str] = {}
        for part in self.headers.get("prefer", "").split(","):
            key, _, value = part.strip().partition("=")
            if key:
                out[key.strip().lower()] = value.strip().strip('"')
        return out


@dataclass
class Resp:
    """An answer: status, JSON (or text) body bytes and headers."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    media_type: str = "application/json"


class GraphError(Exception):
    """An error answered in Graph's shape."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def error_resp(req_id: str, client_id: str | None, err: GraphError) -> Resp:
    """Graph's `{"error": {"code", "message", "innerError"}}`."""
    body = {
        "error": {
            "code": err.code,
            "message": err.message,
            "innerError": {
                "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                "request-id": req_id,
                "client-request-id": client_id or req_id,
            },
        }
    }
    return Resp(err.status, dumps(body), dict(err.headers))


def json_resp(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Resp:
    """A JSON answer."""
    return Resp(status, dumps(value), headers or {})


def split_segments(path: str) -> list[str]:
    """`/v1.0//users/u/mailfolders('inbox')/messages/delta()` → clean segments."""
    out: list[str] = []
    for part in path.split("/"):
        if not part:
            continue
        if part.endswith(")") and "(" in part:
            name, _, arg = part[:-1].partition("(")
            out.append(name)
            arg = arg.strip()
            if len(arg) >= 2 and arg[0] == arg[-1] == "'":
                arg = arg[1:-1]
            if arg:
                out.append(unquote(arg))
        else:
            out.append(part)
    return out


def parse_query(query: str) -> dict[str, str]:
    """Query string → dict (the last value of a repeated key wins); `$` names lower-cased."""
    out: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        out[key.lower() if key.startswith("$") else key] = value
    return out
