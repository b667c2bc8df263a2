"""Exactly once from Teams: a redelivered activity or replayed webhook body is answered as the
first time and writes nothing; an activity that cannot be answered is refused before any
write; on SQLite and PostgreSQL, through one server or several."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.state import EXTENSION
from interlog.app import create_app
from interlog.wsgi import running
from storage.db import make_engine
from storage.deliveries import PURGE_EVERY, RETENTION, activity_key, claim, delivery
from storage.delivery_models import DeliveryChannel
from storage.models import utcnow
from tests.support.bot import (
    ALICE,
    CAROL,
    BotClient,
    SigningKey,
    activity,
    audit_actors,
    bot_client,
    card_action,
    entries,
    fake_token_source,
    hmac_header,
    make_settings,
    post_at_once,
    replies,
    reply_text,
    row_counts,
)
from tests.support.databases import url_of

pytestmark = pytest.mark.timeout(120)

THREADS = 8


def _engine(client: BotClient) -> Engine:
    engine: Engine = client.app.extensions["interlog"].engine
    return engine


def test_a_redelivered_activity_is_answered_as_the_first_and_logs_once(
        client: BotClient) -> None:
    body = activity("log call with Jane Doe about renewal 15 min")
    first = client.send(body)
    again = client.send(body)
    [entry] = entries(_engine(client))
    assert first.status_code == again.status_code == 200
    assert reply_text(first.get_json()) == f"Logged #{entry.entry_no}: Jane Doe, CALL"
    assert replies(again.get_json()) == replies(first.get_json())  # the same text and card
    assert audit_actors(_engine(client)) == [
        ("log", "teams:aad-alice Alice Example", entry.entry_no)]


def test_a_new_activity_id_with_the_same_text_is_a_new_command(client: BotClient) -> None:
    client.send(activity("log call with Jane Doe 15 min"))
    client.send(activity("log call with Jane Doe 15 min"))  # another id: typed again
    assert len(entries(_engine(client))) == 2


def test_the_same_activity_id_in_another_conversation_is_another_activity(
        client: BotClient) -> None:
    body = activity("log call with Jane Doe 15 min")
    client.send(body)
    other = json.loads(json.dumps(body))
    other["conversation"]["id"] = "a:conv2"
    client.send(other)
    assert len(entries(_engine(client))) == 2


def test_a_redelivered_cancel_click_cancels_once(client: BotClient) -> None:
    client.send(activity("log call with Jane Doe"))
    [entry] = entries(_engine(client))
    click = card_action({"action": "cancel", "entry_no": entry.entry_no}, aad=CAROL)
    first = client.send(click).get_json()
    again = client.send(click).get_json()
    assert again == first
    assert first["value"]["body"][0]["text"] == f"Canceled #{entry.entry_no}"
    assert [a[0] for a in audit_actors(_engine(client))] == ["log", "cancel"]


def test_a_read_only_command_claims_nothing_and_a_redelivery_reads_again(
        client: BotClient) -> None:
    """`show` writes nothing, so it keeps nothing: a redelivery shows the log as it is then."""
    shown = activity("show C0001")
    first = client.send(shown).get_json()
    logged = client.send(activity("log call with Jane Doe about the redelivery")).get_json()
    again = client.send(shown).get_json()
    assert "the redelivery" not in reply_text(first)
    assert "the redelivery" in reply_text(again)  # read again, not replayed
    assert "#" in reply_text(logged)
    assert row_counts(_engine(client))["deliveries"] == 1  # only the log


def test_a_refusal_keeps_no_delivery_and_is_refused_again(client: BotClient) -> None:
    body = activity("log call with Nobody Atall")
    first = client.send(body).get_json()
    again = client.send(body).get_json()
    assert reply_text(first) == reply_text(again)
    assert "Nobody Atall" in reply_text(first)
    assert row_counts(_engine(client)) == {"entries": 0, "audit": 0, "deliveries": 0}


@pytest.mark.parametrize(("drop", "named"), [
    ("recipient", "recipient.id"), ("id", "id"), ("serviceUrl", "serviceUrl"),
    ("from", "from.id"), ("conversation", "conversation.id"),
])
def test_an_activity_that_cannot_be_answered_is_refused_before_any_write(
        bot_engine: Engine, openid_url: str, signing_key: SigningKey, drop: str,
        named: str) -> None:
    """Anonymous development mode, so that no token check refuses the activity first."""
    client = bot_client(bot_engine, openid_url, signing_key, allow_anonymous=True)
    body = activity("log call with Jane Doe about renewal 15 min")
    del body[drop]
    before = row_counts(bot_engine)
    response = client.send(body, token=None)
    assert response.status_code == 400
    assert named in response.get_json()["error"]
    assert row_counts(bot_engine) == before == {"entries": 0, "audit": 0, "deliveries": 0}


def test_missing_recipient_is_400_naming_it(sqlite_client: BotClient) -> None:
    body = activity("log call with Jane Doe")
    del body["recipient"]
    response = sqlite_client.send(body)
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "the activity cannot be answered: it has no recipient.id"}
    assert entries(_engine(sqlite_client)) == []


def test_a_replayed_webhook_body_logs_once(client: BotClient) -> None:
    raw = json.dumps(activity("log meeting with John Smith", expect_replies=False)).encode()
    answers = [client.http.post("/api/teams/webhook", data=raw, content_type="application/json",
                                headers={"Authorization": hmac_header(raw)}) for _ in range(2)]
    [entry] = entries(_engine(client))
    assert answers[0].get_json() == answers[1].get_json()
    assert answers[0].get_json()["text"] == f"Logged #{entry.entry_no}: John Smith, MEETING"
    other = json.dumps(activity("log meeting with John Smith", expect_replies=False)).encode()
    client.http.post("/api/teams/webhook", data=other, content_type="application/json",
                     headers={"Authorization": hmac_header(other)})
    assert len(entries(_engine(client))) == 2  # another body: another command


@pytest.fixture
def servers(bot_engine: Engine, openid_url: str) -> Iterator[list[str]]:
    """Two servers of the same database, each app on its own engine (own connection pool),
    as two `interlog serve` processes would be."""
    with ExitStack() as stack:
        urls = []
        for _ in range(2):
            engine = make_engine(url_of(bot_engine))
            stack.callback(engine.dispose)
            app = create_app(make_settings(openid_url), engine=engine,
                             token_source=fake_token_source)
            urls.append(stack.enter_context(running(app, threads=THREADS)))
        yield urls


def _at_once(urls: list[str], key: SigningKey, body: dict[str, Any]) -> list[Any]:
    return post_at_once(urls, "/api/messages", THREADS, json=body,
                        headers={"Authorization": f"Bearer {key.token()}"})


def test_concurrent_deliveries_to_one_server_log_once(
        servers: list[str], bot_engine: Engine, signing_key: SigningKey) -> None:
    answers = _at_once(servers[:1], signing_key, activity("log call with Jane Doe 15 min"))
    [entry] = entries(bot_engine)
    assert [a.status_code for a in answers] == [200] * THREADS
    assert {reply_text(a.json()) for a in answers} == {f"Logged #{entry.entry_no}: Jane Doe, CALL"}
    assert row_counts(bot_engine) == {"entries": 1, "audit": 1, "deliveries": 1}


def test_concurrent_deliveries_to_two_servers_log_once(
        servers: list[str], bot_engine: Engine, signing_key: SigningKey) -> None:
    answers = _at_once(servers, signing_key, activity("log call with Jane Doe 15 min"))
    [entry] = entries(bot_engine)
    assert {reply_text(a.json()) for a in answers} == {f"Logged #{entry.entry_no}: Jane Doe, CALL"}
    assert row_counts(bot_engine) == {"entries": 1, "audit": 1, "deliveries": 1}


def test_concurrent_webhook_replays_to_two_servers_log_once(
        servers: list[str], bot_engine: Engine) -> None:
    raw = json.dumps(activity("log meeting with John Smith", expect_replies=False)).encode()
    answers = post_at_once(servers, "/api/teams/webhook", THREADS, content=raw, headers={
        "Authorization": hmac_header(raw), "Content-Type": "application/json"})
    [entry] = entries(bot_engine)
    assert {a.json()["text"] for a in answers} == {f"Logged #{entry.entry_no}: John Smith, MEETING"}
    assert row_counts(bot_engine)["entries"] == 1


def test_deliveries_past_the_retention_are_purged_at_most_once_per_interval(
        client: BotClient) -> None:
    engine = _engine(client)
    runner = client.app.extensions[EXTENSION].runner
    client.send(activity("log call with Jane Doe"))  # answered, then this process's first purge
    old = activity_key("a:conv1", "long-ago")
    with Session(engine) as session, session.begin():
        claim(session, old, DeliveryChannel.TEAMS, at=utcnow() - RETENTION - timedelta(hours=1))
    assert runner.purge_deliveries() is None  # purged a moment ago: not yet
    assert row_counts(engine)["deliveries"] == 2
    assert runner.purge_deliveries(utcnow() + PURGE_EVERY) == 1
    with Session(engine) as session:
        assert delivery(session, old) is None
    assert row_counts(engine)["deliveries"] == 1  # the log, received just now


def test_the_documented_curl_example_is_answered_and_logs_once(
        bot_engine: Engine, openid_url: str, signing_key: SigningKey) -> None:
    """docs/teams.md's local-development `curl` (the README points to it), run by bash with
    `curl … -d` replaced by `printf`: an answerable activity with its own `id`."""
    command = _documented_curl().replace(
        "curl -s localhost:8000/api/messages -H 'Content-Type: application/json' -d",
        "printf %s")
    printed = subprocess.run(["bash", "-c", command], capture_output=True, text=True,
                             check=True, timeout=10).stdout
    body = json.loads(printed.replace("<Alice`s object id>", ALICE))
    assert body["id"]
    client = bot_client(bot_engine, openid_url, signing_key, allow_anonymous=True)
    first, again = (client.send(body, token=None) for _ in range(2))
    [entry] = entries(bot_engine)
    assert reply_text(first.get_json()).startswith(f"Logged #{entry.entry_no}")
    assert again.get_json() == first.get_json()


def _documented_curl() -> str:
    text = (Path(__file__).resolve().parents[2] / "docs" / "teams.md").read_text()
    blocks = text.split("```")[1::2]
    [found] = [b.strip() for b in blocks if "curl -s localhost:8000/api/messages" in b]
    return found
