"""What every stream shares: the request shape, page decoding, and Graph → item helpers.

A stream declares one Graph collection: its path, the query of a round's first request, the
`Prefer` header, the schema of its items (`streams/schema.py`) and `convert(wire) -> DeltaItem`.
It holds no page loop: `connector/sync/engine.py` drives every stream the same way. Raw JSON
never leaves this package: msgspec decodes a page straight into the schema's typed structs,
validating it, and each is converted into interlog's item.
"""

from __future__ import annotations

import functools
import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

import msgspec
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_abstractions.request_information import RequestInformation

from connector.errors import Action, GraphError
from connector.graph.client import GraphClient
from connector.items import Address, DeltaItem, Removed, Skipped
from connector.paging import DELTA, NEXT
from connector.streams import schema
from storage.vocabulary import StreamKind

log = logging.getLogger(__name__)


class Malformed(ValueError):
    """An item that cannot become interlog's item; its message is the counted reason."""


@dataclass(frozen=True)
class Window:
    """A calendarView window (aware UTC datetimes)."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Page:
    """A decoded delta page: the items and its links (`@odata.nextLink` / `deltaLink`)."""

    items: list[DeltaItem]
    links: dict[str, str]


@functools.cache
def _decoders(kind: type[schema.Item]) -> tuple[Any, Any]:
    """msgspec decoders of a whole page of `kind`, and of one item (built once)."""
    return msgspec.json.Decoder(schema.Page[kind]), msgspec.json.Decoder(kind)  # type: ignore[valid-type]


_RAW_PAGE = msgspec.json.Decoder(schema.Page[msgspec.Raw])


def _links(page: schema.Page[Any]) -> dict[str, str]:
    links = {}
    if page.next_link is not None:
        links[NEXT] = page.next_link
    if page.delta_link is not None:
        links[DELTA] = page.delta_link
    return links


class Stream(ABC):
    """One Graph delta collection of one mailbox."""

    kind: StreamKind
    path: str  # documentation of the collection, e.g. /users/{user}/calendarView/delta
    wire_type: ClassVar[type[schema.Item]]  # its items in Graph's JSON (`schema.py`)

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
    def convert(self, wire: Any) -> DeltaItem:
        """One validated item of `schema` → interlog's item; raises `Malformed` naming what
        is wrong."""

    def decode(self, content: bytes) -> Page:
        """A page body → its items (malformed ones become `Skipped`) and its links.

        The whole page is decoded and validated in one call; when an item does not match
        the schema, the page is decoded again item by item, so that only that item is
        skipped (counted `malformed:<why>`, logged with msgspec's message). A body that is
        not JSON, or not a page (no `value` list, a link that is not a string), fails the
        stream with a `GraphError` naming the problem, and nothing of it is written.
        """
        page_decoder, _ = _decoders(self.wire_type)
        try:
            page = page_decoder.decode(content)
        except msgspec.ValidationError:
            return self._decode_each(content)
        except msgspec.DecodeError as exc:
            raise GraphError(Action.RETRY, f"{self.name}: a page was not JSON ({exc})") from None
        return Page([self.item(wire) for wire in page.value], _links(page))

    def _decode_each(self, content: bytes) -> Page:
        try:
            page = _RAW_PAGE.decode(content)
        except msgspec.ValidationError as exc:
            raise GraphError(Action.RETRY, f"{self.name}: a malformed page: {exc}") from None
        _, item_decoder = _decoders(self.wire_type)
        items: list[DeltaItem] = []
        for raw in page.value:
            try:
                items.append(self.item(item_decoder.decode(raw)))
            except msgspec.ValidationError as exc:
                items.append(self._invalid(schema.item_id(raw), exc))
        return Page(items, _links(page))

    def parse_item(self, raw: Any) -> DeltaItem:
        """One item already parsed from JSON (a `$batch` answer's body) → interlog's item."""
        try:
            wire = msgspec.convert(raw, self.wire_type)
        except msgspec.ValidationError as exc:
            return self._invalid(schema.item_id(raw), exc)
        return self.item(wire)

    def _invalid(self, item_id: str, error: msgspec.ValidationError) -> Skipped:
        why = schema.reason(error)
        log.warning("%s %s: item %r skipped (malformed:%s): %s", self.mailbox, self.name,
                    item_id, why, error)
        return Skipped("" if why == "no_id" else item_id, why)

    def item(self, wire: schema.Item) -> DeltaItem:
        """A validated item → `Removed`, interlog's item, or `Skipped` with the reason."""
        if not wire.id:
            return Skipped("", "no_id")
        if wire.removed is not None:
            return Removed(wire.id, wire.removed.reason or "deleted")
        try:
            return self.convert(wire)
        except Malformed as exc:
            return Skipped(wire.id, str(exc))


def configure(prefer: list[str], query: Any = None) -> RequestConfiguration[Any]:
    """A request configuration carrying the Prefer values (sent on every request)."""
    config: RequestConfiguration[Any] = RequestConfiguration(query_parameters=query)
    for value in prefer:
        config.headers.add("Prefer", value)
    return config


def address(value: schema.Recipient | schema.Attendee | None) -> Address | None:
    """`{"emailAddress": {"address", "name"}}` → Address (lower-case), None when unusable."""
    email = None if value is None else value.email_address
    if email is None or email.address is None:
        return None
    return _address(email.address, email.name or "")


@functools.lru_cache(maxsize=16384)
def _address(text: str, name: str) -> Address | None:
    """Cached: the same people recur on every page (Address is immutable)."""
    text = text.strip().strip("<>").strip().lower()
    if "@" not in text or " " in text:
        return None
    return Address(text, name.strip())


def addresses(values: list[schema.Recipient | None] | None) -> tuple[Address, ...]:
    """A recipients list → addresses (entries without a usable address are dropped)."""
    if not values:
        return ()
    return tuple([a for v in values if (a := address(v)) is not None])


def utc(value: str | None, field: str) -> datetime | None:
    """A Graph dateTimeOffset (or naive UTC string with 7 fractional digits) → naive UTC;
    digits past the microsecond are dropped."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise Malformed(f"bad_{field}") from None
    if parsed.tzinfo is UTC:
        return parsed.replace(tzinfo=None)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed
