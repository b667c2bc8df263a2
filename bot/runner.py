"""One activity = one transaction: map the Teams user, run the command, commit or roll back.

The Teams user is the users-table row with the activity's AAD object id (`storage/users.py`,
the same table, and so the same admin rights, as the pages).

Both transports (the Agents SDK route and the outgoing webhook) hand a `Turn` to
`CommandRunner.run` and get a `Reply` back; neither sees a session or an exception.

Exactly once: a turn with a `delivery_key` claims it first in that same transaction
(`storage/deliveries.py`). A redelivery (or a concurrent copy, once the first commits) gets
the first answer again and writes nothing. A command that only reads (`show`, `templates`,
`help`) claims nothing: a redelivery runs it again and shows the log as it is then, which
keeps a read a read (no write, no lock). A refusal or a failure rolls back with the claim,
so a redelivery runs the command again (it wrote nothing the first time either).
"""

from __future__ import annotations

import logging
import threading
import uuid
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

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


@dataclass
class CommandRunner:
    engine: Engine
    _purged_at: datetime | None = field(default=None, init=False, repr=False)
    _purge_lock: threading.Lock = field(default_factory=threading.Lock, init=False,
                                        repr=False)

    _writer: AbstractContextManager[Any] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # SQLite has one writer at a time, and a writer that finds the database locked polls
        # it (sleeping up to 100 ms between tries): the bot's writers queue on a lock instead,
        # in this process and across `interlog serve --processes N` (`bot/writer_lock.py`),
        # each woken the moment the one before commits. PostgreSQL locks rows, not the
        # database.
        self._writer = (WriterLock.for_engine(self.engine)
                        if dialect.single_writer(self.engine) else nullcontext())

    def run(self, turn: Turn) -> Reply:
        """The reply to `turn`; the database changes are committed only if it succeeded."""
        writes = not reads_only(turn.text, turn.action)
        try:
            with (self._writer if writes else nullcontext()), \
                    Session(self.engine, expire_on_commit=False) as session, session.begin():
                reply = self._once(session, turn, writes)
        except CommandError as exc:
            return exc.reply
        except InterlogError as exc:
            return Reply(exc.text(turn.lang))
        except Exception:
            ref = new_ref()
            log.exception("bot command failed (ref %s, actor %s)", ref, turn.actor)
            return Reply(t(turn.lang, "sorry", ref=ref))
        if turn.delivery_key is not None:
            self.purge_deliveries()
        return reply

    def _once(self, session: Session, turn: Turn, writes: bool) -> Reply:
        """Claim the turn's delivery key first (the same transaction), act, keep the answer."""
        key = turn.delivery_key
        if key is None or not writes:
            return self._dispatch(session, turn)
        earlier = deliveries.claim(session, key, turn.channel)
        if earlier is not None:
            log.info("delivery %s… seen before: its first answer again, nothing done", key[:12])
            return Reply(earlier.text, earlier.card, earlier.entry_nos)
        reply = self._dispatch(session, turn)
        deliveries.record_answer(session, key, deliveries.Answer(
            reply.text, reply.card, reply.entry_nos))
        return reply

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
            with self._writer, Session(self.engine) as session, session.begin():
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
