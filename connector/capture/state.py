"""What the database already knows about a page's items, read in a few set-based SELECTs."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage import dialect
from storage.capture_models import CapturedItem, DeletedEntryKey
from storage.models import InteractionLogEntry
from storage.vocabulary import ItemKind

CHUNK = 2000  # values per IN list: far below every back-end's bound-parameter limit


@dataclass(frozen=True)
class Copy:
    """This mailbox's stored copy of an item."""

    graph_id: str
    kind: str
    key: str
    is_organizer: bool
    contact_ids: frozenset[int]
    stored: bool = True  # its data is kept (`item`); False for copies saved before 0010


@dataclass(frozen=True)
class MeetingEntry:
    entry_no: int
    contact_id: int
    occurred_at: datetime
    duration_min: Decimal
    subject: str
    template_code: str


@dataclass
class PageState:
    copies: dict[str, Copy] = field(default_factory=dict)  # this mailbox's, by graph id
    known_keys: set[tuple[str, str]] = field(default_factory=set)  # (kind, key), any mailbox
    mail_entries: dict[str, set[int]] = field(default_factory=dict)  # message id → contacts
    meeting_entries: dict[str, list[MeetingEntry]] = field(default_factory=dict)  # by iCalUId
    # (kind, key) → contacts whose entry was deleted (`entries delete-canceled`): never again
    deleted: dict[tuple[str, str], set[int]] = field(default_factory=dict)


def chunks[T](values: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    """`values` in lists of at most `size` (none for no values)."""
    for batch in itertools.batched(values, size):
        yield list(batch)


def _ids(text: str) -> frozenset[int]:
    return frozenset(int(v) for v in text.split(",") if v)


def load_state(
    session: Session, mailbox: str, *, mail_keys: set[str], meeting_keys: set[str],
    removed_ids: set[str],
) -> PageState:
    """Copies, known keys and existing entries for the keys and ids of one page."""
    if session.autoflush:
        session.flush()  # as an ORM query would: Core statements (`_run`) do not autoflush
    state = PageState()
    rows: list[Any] = []
    for batch in chunks(mail_keys | meeting_keys):
        rows += _run(session, "copies_by_key", {"values": batch})
    for batch in chunks(removed_ids):
        rows += _run(session, "copies_by_id", {"values": batch, "mailbox": mailbox})
    for box, graph_id, kind, key, is_organizer, contact_ids, stored in rows:
        state.known_keys.add((kind, key))
        if box == mailbox:
            state.copies[graph_id] = Copy(graph_id, kind, key, is_organizer, _ids(contact_ids),
                                          bool(stored))
    removed_meetings = {c.key for c in state.copies.values()
                        if c.graph_id in removed_ids and c.kind == ItemKind.MEETING}
    _load_entries(session, state, mail_keys, meeting_keys | removed_meetings)
    _load_deleted(session, state, mail_keys | meeting_keys)
    return state


def _load_deleted(session: Session, state: PageState, keys: set[str]) -> None:
    for batch in chunks(keys):
        for kind, key, contact_id in _run(session, "deleted", {"values": batch}):
            state.deleted.setdefault((kind, key), set()).add(contact_id)


def _load_entries(
    session: Session, state: PageState, mail_keys: set[str], meeting_keys: set[str]
) -> None:
    for batch in chunks(mail_keys):
        for key, cid in _run(session, "mail_entries", {"values": batch}):
            state.mail_entries.setdefault(key or "", set()).add(cid)
    for batch in chunks(meeting_keys):
        for no, key, cid, at, minutes, subject, template in _run(
                session, "meeting_entries", {"values": batch}):
            state.meeting_entries.setdefault(key or "", []).append(
                MeetingEntry(no, cid, at, Decimal(minutes), subject, template)
            )


# The page's SELECTs, Core statements built once per dialect with the list bound at each
# call (`dialect.one_of_param`): building them, and the ORM's handling of ORM-enabled
# statements, cost more than SQLite's work on a page.
def _run(session: Session, name: str, params: dict[str, Any]) -> list[Any]:
    stmt = dialect.built_once(session, ("capture.state", name), lambda: _query(session, name))
    params["values"] = dialect.one_of_value(session, params["values"])
    return list(session.execute(stmt, params).all())


def _query(session: Session, name: str) -> Any:
    ci = cast(sa.Table, CapturedItem.__table__).c
    e = cast(sa.Table, InteractionLogEntry.__table__).c
    t = cast(sa.Table, DeletedEntryKey.__table__).c
    copies = sa.select(ci.mailbox, ci.graph_id, ci.kind, ci.key, ci.is_organizer,
                       ci.contact_ids, ci.occurred_at.is_not(None))
    if name == "copies_by_key":
        return copies.where(dialect.one_of_param(session, ci.key, "values"))
    if name == "copies_by_id":
        return copies.where(ci.mailbox == sa.bindparam("mailbox"),
                            dialect.one_of_param(session, ci.graph_id, "values"))
    if name == "deleted":
        return sa.select(t.kind, t.key, t.contact_id).where(
            dialect.one_of_param(session, t.key, "values"))
    if name == "mail_entries":
        return sa.select(e.internet_message_id, e.contact_id).where(
            dialect.one_of_param(session, e.internet_message_id, "values"))
    assert name == "meeting_entries"
    return sa.select(e.entry_no, e.ical_uid, e.contact_id, e.occurred_at, e.duration_min,
                     e.subject, e.template_code).where(
        dialect.one_of_param(session, e.ical_uid, "values"))
