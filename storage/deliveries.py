"""Exactly once from Teams: claim a delivery key in the command's own transaction.

A Bot Framework activity is known by its conversation and activity ids (`activity_key`);
an outgoing webhook's body by its exact bytes (`body_key`: the HMAC covers the body, and a
replayed body is byte for byte the same). The bot calls `claim` first in the transaction
that runs the command, and `record_answer` before it commits:

- the first delivery inserts the row and acts;
- a concurrent delivery of the same key waits on the primary key (PostgreSQL's row lock,
  SQLite's single writer) until the first commits, then reads its answer; if the first
  rolled back, the second claims the key and acts;
- a later delivery reads the answer at once.

Rows are kept for `RETENTION`, then `purge` deletes them in one statement. Every function
takes the caller's `Session` and never commits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage import dialect, driver
from storage.delivery_models import ActivityDelivery, DeliveryChannel
from storage.models import utcnow

RETENTION = timedelta(days=2)  # a redelivery within this is answered, never acted on
PURGE_EVERY = timedelta(minutes=10)  # how often one process purges, at most


@dataclass(frozen=True)
class Answer:
    """What the first delivery answered, and the entries it created or changed."""

    text: str
    card: dict[str, Any] | None = None
    entry_nos: tuple[int, ...] = field(default=())


def activity_key(conversation_id: str, activity_id: str) -> str:
    """The key of a Bot Framework activity: its id is unique within its conversation."""
    return _sha256(b"\0".join([DeliveryChannel.TEAMS.encode(), conversation_id.encode(),
                               activity_id.encode()]))


def body_key(raw: bytes) -> str:
    """The key of an outgoing webhook's request: its exact body bytes."""
    return _sha256(DeliveryChannel.WEBHOOK.encode() + b"\0" + raw)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def claim(session: Session, key: str, channel: DeliveryChannel | str, *,
          at: datetime | None = None) -> Answer | None:
    """Claim `key` for this transaction: None when it is ours (act, then `record_answer`),
    else the answer the delivery holding it gave (waiting for that one to commit)."""
    params = {"key": key, "channel": str(channel), "received_at": at or utcnow(),
              "answer_text": "", "answer_card": None, "entry_nos": []}
    if driver.run(session, _claim_statement(session), params):
        return None
    d = ActivityDelivery
    row = session.execute(sa.select(d.answer_text, d.answer_card, d.entry_nos)
                          .where(d.key == key)).one()
    return Answer(row.answer_text, row.answer_card, tuple(row.entry_nos or ()))


def record_answer(session: Session, key: str, answer: Answer) -> None:
    """Keep the answer of the delivery that claimed `key` (in the same transaction)."""
    driver.run(session, dialect.prepared(session, ("deliveries.record_answer",), lambda: (
        sa.update(_TABLE).where(_TABLE.c.key == sa.bindparam("claimed"))
        .values(answer_text=sa.bindparam("text"), answer_card=sa.bindparam("card"),
                entry_nos=sa.bindparam("nos")))),
        {"claimed": key, "text": answer.text, "card": answer.card, "nos": list(answer.entry_nos)})


# Every command that writes runs these two: compiled once (per dialect) and run on the
# driver's cursor (`dialect.prepared`), not rebuilt, re-keyed and executed by SQLAlchemy at
# each call (a third of a `log call`'s storage time once).
_TABLE: sa.Table = ActivityDelivery.__table__  # type: ignore[assignment]


def _claim_statement(session: Session) -> driver.Prepared:
    """`INSERT … ON CONFLICT (key) DO NOTHING RETURNING key`, for the session's dialect."""
    columns = ("key", "channel", "received_at", "answer_text", "answer_card", "entry_nos")
    return dialect.prepared(session, ("deliveries.claim",), lambda: (
        dialect.upsert(session, _TABLE).values({c: sa.bindparam(c, type_=_TABLE.c[c].type)
                                                for c in columns})
        .on_conflict_do_nothing(index_elements=["key"]).returning(_TABLE.c.key)))


def purge(session: Session, *, now: datetime | None = None,
          retention: timedelta = RETENTION) -> int:
    """Delete the deliveries received more than `retention` ago; returns how many."""
    d = ActivityDelivery
    result = session.execute(sa.delete(d).where(d.received_at < (now or utcnow()) - retention))
    return int(getattr(result, "rowcount", 0) or 0)


def delivery(session: Session, key: str) -> ActivityDelivery | None:
    """The row of `key`, if it is still kept."""
    return session.get(ActivityDelivery, key)
