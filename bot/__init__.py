"""The Teams bot: `/api/messages` (Agents SDK), the outgoing webhook, Graph notifications.

`register(app, services, settings)` adds them to the app that `interlog/app.py` builds;
nothing happens at import time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Flask only when an app is built: `bot.settings` is read by every command
    from flask import Flask, Request
    from flask.sessions import SecureCookieSession, SessionInterface

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
    from flask.sessions import SecureCookieSessionInterface

    if type(app.session_interface) is SecureCookieSessionInterface:  # Flask's own
        app.session_interface = _no_cookie_session_on_bot_paths()


# The bot's endpoints: called by Teams and Graph, never by a browser, so they need no cookie
# session (Flask opens one on every request otherwise: docs/bot-profile.md).
BOT_PATHS = frozenset({"/api/messages", "/api/teams/webhook", "/api/graph/notifications"})


def _no_cookie_session_on_bot_paths() -> SessionInterface:
    """Flask's cookie session for the pages; on `BOT_PATHS` a null session, never read or
    saved."""
    from flask.sessions import SecureCookieSessionInterface

    class PagesOnly(SecureCookieSessionInterface):
        def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
            if request.path in BOT_PATHS:
                return None  # Flask then gives the request its null session
            return super().open_session(app, request)

    return PagesOnly()
