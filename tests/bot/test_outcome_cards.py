"""The outcome card, end to end on SQLite and PostgreSQL: the app installed → a meeting
captured, logged at its start and ended → a proactive card POSTed to a local Bot Connector
with the bot's token → a click on /api/messages (signed JWT) → the outcome saved, audited,
once; the throttle and the digest; off by default, turned on and off in chat (English,
Spanish); never a card for an entry evaluated or canceled; at most once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from interlog.outcome_cards import CardWorker, send_outcome_cards
from storage.conversations import OfferState, TeamsConversation, claim_offers, offers
from storage.entries import Interaction, evaluate_entries, log_interaction
from storage.models import AuditEvent, Contact, utcnow
from tests.support.bot import ALICE, BOB, BotClient, SigningKey, activity, card_action, entries
from tests.support.bot_connector import FakeBotConnector, TokenClient, bot_connector
from tests.support.outcome import (
    CONVERSATION,
    button_data,
    buttons_of,
    click,
    install,
    meeting,
    outcome_client,
    outcome_settings,
    say,
    sender,
)

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def connector() -> Iterator[FakeBotConnector]:
    with bot_connector() as server:
        yield server


@pytest.fixture
def client(bot_engine: Engine, openid_url: str, signing_key: SigningKey,
           connector: FakeBotConnector) -> BotClient:
    return outcome_client(bot_engine, outcome_settings(openid_url), signing_key, connector)


def _settings(client: BotClient) -> object:
    return client.app.extensions["interlog.bot"].settings


def _reference(engine: Engine) -> TeamsConversation | None:
    with Session(engine) as session:
        return session.get(TeamsConversation, ALICE)


def _turned_on(client: BotClient, connector: FakeBotConnector) -> None:
    assert install(client, connector) == 200
    assert say(client, "notify me after calls", connector=connector).startswith("From now on")


def test_the_whole_loop(bot_engine: Engine, client: BotClient,
                        connector: FakeBotConnector) -> None:
    settings = client.app.extensions["interlog.bot"].settings
    _turned_on(client, connector)
    ref = _reference(bot_engine)
    assert ref is not None
    assert (ref.service_url, ref.conversation_id, ref.user_id, ref.bot_id) == (
        connector.url, CONVERSATION, "29:user", "28:bot")
    start = utcnow() + timedelta(hours=1)
    meeting(bot_engine, settings, start, 45)
    [entry] = entries(bot_engine)
    assert (entry.source, entry.user_upn, entry.contact_no) == ("meeting", "alice@contoso.com",
                                                                "C0001")

    # Started but not ended: no card yet.
    assert sender(bot_engine, settings, connector, start + timedelta(minutes=30)).send_due(
        ).cards == 0
    done = sender(bot_engine, settings, connector, start + timedelta(minutes=46)).send_due()
    assert (done.cards, done.entries) == (1, 1)
    [card_post] = connector.sent_to(CONVERSATION)
    assert card_post.authorization == f"Bearer {connector.issued}"
    assert card_post.activity["recipient"]["id"] == "29:user"
    card = card_post.card
    assert card["body"][0]["text"] == "How did it go?"
    facts = {f["title"]: f["value"] for f in card["body"][1]["items"][1]["facts"]}
    assert facts["Contact"] == "Jane Doe (C0001)"
    assert facts["Duration"] == "45 min"
    assert buttons_of(card) == {(entry.entry_no, o) for o in (
        "very_positive", "positive", "neutral", "negative", "very_negative", "no_answer",
        "not_business", "note")}

    body = button_data(card, entry.entry_no, "positive")
    answer = click(client, body)
    assert answer["type"] == "application/vnd.microsoft.card.adaptive"
    assert "✔ positive" in str(answer["value"])
    assert buttons_of(answer["value"]) == set()
    [saved] = entries(bot_engine)
    assert saved.evaluation == "positive"
    with Session(bot_engine) as session:
        audit = session.execute(sa.select(AuditEvent.action, AuditEvent.actor).where(
            AuditEvent.entry_no == entry.entry_no, AuditEvent.action == "evaluate")).all()
        [offer] = offers(session)
    assert [(a, actor.split()[0]) for a, actor in audit] == [("evaluate", f"teams:{ALICE}")]
    assert (offer.entry_no, offer.state, offer.activity_id) == (
        entry.entry_no, OfferState.SENT, "activity-1")
    # Never a second card for it, whatever runs next.
    later = sender(bot_engine, settings, connector, start + timedelta(hours=3)).send_due()
    assert (later.cards, len(connector.sent_to(CONVERSATION))) == (0, 1)


def test_a_click_delivered_twice_is_acted_on_once(bot_engine: Engine, client: BotClient,
                                                  connector: FakeBotConnector) -> None:
    settings = client.app.extensions["interlog.bot"].settings
    _turned_on(client, connector)
    start = utcnow() + timedelta(minutes=30)
    meeting(bot_engine, settings, start, 30)
    sender(bot_engine, settings, connector, start + timedelta(minutes=31)).send_due()
    [entry] = entries(bot_engine)
    card = connector.sent_to(CONVERSATION)[0].card
    invoke = card_action({**button_data(card, entry.entry_no, "note"),
                          f"note_{entry.entry_no}": "wants a quote"})
    first = client.send(invoke).get_json()
    second = client.send(invoke).get_json()
    assert first == second
    [saved] = entries(bot_engine)
    assert saved.note == "wants a quote"
    with Session(bot_engine) as session:
        notes = session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "note"))
    assert notes == 1


def test_no_answer_and_not_business(bot_engine: Engine, client: BotClient,
                                    connector: FakeBotConnector) -> None:
    settings = client.app.extensions["interlog.bot"].settings
    _turned_on(client, connector)
    start = utcnow() + timedelta(minutes=30)
    meeting(bot_engine, settings, start, 30, subject="One")
    meeting(bot_engine, settings, start, 20, subject="Two")
    done = sender(bot_engine, settings, connector, start + timedelta(minutes=31)).send_due()
    assert (done.cards, done.entries) == (1, 2)  # a digest
    card = connector.sent_to(CONVERSATION)[0].card
    assert card["body"][0]["text"] == "2 calls and meetings ended. How did they go?"
    one, two = entries(bot_engine)
    answer = click(client, button_data(card, one.entry_no, "no_answer"))
    assert buttons_of(answer["value"]) == {b for b in buttons_of(card) if b[0] == two.entry_no}
    click(client, button_data(answer["value"], two.entry_no, "not_business"))
    one, two = entries(bot_engine)
    assert (one.attempt_failed, one.canceled) == (True, False)
    assert (two.canceled, two.canceled_reason) == (True, "not a business interaction")


def test_one_card_per_user_per_n_minutes_then_a_digest(
        bot_engine: Engine, client: BotClient, connector: FakeBotConnector) -> None:
    settings = client.app.extensions["interlog.bot"].settings
    _turned_on(client, connector)
    start = utcnow() + timedelta(hours=1)
    meeting(bot_engine, settings, start, 30, subject="First")
    assert sender(bot_engine, settings, connector, start + timedelta(minutes=31)).send_due(
        ).cards == 1
    meeting(bot_engine, settings, start + timedelta(minutes=32), 2, subject="Second")
    meeting(bot_engine, settings, start + timedelta(minutes=33), 2, subject="Third")
    held = sender(bot_engine, settings, connector, start + timedelta(minutes=36)).send_due()
    assert (held.cards, held.waiting) == (0, 2)  # 5 minutes after the first card
    done = sender(bot_engine, settings, connector, start + timedelta(minutes=42)).send_due()
    assert (done.cards, done.entries) == (1, 2)
    _first, digest = connector.sent_to(CONVERSATION)
    subjects = [f["value"] for s in digest.card["body"][1:] for f in s["items"][1]["facts"]
                if f["title"] == "Subject"]
    assert subjects == ["Second", "Third"]


def test_no_card_for_an_evaluated_or_canceled_entry(
        bot_engine: Engine, client: BotClient, connector: FakeBotConnector) -> None:
    settings = client.app.extensions["interlog.bot"].settings
    _turned_on(client, connector)
    start = utcnow() + timedelta(minutes=10)
    meeting(bot_engine, settings, start, 15, subject="Evaluated")
    meeting(bot_engine, settings, start, 15, subject="Canceled")
    evaluated, canceled = entries(bot_engine)
    with Session(bot_engine) as session, session.begin():
        evaluate_entries(session, [evaluated.entry_no], "neutral", actor="test")
    assert say(client, f"cancel {canceled.entry_no}", connector=connector).startswith("Canceled")
    done = sender(bot_engine, settings, connector, start + timedelta(minutes=16)).send_due()
    assert (done.cards, connector.sent_to(CONVERSATION)) == (0, [])


def test_off_by_default_then_on_in_spanish_and_off(
        bot_engine: Engine, client: BotClient, connector: FakeBotConnector) -> None:
    settings = client.app.extensions["interlog.bot"].settings
    assert install(client, connector, kind="installationUpdate") == 200
    meeting(bot_engine, settings, utcnow() - timedelta(hours=1), 15, subject="Before")
    assert sender(bot_engine, settings, connector, utcnow()).send_due(
        ).cards == 0  # installed, never asked: off
    reply = say(client, "Avísame después de llamadas", locale="es-MX", connector=connector)
    assert reply.startswith("Desde ahora")
    later = utcnow() + timedelta(minutes=30)
    meeting(bot_engine, settings, later, 15, subject="Después")
    done = sender(bot_engine, settings, connector, later + timedelta(minutes=16)).send_due()
    assert done.entries == 1  # only what ended after it was turned on
    [posted] = connector.sent_to(CONVERSATION)
    assert posted.card["body"][0]["text"] == "¿Cómo le fue?"
    assert "Después" in str(posted.card)
    assert say(client, "deja de avisarme", locale="es-MX",
               connector=connector).startswith("Ya no le enviaré")
    last = later + timedelta(hours=1)
    meeting(bot_engine, settings, last, 15, subject="Off")
    assert sender(bot_engine, settings, connector, last + timedelta(minutes=16)).send_due(
        ).cards == 0
    assert say(client, "stop notifying", connector=connector).startswith("I will not")


def test_uninstall_forgets_the_reference(bot_engine: Engine, client: BotClient,
                                         connector: FakeBotConnector) -> None:
    channel = {"id": "19:team-channel", "conversationType": "channel"}
    assert install(client, connector, conversation=channel) == 200
    assert _reference(bot_engine) is None  # a team's channel is no place for one's calls
    _turned_on(client, connector)
    assert _reference(bot_engine) is not None
    assert install(client, connector, conversation=channel, kind="conversationUpdate",
                   membersRemoved=[{"id": "28:bot"}]) == 200
    assert _reference(bot_engine) is not None  # removed from a team: the chat stays
    assert install(client, connector, kind="installationUpdate", action="remove") == 200
    assert _reference(bot_engine) is None


def test_at_most_once_a_claimed_offer_is_never_sent_and_a_refused_one_not_again(
        bot_engine: Engine, client: BotClient, connector: FakeBotConnector) -> None:
    settings = client.app.extensions["interlog.bot"].settings
    _turned_on(client, connector)
    start = utcnow() + timedelta(minutes=10)
    meeting(bot_engine, settings, start, 15, subject="Crashed")
    [crashed] = entries(bot_engine)
    with Session(bot_engine) as session, session.begin():  # a sender died after recording
        assert claim_offers(session, ALICE, [crashed.entry_no], start) == [crashed.entry_no]
    at = start + timedelta(hours=1)
    assert sender(bot_engine, settings, connector, at).send_due().cards == 0
    meeting(bot_engine, settings, at, 15, subject="Refused")
    connector.fail_next(5)
    failed = sender(bot_engine, settings, connector, at + timedelta(minutes=16)).send_due()
    assert (failed.cards, failed.failed) == (0, 1)
    again = sender(bot_engine, settings, connector, at + timedelta(hours=1)).send_due()
    assert (again.cards, connector.sent_to(CONVERSATION)) == (0, [])
    with Session(bot_engine) as session:
        assert [o.state for o in offers(session)] == [OfferState.OFFERING, OfferState.FAILED]


def test_notify_outside_a_personal_chat_is_refused(
        bot_engine: Engine, client: BotClient, connector: FakeBotConnector) -> None:
    body = activity("notify me after calls", service_url=connector.url,
                    conversation={"id": "19:channel", "conversationType": "channel"})
    answer = client.send(body).get_json()["activities"][0]["text"]
    assert answer.startswith("Outcome cards come in a personal chat")
    assert _reference(bot_engine) is None


def test_a_worker_cycle_logs_the_meeting_and_sends_its_card(
        bot_engine: Engine, client: BotClient, connector: FakeBotConnector) -> None:
    """The worker's path: a pending meeting logged at its start by a cycle, its card sent by
    a cycle after it ended (`interlog worker` runs `CardWorker`)."""
    settings = client.app.extensions["interlog.bot"].settings
    _turned_on(client, connector)
    start = utcnow() + timedelta(hours=1)
    meeting(bot_engine, settings, start, 30, logged=False)
    assert entries(bot_engine) == []
    now = [start + timedelta(minutes=31)]
    worker = CardWorker(settings, bot_engine, lambda mailbox: None,
                        token_source=TokenClient(connector), clock=lambda: now[0])
    try:
        worker.cycle()
    finally:
        worker.cards.close()
    [entry] = entries(bot_engine)
    [posted] = connector.sent_to(CONVERSATION)
    assert buttons_of(posted.card) >= {(entry.entry_no, "positive")}
    # The end of a sync run sends the same way, and nothing twice.
    again = send_outcome_cards(settings, bot_engine, token_source=TokenClient(connector),
                               clock=lambda: now[0] + timedelta(hours=1))
    assert again is not None
    assert (again.cards, len(connector.sent_to(CONVERSATION))) == (0, 1)


def test_a_call_gets_a_card_and_an_unanswered_one_none(
        bot_engine: Engine, client: BotClient, connector: FakeBotConnector) -> None:
    """Call entries (source `call`, written by the call-records stream once the call ended)
    are offered like meetings; a call nobody answered has nothing to evaluate."""
    settings = client.app.extensions["interlog.bot"].settings
    _turned_on(client, connector)
    start = utcnow() + timedelta(minutes=5)
    with Session(bot_engine) as session, session.begin():
        jane = session.scalars(sa.select(Contact).where(Contact.no == "C0001")).one()
        for failed in (False, True):
            log_interaction(session, jane, Interaction(
                "CALL", subject="Pricing", occurred_at=start, duration_min=Decimal(12),
                source="call", user_upn="alice@contoso.com", attempt_failed=failed),
                actor="calls")
    answered, _unanswered = entries(bot_engine)
    done = sender(bot_engine, settings, connector, start + timedelta(minutes=13)).send_due()
    assert (done.cards, done.entries) == (1, 1)
    [posted] = connector.sent_to(CONVERSATION)
    section = posted.card["body"][1]["items"]
    assert section[0]["text"] == f"Call #{answered.entry_no}"
    assert {f["title"]: f["value"] for f in section[1]["facts"]}["Duration"] == "12 min"


def test_submit_from_an_older_client_and_a_stranger_refused(
        bot_engine: Engine, client: BotClient, connector: FakeBotConnector) -> None:
    """`Action.Submit` (the fallback) arrives as a message with the button's data as value
    (and the card's inputs); someone else's click changes nothing."""
    settings = client.app.extensions["interlog.bot"].settings
    _turned_on(client, connector)
    start = utcnow() + timedelta(minutes=5)
    meeting(bot_engine, settings, start, 10)
    sender(bot_engine, settings, connector, start + timedelta(minutes=11)).send_due()
    [entry] = entries(bot_engine)
    card = connector.sent_to(CONVERSATION)[0].card
    data = button_data(card, entry.entry_no, "very_negative")
    stranger = client.send(activity(None, aad=BOB, value=data)).get_json()["activities"][0]
    assert stranger["text"] == f"Entry #{entry.entry_no} is not yours; only an admin may change it."
    answer = client.send(activity(None, value=data)).get_json()["activities"][0]
    assert answer["summary"] == f"#{entry.entry_no}: very negative"
    assert "✔ very negative" in str(answer["attachments"][0]["content"])
    [saved] = entries(bot_engine)
    assert saved.evaluation == "very_negative"
