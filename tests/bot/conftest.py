"""Bot fixtures: a seeded SQLite file and PostgreSQL database, local OpenID keys, the app."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

from interlog.app import create_app
from interlog.config import Settings, settings_from_dict
from storage.db import make_engine, upgrade
from tests.bot.helpers import (
    APP_ID,
    BF_ISSUER,
    WEBHOOK_SECRET,
    SigningKey,
    base_url,
    local_server,
    seed,
)
from tests.conftest import pg_database_url


async def fake_token_source(resource: str, scopes: list[str]) -> str:
    """The bot's outgoing token, without Entra ID."""
    return "fake-bot-token"


@pytest.fixture(scope="session")
def signing_key() -> SigningKey:
    return SigningKey()


@pytest.fixture(scope="session")
def openid_url(signing_key: SigningKey) -> Iterator[str]:
    """A local OpenID metadata document whose JWKS publishes `signing_key` (endorsed)."""
    routes: dict[str, dict[str, Any]] = {}
    with local_server(routes) as server:
        root = base_url(server)
        routes["/v1/.well-known/openidconfiguration"] = {
            "issuer": BF_ISSUER, "jwks_uri": f"{root}/v1/.well-known/keys"}
        routes["/v1/.well-known/keys"] = {"keys": [signing_key.jwk(["msteams", "webchat"])]}
        yield f"{root}/v1/.well-known/openidconfiguration"


@pytest.fixture(scope="session")
def bot_sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path: Path = tmp_path_factory.mktemp("botdb") / "bot.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def bot_pg_engine() -> Iterator[Engine]:
    for url in pg_database_url():
        engine = make_engine(url)
        upgrade(engine)
        yield engine
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def bot_engine(request: pytest.FixtureRequest) -> Engine:
    """A migrated engine on each back-end, emptied and seeded for this test."""
    name = {"sqlite": "bot_sqlite_engine", "postgresql": "bot_pg_engine"}[request.param]
    engine: Engine = request.getfixturevalue(name)
    seed(engine)
    return engine


@pytest.fixture
def sqlite_bot_engine(bot_sqlite_engine: Engine) -> Engine:
    """SQLite only, seeded: for transport tests where the back-end does not matter."""
    seed(bot_sqlite_engine)
    return bot_sqlite_engine


def make_settings(openid_url: str, **bot: Any) -> Settings:
    section = {"app_id": APP_ID, "openid_metadata_url": openid_url,
               "outgoing_webhook_secret": WEBHOOK_SECRET, **bot}
    return settings_from_dict({"bot": section}, env={})


@dataclass
class BotClient:
    """The Flask test client, with a valid Bot Framework token on every request by default."""

    app: Flask
    http: FlaskClient
    key: SigningKey

    def send(self, body: Any, *, token: str | None = "valid", **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", {}))
        if token == "valid":
            token = self.key.token(service_url=body.get("serviceUrl")
                                   if isinstance(body, dict) else None)
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.post("/api/messages", json=body, headers=headers, **kwargs)


def bot_client(engine: Engine, openid_url: str, key: SigningKey, **bot: Any) -> BotClient:
    app = create_app(make_settings(openid_url, **bot), engine=engine,
                     token_source=fake_token_source)
    return BotClient(app, app.test_client(), key)


@pytest.fixture
def client(bot_engine: Engine, openid_url: str, signing_key: SigningKey) -> BotClient:
    """The app on each back-end, JWT required."""
    return bot_client(bot_engine, openid_url, signing_key)


@pytest.fixture
def sqlite_client(sqlite_bot_engine: Engine, openid_url: str,
                  signing_key: SigningKey) -> BotClient:
    return bot_client(sqlite_bot_engine, openid_url, signing_key)
