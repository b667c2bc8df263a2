"""Bot fixtures: local OpenID keys, the seeded database on both back-ends, the app's client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from tests.support.bot import BF_ISSUER, BOT, BotClient, SigningKey, bot_client
from tests.support.seed import seed
from tests.support.servers import base_url, local_server


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


@pytest.fixture
def bot_engine(clean_engine: Engine) -> Engine:
    """The seeded database on each back-end, emptied after the test."""
    seed(clean_engine, BOT)
    return clean_engine


@pytest.fixture
def sqlite_bot_engine(clean_sqlite_engine: Engine) -> Engine:
    """SQLite only, seeded: for transport tests where the back-end does not matter."""
    seed(clean_sqlite_engine, BOT)
    return clean_sqlite_engine


@pytest.fixture
def client(bot_engine: Engine, openid_url: str, signing_key: SigningKey) -> BotClient:
    """The app on each back-end, JWT required."""
    return bot_client(bot_engine, openid_url, signing_key)


@pytest.fixture
def sqlite_client(sqlite_bot_engine: Engine, openid_url: str,
                  signing_key: SigningKey) -> BotClient:
    return bot_client(sqlite_bot_engine, openid_url, signing_key)
