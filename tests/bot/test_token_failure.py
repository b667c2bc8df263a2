"""Issue 12, item 9: when the bot cannot get its outgoing token (to reply to Teams), it answers
JSON 502, not a 500 HTML page, and does nothing; through waitress, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.engine import Engine

from interlog.app import create_app
from interlog.wsgi import running
from tests.support.bot import SigningKey, activity, audit_actors, entries, make_settings

pytestmark = pytest.mark.timeout(60)


class EntraDown(Exception):
    """What MSAL raises when Entra ID refuses the app or cannot be reached."""


async def failing_token_source(resource: str, scopes: list[str]) -> str:
    raise EntraDown("AADSTS7000215: Invalid client secret provided.")


@pytest.fixture
def url(bot_engine: Engine, openid_url: str) -> Iterator[str]:
    app = create_app(make_settings(openid_url), engine=bot_engine,
                     token_source=failing_token_source)
    with running(app, threads=4) as base:
        yield base


def test_a_reply_without_a_token_is_json_502_and_changes_nothing(
        url: str, bot_engine: Engine, signing_key: SigningKey) -> None:
    """A message answered through the Bot Connector needs the token before the turn runs."""
    headers = {"Authorization": f"Bearer {signing_key.token()}"}
    body = activity("log call with Jane Doe 15 min", expect_replies=False)
    answer = httpx.post(f"{url}/api/messages", json=body, headers=headers, timeout=20)
    assert answer.status_code == 502, answer.text[:300]
    assert answer.headers["Content-Type"].startswith("application/json")
    assert "token" in answer.json()["error"]
    assert "Traceback" not in answer.text
    assert "AADSTS" not in answer.text
    assert entries(bot_engine) == []
    assert audit_actors(bot_engine) == []


def test_expect_replies_needs_no_token(url: str, bot_engine: Engine,
                                       signing_key: SigningKey) -> None:
    headers = {"Authorization": f"Bearer {signing_key.token()}"}
    answer = httpx.post(f"{url}/api/messages", json=activity("log call with Jane Doe 15 min"),
                        headers=headers, timeout=20)
    assert answer.status_code == 200
    assert len(entries(bot_engine)) == 1
