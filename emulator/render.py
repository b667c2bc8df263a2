"""Graph JSON for stored items: `$select`, `$expand`, immutable ids, time zones."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from .calendar import graph_dt, to_utc
from .collection import Entry

IMMUTABLE_PREFIX = "AAkALg"
_EXPAND_FILTER = re.compile(r"\$filter\s*=\s*id\s+eq\s+'([^']+)'", re.IGNORECASE)
_EXTENDED = "singleValueExtendedProperties"
_ONLY_SELECTED = {_EXTENDED, "internetMessageHeaders"}
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def dumps(value: Any) -> bytes:
    """Compact JSON bytes."""
    return _dumps(value).encode()


def immutable_id(item_id: str) -> str:
    """The `Prefer: IdType="ImmutableId"` form of an id: stable, different in form."""
    return IMMUTABLE_PREFIX + base64.urlsafe_b64encode(item_id.encode()).decode().rstrip("=")


def from_immutable(value: str) -> str | None:
    """The stored id behind an immutable id, or None when ``value`` is not one."""
    if not value.startswith(IMMUTABLE_PREFIX):
        return None
    body = value[len(IMMUTABLE_PREFIX) :]
    try:
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None


def etag(seq: int) -> str:
    """A weak etag that changes with every change."""
    return f'W/"CQAAABYAAAD{seq:010d}"'


def parse_expand(value: str | None) -> str | None:
    """The extended-property id asked for by `$expand=singleValueExtendedProperties(...)`.

    Returns "*" for an unfiltered expand, None when nothing is expanded.

    Raises:
        ValueError: for an expand of something else.
    """
    if not value:
        return None
    if not value.strip().lower().startswith("singlevalueextendedproperties"):
        raise ValueError(f"Expand of '{value.split('(')[0]}' is not supported.")
    match = _EXPAND_FILTER.search(value)
    return match.group(1) if match else "*"


def _extended(raw: dict[str, Any], prop: str) -> list[dict[str, Any]]:
    props = raw.get("singleValueExtendedProperties") or []
    wanted = _norm_prop(prop)
    return [p for p in props if prop == "*" or _norm_prop(str(p.get("id", ""))) == wanted]


def _norm_prop(prop: str) -> str:
    kind, _, tag = prop.strip().partition(" ")
    try:
        return f"{kind.lower()} {int(tag, 16)}"
    except ValueError:
        return prop.lower()


def message_bytes(
    entry: Entry, item_id: str, *, immutable: bool, select: tuple[str, ...], expand: str | None
) -> bytes:
    """The message as delta / GET return it, cached per query shape on the entry."""
    key = f"{immutable}|{','.join(select)}|{expand}"
    cached = entry.cache.get(key)
    if cached is not None:
        return cached
    raw = entry.raw or {}
    out: dict[str, Any] = {
        "@odata.type": "#microsoft.graph.message",
        "@odata.etag": etag(entry.seq),
        "id": immutable_id(item_id) if immutable else item_id,
    }
    if select:
        lower = {k.lower(): k for k in raw}
        for name in select:
            real = lower.get(name)
            if real is not None and real not in out and real != _EXTENDED:
                out[real] = raw[real]
    else:
        for k, v in raw.items():
            if k not in out and k not in _ONLY_SELECTED:
                out[k] = v
    if expand:
        props = _extended(raw, expand)
        if props:
            out["singleValueExtendedProperties"] = props
    data = dumps(out)
    if len(entry.cache) >= 4:
        entry.cache.clear()
    entry.cache[key] = data
    return data


def event_bytes(entry: Entry, item_id: str, *, immutable: bool, tz: str) -> bytes:
    """The event instance in the asked time zone (UTC by default)."""
    key = f"{immutable}|{tz}"
    cached = entry.cache.get(key)
    if cached is not None:
        return cached
    raw = entry.raw or {}
    out: dict[str, Any] = {"@odata.type": "#microsoft.graph.event", "@odata.etag": etag(entry.seq)}
    out.update(raw)
    out["id"] = immutable_id(item_id) if immutable else item_id
    if immutable and raw.get("seriesMasterId"):
        out["seriesMasterId"] = immutable_id(raw["seriesMasterId"])
    if tz.upper() != "UTC":
        for name in ("start", "end"):
            if isinstance(raw.get(name), dict):
                out[name] = graph_dt(to_utc(raw[name], where=name), tz)
    data = dumps(out)
    if len(entry.cache) >= 4:
        entry.cache.clear()
    entry.cache[key] = data
    return data


def removed_bytes(kind: str, item_id: str) -> bytes:
    """An `@removed` delta item."""
    return dumps(
        {
            "@odata.type": f"#microsoft.graph.{kind}",
            "id": item_id,
            "@removed": {"reason": "deleted"},
        }
    )
