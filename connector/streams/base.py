"""What every stream shares: the request shape, page decoding, and JSON → dataclass helpers.

A stream declares one Graph collection: its path, the query of a round's first request, the
`Prefer` header, and `parse(raw) -> DeltaItem`. It holds no page loop: `connector/sync/engine.py`
drives every stream the same way. Raw JSON never leaves this package.
"""

from __future__ import annotations

import functools
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_abstractions.request_information import RequestInformation

from connector.errors import Action, GraphError
from connector.graph.client import GraphClient
from connector.items import Address, DeltaItem, Removed, Skipped
from storage.vocabulary import StreamKind


class Malformed(ValueError):
    """An item that cannot become a dataclass; its message is the counted reason."""


@dataclass(frozen=True)
class Window:
    """A calendarView window (aware UTC datetimes)."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Page:
    """A decoded delta page: the parsed items and the raw links for the paginator."""

    items: list[DeltaItem]
    links: dict[str, Any]


class Stream(ABC):
    """One Graph delta collection of one mailbox."""

    kind: StreamKind
    path: str  # documentation of the collection, e.g. /users/{user}/calendarView/delta

    def __init__(self, mailbox: str, folder: str = "") -> None:
        self.mailbox = mailbox
        self.folder = folder

    @property
    def name(self) -> str:
        return f"{self.kind}:{self.folder}" if self.folder else self.kind

    @abstractmethod
    def first_request(
        self, client: GraphClient, page_size: int, window: Window | None
    ) -> RequestInformation:
        """The request that opens a round (query options are given only here)."""

    @abstractmethod
    def link_request(self, client: GraphClient, link: str, page_size: int) -> RequestInformation:
        """The request for a nextLink / deltaLink, followed verbatim."""

    @abstractmethod
    def parse(self, raw: dict[str, Any]) -> DeltaItem:
        """One JSON item → a frozen dataclass; raises `Malformed` naming what is wrong."""

    def decode(self, content: bytes) -> Page:
        """A page body → parsed items (malformed ones become `Skipped`) and its links."""
        try:
            data = json.loads(content)
        except (ValueError, UnicodeDecodeError) as exc:
            raise GraphError(Action.RETRY, f"{self.name}: a page was not JSON ({exc})") from None
        values = data.get("value") if isinstance(data, dict) else None
        if not isinstance(values, list):
            raise GraphError(Action.RETRY, f"{self.name}: a page had no 'value' list")
        return Page([self.parse_item(raw) for raw in values], data)

    def parse_item(self, raw: Any) -> DeltaItem:
        if not isinstance(raw, dict):
            return Skipped("", "not_an_object")
        item_id = raw.get("id")
        if not isinstance(item_id, str) or not item_id:
            return Skipped("", "no_id")
        removed = raw.get("@removed")
        if removed is not None:
            reason = removed.get("reason") if isinstance(removed, dict) else None
            return Removed(item_id, str(reason or "deleted"))
        try:
            return self.parse(raw)
        except Malformed as exc:
            return Skipped(item_id, str(exc))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            return Skipped(item_id, f"bad_{type(exc).__name__.lower()}")


def configure(prefer: list[str], query: Any = None) -> RequestConfiguration[Any]:
    """A request configuration carrying the Prefer values (sent on every request)."""
    config: RequestConfiguration[Any] = RequestConfiguration(query_parameters=query)
    for value in prefer:
        config.headers.add("Prefer", value)
    return config


def address(value: Any) -> Address | None:
    """`{"emailAddress": {"address", "name"}}` → Address (lower-case), None when unusable."""
    if not isinstance(value, dict):
        return None
    email = value.get("emailAddress")
    if not isinstance(email, dict):
        return None
    text = email.get("address")
    if not isinstance(text, str):
        return None
    name = email.get("name")
    return _address(text, name if isinstance(name, str) else "")


@functools.lru_cache(maxsize=16384)
def _address(text: str, name: str) -> Address | None:
    """Cached: the same people recur on every page (Address is immutable)."""
    text = text.strip().strip("<>").strip().lower()
    if "@" not in text or " " in text:
        return None
    return Address(text, name.strip())


def addresses(value: Any, field: str) -> tuple[Address, ...]:
    """A recipients list → addresses (entries without a usable address are dropped)."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise Malformed(f"bad_{field}")
    found = (address(v) for v in value)
    return tuple(a for a in found if a is not None)


def text(raw: dict[str, Any], key: str, default: str = "") -> str:
    value = raw.get(key)
    return value if isinstance(value, str) else default


def optional_text(raw: dict[str, Any], key: str) -> str | None:
    value = raw.get(key)
    return value if isinstance(value, str) and value else None


def flag(raw: dict[str, Any], key: str) -> bool:
    return raw.get(key) is True


def strings(raw: dict[str, Any], key: str) -> tuple[str, ...]:
    value = raw.get(key)
    if not isinstance(value, list):
        return ()
    return tuple(v for v in value if isinstance(v, str))


def utc(value: Any, field: str) -> datetime | None:
    """A Graph dateTimeOffset (or naive UTC string with 7 fractional digits) → naive UTC."""
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise Malformed(f"bad_{field}")
    body = value[:-1] if value.endswith("Z") else value
    head, dot, frac = body.partition(".")
    if dot:
        digits = "".join(ch for ch in frac if ch.isdigit())
        body = f"{head}.{digits[:6]}{frac[len(digits):]}"
    try:
        parsed = datetime.fromisoformat(body)
    except ValueError:
        raise Malformed(f"bad_{field}") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed
