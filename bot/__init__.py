"""interlog's web app: the Teams bot, webhooks, and whatever other surfaces register on it.

`create_app(settings)` builds the Flask app; each surface is a module with
`register(app)`, listed in `BLUEPRINTS` (adding one is one line). Shared objects (settings,
engine, command runner) are in `app.extensions["interlog"]` (see `bot.services`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import Flask, Response, jsonify
from sqlalchemy.engine import Engine

from connector.config import ConfigError, Settings

if TYPE_CHECKING:
    from bot.flask_host import TokenSource

# Modules with a `register(app: Flask) -> None`, registered in this order.
BLUEPRINTS: tuple[str, ...] = (
    "bot.teams",
    "bot.webhook",
    "bot.notifications",
    "web",
)


def create_app(settings: Settings, *, engine: Engine | None = None,
               token_source: TokenSource | None = None) -> Flask:
    """The app for `settings`; `engine` defaults to one on `[storage] url`.

    `token_source` (an async `(resource, scopes) -> token`) replaces MSAL for the bot's
    outgoing token; tests pass a fake. Refuses `[bot] allow_anonymous` unless
    `[server] host` is a loopback address.
    """
    from bot.auth import is_loopback
    from bot.services import EXTENSION, Services
    from storage.db import make_engine

    if settings.bot.allow_anonymous and not is_loopback(settings.server.host):
        raise ConfigError(
            f"[bot] allow_anonymous is for local development only; refusing to serve it on "
            f"{settings.server.host!r} (listen on 127.0.0.1 or turn it off)")
    app = Flask("interlog")
    app.extensions[EXTENSION] = Services(
        settings=settings, engine=engine or make_engine(settings.storage.url),
        token_source=token_source,
    )
    app.add_url_rule("/healthz", "healthz", _healthz)
    for name in BLUEPRINTS:
        importlib.import_module(name).register(app)
    return app


def _healthz() -> Response | tuple[Response, int]:
    from bot.services import services

    try:
        with services().engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        return jsonify({"status": "unavailable", "database": "down"}), 503
    return jsonify({"status": "ok"})
