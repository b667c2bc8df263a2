"""Proactive outcome cards: after a captured call or meeting with a contact ends, its
salesperson gets a card in their personal chat with the bot (`bot/outcome_card.py`).

`OutcomeSender.send_due()` runs at the end of every sync run and worker cycle (wired by
`interlog/outcome_cards.py`). It finds the entries that have ended and were never offered
(`storage.conversations.due_entries`), gives each user at most one card per
`[bot] outcome_card_minutes` (several entries that ended together: one digest card, up to
ten; the rest wait for the next card), and POSTs it to the Bot Connector,
`{serviceUrl}/v3/conversations/{conversationId}/activities`, with the bot's token.

**At most once.** The offer is recorded (`offering`) and committed in a transaction of its
own *before* the card is sent, then marked `sent` with the activity id (or `failed`). A
crash, a timeout or a refusal after the record never sends that entry again: a lost card
is better than the same question twice. The entry can still be evaluated in chat, on its
page or with the CLI. One process sends at a time (a PostgreSQL advisory lock), so two
workers never race for the same user's throttle.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from microsoft_agents.activity import Activity
from microsoft_agents.hosting.core import OutboundHostValidator, TeamsConnectorClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.cards import CONTENT_TYPE
from bot.flask_host import AGENTS_SDK_SCOPE, LoopThread, TokenSource
from bot.i18n import t
from bot.local_time import UserClock, choose_zone
from bot.outcome_card import MAX_ENTRIES, outcome_card
from bot.settings import BotConfig
from storage import dialect, i18n
from storage.conversations import (
    Due,
    OfferState,
    TeamsConversation,
    claim_offers,
    due_entries,
    finish_offers,
)
from storage.models import utcnow

log = logging.getLogger(__name__)

SEND_LOCK = 0x1A7E_CA2D  # pg advisory lock: one process sends outcome cards
MAX_AGE = timedelta(days=1)  # an entry that ended longer ago than this gets no card
CHECK_EVERY_S = 15.0  # `maybe_send`: a worker cycle looks at most this often
SEND_TIMEOUT_S = 30.0


@dataclass
class Sent:
    """What one `send_due` did."""

    cards: int = 0
    entries: int = 0
    failed: int = 0
    waiting: int = 0  # entries held back by the per-user throttle


@dataclass
class OutcomeSender:
    engine: Engine
    settings: BotConfig
    token_source: TokenSource | None = None  # None: MSAL with the bot's app id and password
    clock: Callable[[], datetime] = utcnow
    loop: LoopThread = field(default_factory=LoopThread)
    _checked: float = field(default=float("-inf"), init=False, repr=False)

    def maybe_send(self) -> Sent | None:
        """`send_due`, at most every `CHECK_EVERY_S` (a worker cycles many times a second
        when busy); never raises."""
        mono = time.monotonic()
        if mono - self._checked < CHECK_EVERY_S:
            return None
        self._checked = mono
        try:
            return self.send_due()
        except Exception:  # the next cycle tries again; capture must go on
            log.exception("sending outcome cards failed")
            return None

    def send_due(self) -> Sent:
        """Send the cards that are due now (one process at a time)."""
        sent = Sent()
        with dialect.advisory_lock(self.engine, SEND_LOCK) as mine:
            if not mine:
                return sent
            now = self.clock()
            with Session(self.engine, expire_on_commit=False) as session:
                due = due_entries(session, now, max_age=MAX_AGE)
            by_user: dict[str, list[Due]] = {}
            for item in due:
                by_user.setdefault(item.to.aad_object_id, []).append(item)
            gap = timedelta(minutes=self.settings.bot.outcome_card_minutes)
            for items in by_user.values():
                last = items[0].to.last_card_at
                if last is not None and now - last < gap:
                    sent.waiting += len(items)
                    continue
                self._offer(items[:MAX_ENTRIES], now, sent)
                sent.waiting += max(0, len(items) - MAX_ENTRIES)
        return sent

    def _offer(self, items: list[Due], now: datetime, sent: Sent) -> None:
        """Record the offer (committed), then send the card; mark it sent or failed."""
        to = items[0].to
        with Session(self.engine) as session, session.begin():
            claimed = claim_offers(session, to.aad_object_id,
                                   [i.entry.entry_no for i in items], now)
        entries = [i.entry for i in items if i.entry.entry_no in claimed]
        if not entries:
            return
        lang = i18n.full_tag(to.locale)  # words and formats, as a reply
        clock = UserClock(choose_zone(items[0].time_zone), now)
        content = outcome_card(lang, entries, clock)
        state, activity_id = OfferState.SENT, ""
        try:
            activity_id = self._post(to, content, t(lang, "outcome_title"))
        except Exception as exc:  # noqa: BLE001 — refused, unreachable, no token: all the same
            state = OfferState.FAILED
            log.warning("outcome card to %s not sent: %s: %s", to.aad_object_id,
                        type(exc).__name__, exc)
        with Session(self.engine) as session, session.begin():
            finish_offers(session, claimed, state, activity_id)
        if state is OfferState.SENT:
            sent.cards += 1
            sent.entries += len(entries)
        else:
            sent.failed += len(entries)

    def _post(self, to: TeamsConversation, content: dict[str, Any], summary: str) -> str:
        """POST the card to the user's conversation; the new activity's id."""
        bot = self.settings.bot
        if not OutboundHostValidator(enabled=not bot.allow_anonymous).is_allowed(to.service_url):
            raise ValueError(f"serviceUrl {to.service_url} is not a Bot Connector host")
        message = {
            "type": "message", "channelId": to.channel_id, "serviceUrl": to.service_url,
            "conversation": {"id": to.conversation_id, "conversationType": "personal",
                             **({"tenantId": to.tenant_id} if to.tenant_id else {})},
            "from": {"id": to.bot_id}, "recipient": {"id": to.user_id},
            "summary": summary, "attachmentLayout": "list",
            "attachments": [{"contentType": CONTENT_TYPE, "content": content}],
        }
        return self.loop.run(self._send(to, message), timeout=SEND_TIMEOUT_S)

    async def _send(self, to: TeamsConversation, message: dict[str, Any]) -> str:
        token = await self._token()
        client = TeamsConnectorClient(endpoint=to.service_url, token=token)
        try:
            answer = await client.conversations.send_to_conversation(
                to.conversation_id, Activity.model_validate(message))
        finally:
            await client.close()
        return str(getattr(answer, "id", "") or "")

    async def _token(self) -> str:
        """The bot's Bot Connector token; "" in development mode without an app id."""
        bot = self.settings.bot
        if not bot.app_id and bot.allow_anonymous:
            return ""
        source = self.token_source
        if source is None:
            from bot.teams import production_token_source

            source = production_token_source(self.settings)
            self.token_source = source
        return await source(AGENTS_SDK_SCOPE, [f"{AGENTS_SDK_SCOPE}/.default"])

    def close(self) -> None:
        self.loop.stop()
