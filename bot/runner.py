"""One activity = one transaction: map the Teams user, run the command, commit or roll back.

The Teams user is the users-table row with the activity's AAD object id (`storage/users.py`,
the same table, and so the same admin rights, as the pages).

Both transports (the Agents SDK route and the outgoing webhook) hand a `Turn` to
`CommandRunner.run` and get a `Reply` back; neither sees a session or an exception.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.commands import CommandContext, CommandError, Reply, dispatch_action, dispatch_text
from bot.i18n import language, t
from storage.errors import InterlogError
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

    @property
    def lang(self) -> str:
        return language(self.locale)

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

    def run(self, turn: Turn) -> Reply:
        """The reply to `turn`; the database changes are committed only if it succeeded."""
        try:
            with Session(self.engine, expire_on_commit=False) as session, session.begin():
                return self._dispatch(session, turn)
        except CommandError as exc:
            return exc.reply
        except InterlogError as exc:
            return Reply(str(exc))
        except Exception:
            ref = new_ref()
            log.exception("bot command failed (ref %s, actor %s)", ref, turn.actor)
            return Reply(t(turn.lang, "sorry", ref=ref))

    def _dispatch(self, session: Session, turn: Turn) -> Reply:
        # A NUL or a lone surrogate in the text or a button's values: refused, nothing looked up.
        clean_text(turn.text, "message")
        for value in (turn.action or {}).values():
            if isinstance(value, str):
                clean_text(value, "message")
        user = find_user(session, aad_object_id=turn.aad_object_id)
        ctx = CommandContext(session=session, user=user, lang=turn.lang,
                             actor=turn.actor, aad_object_id=turn.aad_object_id, text=turn.text)
        if turn.action is not None:
            return dispatch_action(ctx, turn.action)
        return dispatch_text(ctx, turn.text)
