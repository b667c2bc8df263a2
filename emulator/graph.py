"""Graph v1.0 read handlers: users, mail folders, messages, events, delta rounds."""

from __future__ import annotations

from dataclasses import replace

from .auth import DENIED, MAIL_FULL
from .delta import CHANGE_TYPES, Page, SyncStateNotFound, Token, event_page, message_page
from .mailbox import Folder, Mailbox
from .render import dumps, parse_expand
from .state import Store
from .tenant import parse_datetime
from .wire import GraphError, Req, Resp

SYNC_GONE = GraphError(410, "syncStateNotFound", "The sync state generation is not found.")
DELTA_OPTIONS = {"$select", "$filter", "$expand", "$top", "$orderby", "changeType"}


def _page_size(store: Store, req: Req, applied: list[str]) -> int:
    cap = store.settings.max_page_size
    wanted = req.prefer().get("odata.maxpagesize") or req.query.get("$top")
    try:
        size = int(wanted) if wanted else 0
    except ValueError:
        raise GraphError(400, "BadRequest", f"Invalid page size '{wanted}'.") from None
    if size <= 0:
        return store.settings.default_page_size
    size = min(size, cap)
    if req.prefer().get("odata.maxpagesize"):
        applied.append(f"odata.maxpagesize={size}")
    return size


def _immutable(req: Req, applied: list[str]) -> bool:
    if req.prefer().get("idtype", "").lower() == "immutableid":
        applied.append('IdType="ImmutableId"')
        return True
    return False


def _collection(context: str, items: list[bytes], link: tuple[str, str] | None) -> bytes:
    tail = b"" if link is None else b"," + dumps(link[0]) + b":" + dumps(link[1])
    return (
        b'{"@odata.context":'
        + dumps(context)
        + b',"value":['
        + b",".join(items)
        + b"]"
        + tail
        + b"}"
    )


def _headers(applied: list[str]) -> dict[str, str]:
    return {"Preference-Applied": ", ".join(applied)} if applied else {}


def _folder(mb: Mailbox, key: str) -> Folder:
    folder = mb.folder(key)
    if folder is None:
        raise GraphError(
            404, "ErrorItemNotFound", "The specified object was not found in the store."
        )
    return folder


def _ts(value: str | None, name: str) -> float:
    if not value:
        raise GraphError(
            400,
            "ErrorInvalidParameter",
            "This request requires a time window specified by the query string parameters "
            "StartDateTime and EndDateTime.",
        )
    try:
        return parse_datetime(value, where=name).timestamp()
    except ValueError:
        raise GraphError(400, "ErrorInvalidParameter", f"Invalid {name}: '{value}'.") from None


def _delta_token(store: Store, req: Req, mb: Mailbox, kind: str, scope: str) -> Token | None:
    text = req.query.get("$skiptoken") or req.query.get("$deltatoken")
    if text is None:
        return None
    try:
        token = Token.decode(text)
    except SyncStateNotFound:
        raise SYNC_GONE from None
    if (token.kind, token.mailbox, token.epoch) != (kind, mb.id, mb.epoch):
        raise SYNC_GONE
    if kind == "m" and token.scope != scope:
        raise SYNC_GONE
    return replace(token, upto=store.seq) if token.upto == 0 else token


def _received_filter(text: str | None) -> float | None:
    if not text:
        return None
    parts = text.split()
    if len(parts) != 3 or parts[0].lower() != "receiveddatetime" or parts[1] not in ("ge", "gt"):
        raise GraphError(400, "ErrorInvalidUrlQueryFilter", "The query filter is not supported.")
    try:
        return parse_datetime(parts[2].strip("'"), where="$filter").timestamp()
    except ValueError:
        raise GraphError(400, "BadRequest", f"Invalid filter value '{parts[2]}'.") from None


def _initial_message_token(store: Store, req: Req, mb: Mailbox, folder: Folder) -> Token:
    for key in req.query:
        if (key.startswith("$") and key not in DELTA_OPTIONS) or key == "$search":
            raise GraphError(400, "BadRequest", f"Query option '{key}' is not supported on delta.")
    change_type = req.query.get("changeType")
    if change_type is not None and change_type not in CHANGE_TYPES:
        raise GraphError(400, "BadRequest", f"Invalid changeType '{change_type}'.")
    orderby = req.query.get("$orderby")
    if orderby and orderby.lower().split() != ["receiveddatetime", "desc"]:
        raise GraphError(400, "BadRequest", "Only $orderby=receivedDateTime desc is supported.")
    try:
        expand = parse_expand(req.query.get("$expand"))
    except ValueError as exc:
        raise GraphError(400, "BadRequest", str(exc)) from None
    select = tuple(s.strip().lower() for s in req.query.get("$select", "").split(",") if s.strip())
    return Token(
        "m", mb.id, folder.id, 0, store.seq, 0, mb.epoch,
        select=select, change_type=change_type,
        received_ge=_received_filter(req.query.get("$filter")), expand=expand,
    )  # fmt: skip


def _delta_resp(req: Req, page: Page, base: str, context: str, applied: list[str]) -> Resp:
    if page.next_token is not None:
        link = ("@odata.nextLink", f"{base}?$skiptoken={page.next_token.encode()}")
    else:
        assert page.delta_token is not None
        link = ("@odata.deltaLink", f"{base}?$deltatoken={page.delta_token.encode()}")
    return Resp(200, _collection(context, page.items, link), _headers(applied))


def messages_delta(store: Store, req: Req, mb: Mailbox | None, args: list[str]) -> Resp:
    """`GET /users/{id}/mailFolders/{folder}/messages/delta`."""
    assert mb is not None
    folder = _folder(mb, args[1])
    applied: list[str] = []
    immutable = _immutable(req, applied)
    size = _page_size(store, req, applied)
    with store.lock:
        token = _delta_token(store, req, mb, "m", folder.id)
        token = token or _initial_message_token(store, req, mb, folder)
        if token.expand and req.roles is not None and not req.roles & MAIL_FULL:
            raise GraphError(403, *DENIED)  # a delta/next link keeps the round's $expand
        page = message_page(
            folder.items, token, size=size, immutable=immutable, cap=store.settings.filter_cap
        )
    base = f"{req.root}/v1.0/users/{mb.id}/mailfolders('{folder.id}')/messages/delta"
    return _delta_resp(req, page, base, f"{req.root}/v1.0/$metadata#Collection(message)", applied)


def _tz(req: Req, applied: list[str]) -> str:
    tz = req.prefer().get("outlook.timezone")
    if tz:
        applied.append(f'outlook.timezone="{tz}"')
    return tz or "UTC"


def calendar_delta(store: Store, req: Req, mb: Mailbox | None, args: list[str]) -> Resp:
    """`GET /users/{id}/calendarView/delta?startDateTime&endDateTime`."""
    assert mb is not None
    applied: list[str] = []
    immutable = _immutable(req, applied)
    size = _page_size(store, req, applied)
    tz = _tz(req, applied)
    with store.lock:
        token = _delta_token(store, req, mb, "c", "")
        if token is None:
            start = _ts(req.query.get("startDateTime"), "startDateTime")
            end = _ts(req.query.get("endDateTime"), "endDateTime")
            token = Token("c", mb.id, f"{start}|{end}", 0, store.seq, 0, mb.epoch)
        page = event_page(mb.calendar, token, size=size, immutable=immutable, tz=tz)
    base = f"{req.root}/v1.0/users/{mb.id}/calendarView/delta"
    return _delta_resp(req, page, base, f"{req.root}/v1.0/$metadata#Collection(event)", applied)
