"""One activity = one transaction: map the Teams user, run the command, commit or roll back.

The Teams user is the users-table row with the activity's AAD object id (`storage/users.py`,
the same table, and so the same admin rights, as the pages).

Both transports (the Agents SDK route and the outgoing webhook) hand a `Turn` to
`CommandRunner.run` and get a `Reply` back; neither sees a session or an exception.

Exactly once: a turn with a `delivery_key` claims it in that same transaction, before the
command's first write (`storage/deliveries.py`). A redelivery (or a concurrent copy, once the
first commits) gets the first answer again and keeps nothing it did. A command that only
reads (`show`, `templates`, `help`) claims nothing: a redelivery runs it again and shows the
log as it is then, which keeps a read a read (no write, no lock). A refusal or a failure
rolls back with the claim, so a redelivery runs the command again (it wrote nothing the first
time either).

When the claim is made: on PostgreSQL first, as the transaction's first statement (it locks
the key's row, so a concurrent copy waits there for the first to commit). On SQLite, where
one writer at a time holds the whole database, the moment the command is about to write
(`_Claim`, `_first_write`): the command's reads, parsing and checks run before it, unlocked,
as reads run on PostgreSQL (each sees what is committed; SQLite's driver starts the write
transaction only at the first write), so the writers' lock is held only from the claim to
COMMIT. A copy that finds the key already claimed there gives the first answer and rolls
back what it did; a command that ends without writing, answered or refused, claims at its
end, as it would have at its start. Either way every answer to a delivery is decided under
the lock with its claim, as before.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.commands import (
    CommandContext,
    CommandError,
    Reply,
    dispatch_action,
    dispatch_text,
    reads_only,
)
from bot.i18n import t
from bot.writer_lock import WriterLock
from storage import deliveries, dialect, i18n
from storage.errors import InterlogError
from storage.models import utcnow
from storage.users import find_user
from storage.values import clean_text

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Turn:
    """What a person said or clicked, and who they are, free of any transport type."""

    channel: str  # teams | webhook
    aad_object_id: str
    user_name: str = ""
    locale: str | None = None
    text: str = ""
    action: dict[str, Any] | None = field(default=None)
    # The delivery's key (`storage.deliveries.activity_key` / `body_key`): acted on once.
    delivery_key: str | None = None
    time_zone: str | None = None  # the Teams client's zone (its clientInfo entity), as sent
    reference: Any = None  # a personal chat's conversation reference (`bot/install.py`)

    @property
    def lang(self) -> str:
        """The activity's whole locale (`es-ES`, `es-MX`, `en-US`): the words in its language,
        the numbers and dates in its own CLDR formats (an es-ES user reads `1234,50`)."""
        return i18n.full_tag(self.locale)

    @property
    def actor(self) -> str:
        """Who the audit trail names: `teams:<aadObjectId> <name>`."""
        return f"{self.channel}:{self.aad_object_id or '?'} {self.user_name}".strip()[:300]


def new_ref() -> str:
    """A short correlation id shown to the user and written to the log."""
    return uuid.uuid4().hex[:8]


class _SeenBefore(Exception):
    """The delivery was claimed by an earlier copy: its answer, and nothing of this one kept."""

    def __init__(self, answer: deliveries.Answer) -> None:
        super().__init__("delivery seen before")
        self.answer = answer


@dataclass
class _Claim:
    """A writing turn's delivery key, claimed once in its transaction (`claim`): on SQLite
    under the writers' lock (`writer`), held from the claim until the transaction ends."""

    key: str
    channel: str
    writer: WriterLock | None
    session: Session | None = None
    done: bool = False
    earlier: deliveries.Answer | None = None
    _held: bool = False

    def claim(self) -> deliveries.Answer | None:
        """Claim the key now (once): None when it is ours, else the earlier copy's answer."""
        if not self.done:
            assert self.session is not None
            self.done = True  # the claim's own INSERT is not a first write to claim for
            if self.writer is not None:
                self.writer.__enter__()  # blocks in the kernel until the writer before commits
                self._held = True
            with self.session.no_autoflush:
                self.earlier = deliveries.claim(self.session, self.key, self.channel)
        return self.earlier

    def release(self) -> None:
        if self._held:
            self._held = False
            assert self.writer is not None
            self.writer.__exit__(None, None, None)


# The claim of the turn this thread runs, while its transaction is open (SQLite only).
_CLAIMING: ContextVar[_Claim | None] = ContextVar("bot_claiming", default=None)
_READS = ("SELECT", "select")


def _first_write(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                 executemany: bool) -> None:
    """`before_cursor_execute` of a SQLite engine: before the running turn's first statement
    that is not a SELECT (where SQLite's driver starts the write transaction), claim its
    delivery under the writers' lock; an earlier copy's claim ends the command there."""
    claim = _CLAIMING.get()
    if claim is None or claim.done or statement.lstrip().startswith(_READS):
        return
    if getattr(cursor.connection, "in_transaction", False):
        # A write ran past this hook (raw driver SQL): it holds SQLite's lock without ours,
        # and waiting for ours now could wait for a writer that waits for SQLite's.
        raise RuntimeError("a write ran before the turn's claim, outside the writers' lock")
    if (earlier := claim.claim()) is not None:
        raise _SeenBefore(earlier)


@dataclass
class CommandRunner:
    engine: Engine
    _purged_at: datetime | None = field(default=None, init=False, repr=False)
    _purge_lock: threading.Lock = field(default_factory=threading.Lock, init=False,
                                        repr=False)
    _lock: WriterLock | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        # SQLite has one writer at a time, and a writer that finds the database locked polls
        # it (sleeping up to 100 ms between tries): the bot's writers queue on a lock instead,
        # in this process and across `interlog serve --processes N` (`bot/writer_lock.py`),
        # each woken the moment the one before commits; a turn takes it with its claim, at
        # its first write (`_first_write`). PostgreSQL locks rows, not the database.
        if dialect.single_writer(self.engine):
            self._lock = WriterLock.for_engine(self.engine)
            if not event.contains(self.engine, "before_cursor_execute", _first_write):
                event.listen(self.engine, "before_cursor_execute", _first_write)

    def run(self, turn: Turn) -> Reply:
        """The reply to `turn`; the database changes are committed only if it succeeded."""
        writes = not reads_only(turn.text, turn.action)
        claim = (_Claim(turn.delivery_key, turn.channel, self._lock)
                 if writes and turn.delivery_key is not None else None)
        try:
            with Session(self.engine, expire_on_commit=False) as session, \
                    self._claiming(claim), session.begin():  # the lock let go at COMMIT
                reply = self._once(session, turn, claim)
        except _SeenBefore as seen:
            return _earlier(turn, seen.answer)
        except CommandError as exc:
            return self._unless_answered(turn, claim, exc.reply)
        except InterlogError as exc:
            return self._unless_answered(turn, claim, Reply(exc.text(turn.lang)))
        except Exception:
            ref = new_ref()
            log.exception("bot command failed (ref %s, actor %s)", ref, turn.actor)
            return self._unless_answered(turn, claim, Reply(t(turn.lang, "sorry", ref=ref)))
        if turn.delivery_key is not None:
            self.purge_deliveries()
        return reply

    @contextmanager
    def _claiming(self, claim: _Claim | None) -> Iterator[None]:
        """While the turn's transaction is open: its claim is the one `_first_write` makes;
        the writers' lock taken with it is let go once the transaction has ended."""
        token = _CLAIMING.set(claim if self._lock is not None else None)
        try:
            yield
        finally:
            _CLAIMING.reset(token)
            if claim is not None:
                claim.release()

    def _once(self, session: Session, turn: Turn, claim: _Claim | None) -> Reply:
        """Claim the turn's delivery key (first, or at its first write: the module's
        docstring), act, keep the answer."""
        if claim is None:
            return self._dispatch(session, turn)
        claim.session = session
        if self._lock is None and (earlier := claim.claim()) is not None:  # PostgreSQL
            raise _SeenBefore(earlier)
        reply = self._dispatch(session, turn)
        if (earlier := claim.claim()) is not None:  # the command wrote nothing: claimed now
            raise _SeenBefore(earlier)
        deliveries.record_answer(session, claim.key, deliveries.Answer(
            reply.text, reply.card, reply.entry_nos))
        return reply

    def _unless_answered(self, turn: Turn, claim: _Claim | None, failed: Reply) -> Reply:
        """A refusal or failure that came before the turn's claim (SQLite): the answer of a
        copy that claimed the delivery meanwhile, looked up under the lock as the claim
        would have been; else `failed` (the claim rolled back with it)."""
        if claim is None or claim.done:
            return failed
        try:
            with self._claiming(claim), Session(self.engine) as session:  # closed: rolled back
                claim.session = session
                earlier = claim.claim()
        except Exception:
            log.exception("looking up delivery %s… after a refusal failed", claim.key[:12])
            return failed
        return failed if earlier is None else _earlier(turn, earlier)

    def purge_deliveries(self, now: datetime | None = None) -> int | None:
        """Delete the deliveries past their retention: at most once per `PURGE_EVERY` in
        this process (one DELETE on an index), in its own short transaction. Returns how
        many rows went, or None when it was not yet time (or the purge failed)."""
        now = now or utcnow()
        with self._purge_lock:
            if self._purged_at is not None and now - self._purged_at < deliveries.PURGE_EVERY:
                return None
            self._purged_at = now
        try:
            with self._lock or nullcontext(), Session(self.engine) as session, session.begin():
                return deliveries.purge(session, now=now)
        except Exception:  # the answer is already given; the next purge will try again
            log.exception("purging old Teams deliveries failed")
            return None

    def _dispatch(self, session: Session, turn: Turn) -> Reply:
        # A NUL or a lone surrogate in the text or a button's values: refused, nothing looked up.
        clean_text(turn.text, "message")
        for value in (turn.action or {}).values():
            if isinstance(value, str):
                clean_text(value, "message")
        user = find_user(session, aad_object_id=turn.aad_object_id)
        ctx = CommandContext(session=session, user=user, lang=turn.lang,
                             actor=turn.actor, aad_object_id=turn.aad_object_id, text=turn.text,
                             client_time_zone=turn.time_zone, reference=turn.reference)
        if turn.action is not None:
            return dispatch_action(ctx, turn.action)
        return dispatch_text(ctx, turn.text)


def _earlier(turn: Turn, answer: deliveries.Answer) -> Reply:
    key = turn.delivery_key or ""
    log.info("delivery %s… seen before: its first answer again, nothing done", key[:12])
    return Reply(answer.text, answer.card, answer.entry_nos)
