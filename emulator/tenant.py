"""The tenant file: users plus Graph's own JSON for each mailbox's messages and events."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

WELL_KNOWN_FOLDERS: dict[str, str] = {
    "inbox": "Inbox",
    "sentitems": "Sent Items",
    "drafts": "Drafts",
    "deleteditems": "Deleted Items",
    "archive": "Archive",
    "junkemail": "Junk Email",
    "outbox": "Outbox",
}


@dataclass
class Tenant:
    """A validated tenant: users, and messages / events keyed by lower-case UPN."""

    users: list[dict[str, Any]]
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    app: dict[str, Any] = field(default_factory=dict)  # roles, clientId, clientSecret


def parse_datetime(value: Any, *, where: str) -> datetime:
    """Parse a Graph dateTimeOffset (or naive UTC) string into an aware datetime."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"tenant: {where}: expected a date-time string, got {value!r}")
    text = value[:-1] if value.endswith("Z") else value
    if "." in text:
        head, _, frac = text.partition(".")
        digits = "".join(ch for ch in frac if ch.isdigit())
        rest = frac[len(digits) :]
        text = f"{head}.{digits[:6]}{rest}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"tenant: {where}: not an ISO 8601 date-time: {value!r}") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def load_tenant(source: Tenant | dict[str, Any] | str | Path) -> Tenant:
    """Load and validate a tenant from a file path, a dict or an existing `Tenant`.

    Raises:
        ValueError: naming the first problem found.
    """
    if isinstance(source, Tenant):
        return source
    if not isinstance(source, str | Path):
        return validate_tenant(source)
    path = Path(source)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"tenant: cannot read {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"tenant: {path} is not JSON: {exc}") from None
    return validate_tenant(data)


def validate_tenant(data: Any) -> Tenant:
    """Check the shape of a tenant document and return it as a `Tenant`."""
    if not isinstance(data, dict):
        raise ValueError("tenant: the document must be a JSON object")
    unknown = set(data) - {"users", "messages", "events", "app"}
    if unknown:
        raise ValueError(f"tenant: unknown top-level key {sorted(unknown)[0]!r}")
    users = data.get("users")
    if not isinstance(users, list) or not users:
        raise ValueError("tenant: 'users' must be a non-empty list")
    keys: dict[str, str] = {}
    for i, user in enumerate(users):
        where = f"users[{i}]"
        if not isinstance(user, dict):
            raise ValueError(f"tenant: {where}: must be an object")
        for name in ("id", "userPrincipalName"):
            if not isinstance(user.get(name), str) or not user[name]:
                raise ValueError(f"tenant: {where}: missing {name!r}")
        upn = user["userPrincipalName"].lower()
        for key in (upn, user["id"].lower()):
            if key in keys:
                raise ValueError(f"tenant: {where}: duplicate user {key!r}")
            keys[key] = upn
    messages = _items_by_mailbox(data.get("messages", {}), "messages", keys, _check_message)
    events = _items_by_mailbox(data.get("events", {}), "events", keys, _check_event)
    return Tenant(users=users, messages=messages, events=events, app=_check_app(data.get("app")))


def _check_app(app: Any) -> dict[str, Any]:
    """`app`: the application's `roles` (a list of permission names), `clientId`, `clientSecret`."""
    if app is None:
        return {}
    if not isinstance(app, dict):
        raise ValueError("tenant: 'app' must be an object")
    unknown = set(app) - {"roles", "clientId", "clientSecret"}
    if unknown:
        raise ValueError(f"tenant: app: unknown key {sorted(unknown)[0]!r}")
    roles = app.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(r, str) and r for r in roles):
        raise ValueError("tenant: app.roles: must be a list of permission names")
    for name in ("clientId", "clientSecret"):
        if name in app and (not isinstance(app[name], str) or not app[name]):
            raise ValueError(f"tenant: app.{name}: must be a non-empty string")
    return dict(app)


def _items_by_mailbox(
    section: Any, name: str, keys: dict[str, str], check: Any
) -> dict[str, list[dict[str, Any]]]:
    if not isinstance(section, dict):
        raise ValueError(f"tenant: {name!r} must be an object keyed by user principal name")
    out: dict[str, list[dict[str, Any]]] = {}
    for owner, items in section.items():
        upn = keys.get(str(owner).lower())
        if upn is None:
            raise ValueError(f"tenant: {name}[{owner!r}]: no such user")
        if not isinstance(items, list):
            raise ValueError(f"tenant: {name}[{owner!r}]: must be a list")
        seen: set[str] = set()
        for i, item in enumerate(items):
            where = f"{name}[{owner!r}][{i}]"
            if not isinstance(item, dict):
                raise ValueError(f"tenant: {where}: must be an object")
            if not isinstance(item.get("id"), str) or not item["id"]:
                raise ValueError(f"tenant: {where}: missing 'id'")
            if item["id"] in seen:
                raise ValueError(f"tenant: {where}: duplicate id {item['id']!r}")
            seen.add(item["id"])
            check(item, where)
        out.setdefault(upn, []).extend(items)
    return out


def _check_message(item: dict[str, Any], where: str) -> None:
    for name in ("receivedDateTime", "sentDateTime"):
        if item.get(name) is not None:
            parse_datetime(item[name], where=f"{where}.{name}")
    folder = item.get("parentFolderId", "inbox")
    if not isinstance(folder, str) or not folder:
        raise ValueError(f"tenant: {where}.parentFolderId: must be a folder id or well-known name")


def _check_event(item: dict[str, Any], where: str) -> None:
    for name in ("start", "end"):
        value = item.get(name)
        if not isinstance(value, dict) or "dateTime" not in value:
            raise ValueError(f"tenant: {where}.{name}: must be a dateTimeTimeZone object")
        parse_datetime(value["dateTime"], where=f"{where}.{name}.dateTime")
    recurrence = item.get("recurrence")
    if recurrence is not None and not isinstance(recurrence, dict):
        raise ValueError(f"tenant: {where}.recurrence: must be an object")
