"""Graph v1.0 read handlers: users, mail folders, messages, events, delta rounds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from .collection import Entry
from .delta import CHANGE_TYPES, Page, SyncStateNotFound, Token, event_page, message_page
from .render import dumps, event_bytes, message_bytes, parse_expand
from .state import Folder, Mailbox, Store
from .tenant import parse_datetime
from .wire import GraphError, Req, Resp

Handler = Callable[[Store, Req, Mailbox | None, list[str]], Resp]
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


def _top_skip(req: Req) -> tuple[int, int]:
    try:
        top = int(req.query.get("$top", "10"))
        skip = int(req.query.get("$skip", "0"))
    except ValueError:
        raise GraphError(400, "BadRequest", "$top and $skip must be integers.") from None
    if not 1 <= top <= 1000 or skip < 0:
        raise GraphError(400, "ErrorInvalidParameter", "$top must be between 1 and 1000.")
    return top, skip


def _list(req: Req, items: list[bytes], context: str, top: int, skip: int, total: int) -> Resp:
    link = None
    if skip + top < total:
        query = {k: v for k, v in req.query.items() if k not in ("$skip", "$top")}
        query.update({"$top": str(top), "$skip": str(skip + top)})
        link = ("@odata.nextLink", f"{req.root}{req.path}?{urlencode(query, safe='$,')}")
    return Resp(200, _collection(f"{req.root}/v1.0/$metadata#{context}", items, link))


def list_users(store: Store, req: Req, mb: Mailbox | None, args: list[str]) -> Resp:
    """`GET /users`."""
    top, skip = _top_skip(req)
    users = [m.user for m in store.mailboxes.values()]
    items = [dumps(u) for u in users[skip : skip + top]]
    return _list(req, items, "users", top, skip, len(users))


def get_user(store: Store, req: Req, mb: Mailbox | None, args: list[str]) -> Resp:
    """`GET /users/{id|upn}`."""
    assert mb is not None
    return Resp(
        200, dumps({"@odata.context": f"{req.root}/v1.0/$metadata#users/$entity", **mb.user})
    )


def list_folders(store: Store, req: Req, mb: Mailbox | None, args: list[str]) -> Resp:
    """`GET /users/{id}/mailFolders`."""
    assert mb is not None
    top, skip = _top_skip(req)
    with store.lock:
        folders = [dumps(f.json()) for f in mb.folders.values()]
    return _list(req, folders[skip : skip + top], "mailFolders", top, skip, len(folders))


def get_folder(store: Store, req: Req, mb: Mailbox | None, args: list[str]) -> Resp:
    """`GET /users/{id}/mailFolders/{id|well-known name}`."""
    assert mb is not None
    with store.lock:
        return Resp(200, dumps(_folder(mb, args[1]).json()))


def _select(req: Req) -> tuple[str, ...]:
    return tuple(s.strip().lower() for s in req.query.get("$select", "").split(",") if s.strip())


def list_messages(store: Store, req: Req, mb: Mailbox | None, args: list[str]) -> Resp:
    """`GET /users/{id}/messages` and `.../mailFolders/{f}/messages` (newest first)."""
    assert mb is not None
    top, skip = _top_skip(req)
    applied: list[str] = []
    immutable = _immutable(req, applied)
    folders = [_folder(mb, args[1])] if len(args) > 1 else list(mb.folders.values())
    with store.lock:
        live = [(e.start, i, e) for f in folders for i, e in f.items.live()]
        live.sort(key=lambda t: (-t[0], t[1]))
        items = [
            message_bytes(e, i, immutable=immutable, select=_select(req), expand=None)
            for _, i, e in live[skip : skip + top]
        ]
    resp = _list(req, items, "messages", top, skip, len(live))
    resp.headers.update(_headers(applied))
    return resp


def get_message(store: Store, req: Req, mb: Mailbox | None, args: list[str]) -> Resp:
    """`GET /users/{id}/messages/{id}`."""
    assert mb is not None
    applied: list[str] = []
    immutable = _immutable(req, applied)
    try:
        expand = parse_expand(req.query.get("$expand"))
    except ValueError as exc:
        raise GraphError(400, "BadRequest", str(exc)) from None
    with store.lock:
        item_id = mb.resolve_id(args[1])
        folder_id = mb.message_folder.get(item_id)
        if folder_id is None:
            raise GraphError(
                404, "ErrorItemNotFound", "The specified object was not found in the store."
            )
        entry = mb.folders[folder_id].items.entries[item_id]
        data = message_bytes(
            entry, item_id, immutable=immutable, select=_select(req), expand=expand
        )
    return Resp(200, data, _headers(applied))


def _source_entry(raw: dict[str, Any]) -> Entry:
    from .calendar import normalise

    return Entry(raw=normalise(raw)[0], seq=0, created=0)


def get_event(store: Store, req: Req, mb: Mailbox | None, args: list[str]) -> Resp:
    """`GET /users/{id}/events/{id}` (instances and series masters)."""
    assert mb is not None
    applied: list[str] = []
    immutable = _immutable(req, applied)
    tz = _tz(req, applied)
    with store.lock:
        item_id = mb.resolve_id(args[1])
        entry = mb.calendar.entries.get(item_id)
        if entry is None or entry.removed:
            raw = mb.sources.get(item_id)
            if raw is None:
                raise GraphError(
                    404, "ErrorItemNotFound", "The specified object was not found in the store."
                )
            entry = _source_entry(raw)
        data = event_bytes(entry, item_id, immutable=immutable, tz=tz)
    return Resp(200, data, _headers(applied))


def list_events(store: Store, req: Req, mb: Mailbox | None, args: list[str]) -> Resp:
    """`GET /users/{id}/events`: single instances and series masters."""
    assert mb is not None
    top, skip = _top_skip(req)
    applied: list[str] = []
    immutable, tz = _immutable(req, applied), _tz(req, applied)
    with store.lock:
        roots = [(k, v) for k, v in mb.sources.items() if not v.get("seriesMasterId")]
        items = [
            event_bytes(_source_entry(v), k, immutable=immutable, tz=tz)
            for k, v in roots[skip : skip + top]
        ]
    resp = _list(req, items, "events", top, skip, len(roots))
    resp.headers.update(_headers(applied))
    return resp


def list_calendar_view(store: Store, req: Req, mb: Mailbox | None, args: list[str]) -> Resp:
    """`GET /users/{id}/calendarView?startDateTime&endDateTime`, ordered by start."""
    assert mb is not None
    top, skip = _top_skip(req)
    start = _ts(req.query.get("startDateTime"), "startDateTime")
    end = _ts(req.query.get("endDateTime"), "endDateTime")
    applied: list[str] = []
    immutable, tz = _immutable(req, applied), _tz(req, applied)
    with store.lock:
        inside = [(e.start, i, e) for i, e in mb.calendar.live() if e.start < end and e.end > start]
        inside.sort(key=lambda t: (t[0], t[1]))
        items = [
            event_bytes(e, i, immutable=immutable, tz=tz) for _, i, e in inside[skip : skip + top]
        ]
    resp = _list(req, items, "events", top, skip, len(inside))
    resp.headers.update(_headers(applied))
    return resp


def parse_iso(value: str) -> datetime:
    """Parse a dateTimeOffset (used by subscriptions)."""
    return parse_datetime(value, where="expirationDateTime")
