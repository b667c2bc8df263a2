"""Wiring of the proactive outcome cards (`bot/proactive.py`): sent at the end of every
`interlog sync` run and every worker cycle. `connector/` may not import `bot/`, so the
worker gets them here, as a subclass whose cycle sends the cards that are due after its
own work (at most every `CHECK_EVERY_S`; one indexed query when none is)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from bot.flask_host import TokenSource
from bot.proactive import OutcomeSender, Sent
from connector.realtime.worker import Worker
from interlog.config import Settings
from storage.models import utcnow

log = logging.getLogger(__name__)


def send_outcome_cards(settings: Settings, engine: Engine, *,
                       token_source: TokenSource | None = None,
                       clock: Callable[[], datetime] = utcnow) -> Sent | None:
    """The cards due now, once (the end of a sync run); None when sending failed (logged:
    the next run or worker cycle tries again)."""
    sender = OutcomeSender(engine, settings, token_source=token_source, clock=clock)
    try:
        return sender.send_due()
    except Exception:
        log.exception("sending outcome cards failed")
        return None
    finally:
        sender.close()


class CardWorker(Worker):
    """A worker that sends the outcome cards due at the end of each cycle."""

    def __init__(self, settings: Settings, engine: Engine, *args: Any,
                 token_source: TokenSource | None = None, **kwargs: Any) -> None:
        super().__init__(settings, engine, *args, **kwargs)
        self.cards = OutcomeSender(engine, settings, token_source=token_source,
                                   clock=self.clock)

    def cycle(self) -> bool:
        busy = super().cycle()
        self.cards.maybe_send()
        return busy

    def run(self) -> None:
        try:
            super().run()
        finally:
            self.cards.close()
