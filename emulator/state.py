"""The in-memory tenant: mailboxes, folders, messages, events, and their change sequence."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import calendar
from .collection import Entry
from .limits import Counters, Fault, Faults
from .mailbox import Mailbox
from .settings import EmulatorSettings
from .tenant import Tenant, load_tenant, parse_datetime


@dataclass(frozen=True)
class Change:
    """One change to a resource, as notifications see it."""

    mailbox_id: str
    kind: str  # "message" | "event" | "callRecord"
    item_id: str
    change_type: str  # "created" | "updated" | "deleted"
    folder_id: str | None = None
    participants: tuple[str, ...] = ()  # a call record's participant ids (`emulator/calls.py`)


class Store:
    """All mailboxes plus counters, faults and change listeners. Thread-safe."""

    def __init__(self, tenant: Tenant | dict[str, Any] | str, settings: EmulatorSettings) -> None:
        self.settings = settings
        self.lock = threading.RLock()
        self.seq = 0
        self.counters = Counters()
        self.faults = Faults()
        self.listeners: list[Callable[[Change], None]] = []
        self.mailboxes: dict[str, Mailbox] = {}
        self._index: dict[str, Mailbox] = {}
        data = load_tenant(tenant)
        self.app = data.app  # the application's roles and credentials (emulator/auth.py)
        for user in data.users:
            mailbox = Mailbox(user)
            self.mailboxes[mailbox.id] = mailbox
            self._index[mailbox.id.lower()] = mailbox
            self._index[mailbox.upn] = mailbox
        with self.lock:
            for upn, messages in data.messages.items():
                for raw in messages:
                    self._put_message(self._index[upn], raw, notify=False)
            for upn, events in data.events.items():
                self._load_events(self._index[upn], events)

    # -- lookup ---------------------------------------------------------------------------
    def mailbox(self, key: str) -> Mailbox | None:
        """A mailbox by user id or UPN (case-insensitive)."""
        return self._index.get(key.lower())

    def _require(self, key: str) -> Mailbox:
        mailbox = self.mailbox(key)
        if mailbox is None:
            raise KeyError(f"no such mailbox: {key}")
        return mailbox

    def _next(self) -> int:
        self.seq += 1
        return self.seq

    def _emit(self, change: Change) -> None:
        for listener in list(self.listeners):
            listener(change)

    # -- messages -------------------------------------------------------------------------
    def add_message(self, mailbox: str, raw: dict[str, Any]) -> str:
        """Add (or replace) a message; returns its id."""
        if not isinstance(raw.get("id"), str) or not raw["id"]:
            raise ValueError("a message needs an 'id'")
        with self.lock:
            return self._put_message(self._require(mailbox), raw, notify=True)

    def update_message(self, mailbox: str, item_id: str, changes: dict[str, Any]) -> None:
        """Apply a partial update (a `parentFolderId` change moves the message)."""
        with self.lock:
            mb = self._require(mailbox)
            item_id = mb.resolve_id(item_id)
            folder_id = mb.message_folder.get(item_id)
            if folder_id is None:
                raise KeyError(f"no such message: {item_id}")
            raw = dict(mb.folders[folder_id].items.entries[item_id].raw or {})
            raw.update(changes)
            raw["lastModifiedDateTime"] = self._now()
            self._put_message(mb, raw, notify=True)

    def delete_message(self, mailbox: str, item_id: str) -> None:
        """Delete a message, leaving a tombstone for delta."""
        with self.lock:
            mb = self._require(mailbox)
            item_id = mb.resolve_id(item_id)
            folder_id = mb.message_folder.pop(item_id, None)
            if folder_id is None:
                raise KeyError(f"no such message: {item_id}")
            mb.folders[folder_id].items.remove(item_id, self._next())
        self._emit(Change(mb.id, "message", item_id, "deleted", folder_id))

    def _put_message(self, mb: Mailbox, raw: dict[str, Any], *, notify: bool) -> str:
        key = str(raw.get("parentFolderId") or "inbox")
        folder = mb.folder(key) or mb.add_folder(key, key)
        # Shallow: nested values are never mutated in place (updates build a new dict).
        stored = dict(raw)
        stored["parentFolderId"] = folder.id
        item_id = stored["id"]
        received = stored.get("receivedDateTime")
        when = parse_datetime(received, where="receivedDateTime").timestamp() if received else 0.0
        old_folder = mb.message_folder.get(item_id)
        if old_folder is not None and old_folder != folder.id:
            mb.folders[old_folder].items.remove(item_id, self._next())
        seq = self._next()
        created = folder.items.put(item_id, Entry(raw=stored, seq=seq, created=seq, start=when))
        mb.message_folder[item_id] = folder.id
        if notify:
            kind = "created" if created else "updated"
            self._emit(Change(mb.id, "message", item_id, kind, folder.id))
        return str(item_id)

    # -- events ---------------------------------------------------------------------------
    def add_event(self, mailbox: str, raw: dict[str, Any]) -> str:
        """Add (or replace) an event; a series master is expanded into occurrences."""
        if not isinstance(raw.get("id"), str) or not raw["id"]:
            raise ValueError("an event needs an 'id'")
        with self.lock:
            mb = self._require(mailbox)
            created = raw["id"] not in mb.sources
            mb.sources[raw["id"]] = copy.deepcopy(raw)
            self._refresh(mb, self._root(mb, raw["id"]))
        self._emit(Change(mb.id, "event", raw["id"], "created" if created else "updated"))
        return str(raw["id"])

    def update_event(self, mailbox: str, item_id: str, changes: dict[str, Any]) -> None:
        """Apply a partial update to a stored event (an occurrence becomes an exception)."""
        with self.lock:
            mb = self._require(mailbox)
            item_id = mb.resolve_id(item_id)
            if item_id not in mb.sources:
                entry = mb.calendar.entries.get(item_id)
                if entry is None or entry.raw is None:
                    raise KeyError(f"no such event: {item_id}")
                mb.sources[item_id] = dict(entry.raw, type="exception")
            mb.sources[item_id] = {**mb.sources[item_id], **changes}
            self._refresh(mb, self._root(mb, item_id))
        self._emit(Change(mb.id, "event", item_id, "updated"))

    def delete_event(self, mailbox: str, item_id: str) -> None:
        """Delete an event (a master takes its occurrences with it)."""
        with self.lock:
            mb = self._require(mailbox)
            item_id = mb.resolve_id(item_id)
            raw = mb.sources.pop(item_id, None)
            if raw is None:
                raise KeyError(f"no such event: {item_id}")
            root = self._root(mb, item_id, raw)
            if root == item_id:
                for key in [k for k, v in mb.sources.items() if v.get("seriesMasterId") == root]:
                    mb.sources.pop(key)
            self._refresh(mb, root)
        self._emit(Change(mb.id, "event", item_id, "deleted"))

    def _load_events(self, mb: Mailbox, events: list[dict[str, Any]]) -> None:
        for raw in events:
            mb.sources[raw["id"]] = copy.deepcopy(raw)
        for source_id in {self._root(mb, raw["id"]) for raw in events}:
            self._refresh(mb, source_id)

    @staticmethod
    def _root(mb: Mailbox, item_id: str, raw: dict[str, Any] | None = None) -> str:
        raw = raw if raw is not None else mb.sources.get(item_id, {})
        master = raw.get("seriesMasterId")
        return str(master) if master and master in mb.sources else item_id

    def _refresh(self, mb: Mailbox, root: str) -> None:
        """Recompute the calendarView instances of one source event and record changes."""
        raw = mb.sources.get(root)
        new: list[dict[str, Any]] = []
        if raw is not None:
            exceptions = [v for v in mb.sources.values() if v.get("seriesMasterId") == root]
            new = calendar.instances(raw, exceptions)
        old_ids = set(mb.instances_of.get(root, []))
        for inst in new:
            old = mb.calendar.entries.get(inst["id"])
            if old is not None and old.raw == inst:
                continue
            start = calendar.to_utc(inst["start"], where="start").timestamp()
            end = calendar.to_utc(inst["end"], where="end").timestamp()
            seq = self._next()
            mb.calendar.put(inst["id"], Entry(raw=inst, seq=seq, created=seq, start=start, end=end))
        new_ids = {inst["id"] for inst in new}
        for gone in old_ids - new_ids:
            mb.calendar.remove(gone, self._next())
        if new_ids:
            mb.instances_of[root] = sorted(new_ids)
        else:
            mb.instances_of.pop(root, None)

    # -- control --------------------------------------------------------------------------
    def expire_tokens(self, mailbox: str | None = None) -> None:
        """Make every delta token (of one mailbox, or all) answer 410 syncStateNotFound."""
        with self.lock:
            targets = [self._require(mailbox)] if mailbox else list(self.mailboxes.values())
            for mb in targets:
                mb.epoch += 1

    def inject_fault(
        self,
        status: int,
        *,
        count: int = 1,
        path: str | None = None,
        mailbox: str | None = None,
        retry_after: int | None = None,
        code: str | None = None,
        message: str | None = None,
    ) -> Fault:
        """Answer the next ``count`` matching Graph requests with ``status`` (any 4xx/5xx)
        and Graph's error ``code`` / ``message`` (default: the usual ones for the status)."""
        return self.faults.add(status, count=count, path=path, mailbox=mailbox,
                               retry_after=retry_after, code=code, message=message)

    def counters_snapshot(self) -> dict[str, Any]:
        """Counters as JSON."""
        return self.counters.snapshot()

    def reset_counters(self) -> None:
        """Zero the counters."""
        self.counters.reset()

    def sizes(self) -> dict[str, int]:
        """Internal sizes (entries, tombstones, log rows) summed over all collections."""
        total = {"entries": 0, "tombstones": 0, "log": 0, "sources": 0}
        with self.lock:
            for mb in self.mailboxes.values():
                total["sources"] += len(mb.sources)
                for coll in [mb.calendar, *(f.items for f in mb.folders.values())]:
                    for key, value in coll.sizes().items():
                        total[key] += value
        return total

    def _now(self) -> str:
        return self.settings.clock().strftime("%Y-%m-%dT%H:%M:%SZ")
