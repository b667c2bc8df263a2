"""The Flask app factory: one app, its shared services, and every surface registered on it.

`create_app(settings)` builds the app that `interlog serve` runs: the bot (`/api/messages`,
the outgoing webhook, Graph notifications) and the web (pages, `/api/v1`), each a package
with `register(app, services, settings)`. Building it seeds the users table from `[[user]]`
(`interlog/users.py`), so both surfaces answer from the table with the config's rights.
Nothing happens at import time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import Flask, Response, jsonify
from sqlalchemy.engine import Engine

from interlog.config import Settings

if TYPE_CHECKING:
    from bot.flask_host import TokenSource


def create_app(settings: Settings, *, engine: Engine | None = None,
               token_source: TokenSource | None = None) -> Flask:
    """The app for `settings`; `engine` defaults to one on `[storage] url`.

    `token_source` (an async `(resource, scopes) -> token`) replaces MSAL for the bot's
    outgoing token; tests pass a fake. Development mode (`allow_anonymous`) is refused
    unless `[server] host` is a loopback address. The configured users are upserted into
    the database first (not touched when there are none).
    """
    import bot
    import web
    from connector.surfaces import EXTENSION, Services, check_development_host
    from interlog.users import seed_configured_users
    from interlog.wsgi import DEVELOPMENT
    from storage.db import make_engine

    check_development_host("bot", settings.bot.allow_anonymous, settings.server)
    check_development_host("web", settings.web.allow_anonymous, settings.server)
    app = Flask("interlog")
    app.config[DEVELOPMENT] = settings.web.allow_anonymous or settings.bot.allow_anonymous
    shared = Services(engine=engine or make_engine(settings.storage.url), server=settings.server,
                      capture=settings)
    seed_configured_users(shared.engine, settings.users, actor="config:app")
    app.extensions[EXTENSION] = shared
    app.add_url_rule("/healthz", "healthz", _healthz)
    bot.register(app, shared, settings, token_source=token_source)
    web.register(app, shared, settings)
    return app


def _healthz() -> Response | tuple[Response, int]:
    from connector.surfaces import services

    try:
        with services().engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        return jsonify({"status": "unavailable", "database": "down"}), 503
    return jsonify({"status": "ok"})
