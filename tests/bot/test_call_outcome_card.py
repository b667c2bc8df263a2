"""The issue's loop for a call, on SQLite and PostgreSQL: a Teams call to a contact ends →
the call record (emulator, real msgraph-sdk) becomes a CALL entry in a sync run → an outcome
card goes to the salesperson's personal chat (a local Bot Connector) → a click on
/api/messages with a signed JWT → the evaluation saved."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.settings import BotSettings
from connector.realtime.worker import Worker
from emulator import EmulatorServer, EmulatorSettings
from storage.conversations import TeamsConversation
from tests.support.bot import APP_ID, SigningKey, activity
from tests.support.bot_connector import bot_connector
from tests.support.call_world import CALLS, call_world, calls_requested, drain, wait_for
from tests.support.calls import (
    ALICE,
    NOW,
    TENANT,
    Calls,
    call_entries,
    dataset,
    external,
    settings,
    teams,
)
from tests.support.outcome import (
    CONVERSATION,
    button_data,
    click,
    install,
    outcome_client,
    sender,
)
from tests.support.seed import seed
from tests.support.sync import TOKEN

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def calls(clean_engine: Engine, openid_url: str) -> Iterator[Calls]:
    emu_settings = EmulatorSettings(require_token=TOKEN, clock=lambda: NOW)
    with EmulatorServer.start(TENANT, settings=emu_settings) as emu:
        config = dataclasses.replace(settings(emu.base_url), bot=BotSettings(
            app_id=APP_ID, openid_metadata_url=openid_url, allow_anonymous=True))
        seed(clean_engine, dataset(config))
        yield Calls(emu, config, clean_engine)


def test_a_call_ends_its_card_is_clicked_and_the_evaluation_saved(
        calls: Calls, signing_key: SigningKey) -> None:
    engine, aad = calls.engine, ALICE["id"]
    with bot_connector() as connector:
        client = outcome_client(engine, calls.config, signing_key, connector)
        assert install(client, connector, aad=aad) == 200
        body = activity("notify me after calls", aad=aad, service_url=connector.url)
        assert client.send(body).status_code == 200
        with Session(engine) as session, session.begin():  # turned on the day before
            session.execute(sa.update(TeamsConversation).values(
                cards_since=NOW.replace(tzinfo=None) - timedelta(days=1)))
        calls.record(teams(ALICE), [external("hans@fabrikam.com", "Hans Weber")],
                     hours_ago=0.5, minutes=12)
        calls.sync()
        [entry] = call_entries(engine)
        assert (entry.contact_no, entry.user_upn, entry.duration_min) == (
            "P1", ALICE["mail"], 12)
        done = sender(engine, calls.config, connector, NOW.replace(tzinfo=None)).send_due()
        assert (done.cards, done.entries) == (1, 1)
        [posted] = connector.sent_to(CONVERSATION)
        assert posted.card["body"][1]["items"][0]["text"] == f"Call #{entry.entry_no}"
        answer = click(client, button_data(posted.card, entry.entry_no, "negative"), aad=aad)
    assert "✔ negative" in str(answer["value"])
    [saved] = call_entries(engine)
    assert saved.evaluation == "negative"


def test_the_whole_loop_call_notification_entry_card_click_evaluation(
        clean_engine: Engine, openid_url: str, signing_key: SigningKey) -> None:
    """The issue's loop with nothing stepped by hand but time: Graph notifies the live app of
    a new call record, a worker runs the calls round, the card goes out, the click is saved."""
    aad = ALICE["id"]
    bot = {"app_id": APP_ID, "openid_metadata_url": openid_url, "allow_anonymous": True}
    with call_world(clean_engine, bot=bot) as world, bot_connector() as connector:
        client = outcome_client(clean_engine, world.settings, signing_key, connector)
        assert install(client, connector, aad=aad) == 200
        body = activity("notify me after calls", aad=aad, service_url=connector.url)
        assert client.send(body).status_code == 200
        now = datetime.now(UTC).replace(tzinfo=None)
        with Session(clean_engine) as session, session.begin():  # turned on the day before
            session.execute(sa.update(TeamsConversation).values(
                cards_since=now - timedelta(days=1)))
        world.ensure()  # the worker's subscription on communications/callRecords
        worker = Worker(world.settings, clean_engine)
        try:
            drain(worker)  # the catch-up round: nothing to log yet
            assert call_entries(clean_engine) == []
            world.call("call-notified")  # Alice phoned Hans; it ended 54 minutes ago
            wait_for(lambda: calls_requested(clean_engine))  # Graph → the app → the queue
            assert drain(worker) == [CALLS]
        finally:
            worker.graph.close()
        [entry] = call_entries(clean_engine)
        assert (entry.ical_uid, entry.contact_no) == ("call:call-notified", "P1")
        done = sender(clean_engine, world.settings, connector, now).send_due()
        assert (done.cards, done.entries) == (1, 1)
        [posted] = connector.sent_to(CONVERSATION)
        answer = click(client, button_data(posted.card, entry.entry_no, "positive"), aad=aad)
    assert "✔ positive" in str(answer["value"])
    [saved] = call_entries(clean_engine)
    assert saved.evaluation == "positive"
