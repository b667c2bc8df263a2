"""The Teams bot: `/api/messages` (Agents SDK), the outgoing webhook, Graph notifications.

`register(app, services, settings)` adds them to the app that `interlog/app.py` builds;
nothing happens at import time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Flask only when an app is built: `bot.settings` is read by every command
    from flask import Flask

    from bot.flask_host import TokenSource
    from bot.settings import BotConfig
    from connector.surfaces import Services


def register(app: Flask, services: Services, settings: BotConfig, *,
             token_source: TokenSource | None = None) -> None:
    """Serve the bot's three endpoints from `app`."""
    from bot import notifications, teams, webhook
    from bot.state import EXTENSION, BotState

    app.extensions[EXTENSION] = BotState(settings=settings, engine=services.engine,
                                         token_source=token_source)
    for module in (teams, webhook, notifications):
        module.register(app)
