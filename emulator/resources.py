"""Graph v1.0 plain reads: users, mail folders, messages, events, calendarView lists."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from .collection import Entry
from .graph import _collection, _folder, _headers, _immutable, _ts, _tz
from .render import dumps, event_bytes, message_bytes, parse_expand
from .state import Mailbox, Store
from .wire import GraphError, Req, Resp


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
