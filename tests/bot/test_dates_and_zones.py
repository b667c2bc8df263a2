"""Dates, times, time zones and outcomes in `log`, and `show` by date, through the bot's real
HTTP endpoints (`/api/messages`, `/api/teams/webhook`) on SQLite and PostgreSQL.

The user's zone is the `timezone` of the activity's `clientInfo` entity, else their
`[[user]] time_zone`, else the server's; entries are stored in UTC. Expected values are
worked out from the real clock: a day that may change while a request runs is read before
and after it.
"""

from __future__ import annotations

import json
import time as clock
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine

from interlog.app import create_app
from interlog.config import ConfigError, settings_from_dict
from storage.entries import entry_to_json
from storage.models import InteractionLogEntry
from tests.support.bot import (
    ALICE,
    APP_ID,
    BOB,
    CAROL,
    WEBHOOK_SECRET,
    BotClient,
    SigningKey,
    activity,
    card_action,
    entries,
    fake_token_source,
    hmac_header,
    reply_card,
    reply_text,
)

MEXICO = ZoneInfo("America/Mexico_City")  # UTC-6 all year (no daylight saving since 2022)
TOKYO = ZoneInfo("Asia/Tokyo")  # UTC+9
BOGOTA = "America/Bogota"  # UTC-5


def client_info(zone: str) -> list[dict[str, Any]]:
    """The entities Teams sends with a message: the client's locale, country and zone."""
    return [{"type": "clientInfo", "locale": "es-MX", "country": "MX", "platform": "Web",
             "timezone": zone}]


def say(client: BotClient, text: str, *, zone: str | None = None, **kwargs: Any) -> Any:
    extra = {"entities": client_info(zone)} if zone is not None else {}
    response = client.send(activity(text, **extra, **kwargs))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def logged(client: BotClient) -> list[InteractionLogEntry]:
    return entries(client.app.extensions["interlog"].engine)


def utc(zone: ZoneInfo, day: date, at: time) -> datetime:
    """A local date and time in `zone` as the naive UTC the log stores."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


def around(zone: ZoneInfo, act: Callable[[], Any]) -> tuple[Any, set[date]]:
    """Run `act`; its result and the local dates (in `zone`) it ran on (one, or two at
    midnight)."""
    before = datetime.now(zone).date()
    result = act()
    return result, {before, datetime.now(zone).date()}


def fact(card: dict[str, Any], title: str) -> str:
    facts = {f["title"]: f["value"] for f in card["body"][1]["facts"]}
    return str(facts[title])


def test_yesterday_at_a_time_is_the_clients_local_time_stored_in_utc(client: BotClient) -> None:
    body, days = around(MEXICO, lambda: say(
        client, "log call with José about follow-up yesterday at 15:00 10 min",
        zone="America/Mexico_City"))
    [entry] = logged(client)
    assert (entry.contact_no, entry.subject, entry.duration_min) == ("C0004", "follow-up", 10)
    assert entry.occurred_at in {utc(MEXICO, d - timedelta(days=1), time(15)) for d in days}
    assert entry.occurred_at.hour == 21  # 15:00 in Mexico City is 21:00 UTC
    as_json = entry_to_json(entry)
    assert (as_json["date"], as_json["time"]) == (entry.occurred_at.date().isoformat(),
                                                  "21:00:00")
    local_day = (entry.occurred_at - timedelta(hours=6)).date().isoformat()
    assert fact(reply_card(body), "Date") == f"{local_day} 15:00 CST"
    assert reply_text(body) == f"Logged #{entry.entry_no}: José Pérez, CALL"


def test_spanish_date_time_and_outcomes(client: BotClient) -> None:
    body, days = around(MEXICO, lambda: say(
        client, "registrar llamada con José Pérez ayer a las 9:30 sobre renovación "
        "sin respuesta muy positiva nota: volver a llamar el lunes, ayer no pudo",
        zone="America/Mexico_City", locale="es-MX"))
    [entry] = logged(client)
    assert entry.occurred_at in {utc(MEXICO, d - timedelta(days=1), time(9, 30)) for d in days}
    assert (entry.subject, entry.attempt_failed, entry.evaluation) == (
        "renovación", True, "very_positive")
    assert entry.note == "volver a llamar el lunes, ayer no pudo"
    card = reply_card(body)
    assert card["body"][0]["text"] == f"Registrado #{entry.entry_no}"
    assert fact(card, "Intento fallido") == "sí"
    assert fact(card, "Evaluación") == "muy positiva"
    assert fact(card, "Nota") == "volver a llamar el lunes, ayer no pudo"
    assert fact(card, "Fecha").endswith(" 09:30 CST")


@pytest.mark.parametrize(("words", "evaluation"), [
    ("positive", "positive"), ("very negative", "very_negative"), ("neutral", "neutral"),
])
def test_english_outcomes(client: BotClient, words: str, evaluation: str) -> None:
    body = say(client, f"log call with Jane Doe about pricing {words} no answer note: call back")
    [entry] = logged(client)
    assert (entry.subject, entry.evaluation, entry.attempt_failed, entry.note) == (
        "pricing", evaluation, True, "call back")
    assert fact(reply_card(body), "Evaluation") == evaluation.replace("_", " ")


def test_dates_with_and_without_a_year_in_both_languages(client: BotClient) -> None:
    day = datetime.now(TOKYO).date() - timedelta(days=10)
    say(client, f"log call with Jane Doe on {day.isoformat()} at 08:00", zone="Asia/Tokyo")
    say(client, f"registrar llamada con Jane Doe el {day.day}/{day.month} a las 8:00",
        zone="Asia/Tokyo", locale="es-MX")
    first, second = logged(client)
    expected = utc(TOKYO, day, time(8))  # 23:00 UTC the day before
    assert (first.occurred_at, second.occurred_at) == (expected, expected)
    assert expected.date() == day - timedelta(days=1)


def test_a_date_without_a_year_is_the_most_recent_past_one(client: BotClient) -> None:
    today = datetime.now(TOKYO).date()
    soon = next(d for d in (today + timedelta(days=2), today + timedelta(days=3))
                if (d.month, d.day) != (2, 29))  # a day last year had too
    say(client, f"registrar llamada con Jane Doe el {soon.day}/{soon.month} a las 10:00",
        zone="Asia/Tokyo", locale="es-MX")
    [entry] = logged(client)
    assert entry.occurred_at == utc(TOKYO, soon.replace(year=soon.year - 1), time(10))


def _zone_before_noon() -> str:
    """A fixed-offset zone where it is now morning, so that 23:00 today is hours away."""
    for offset in range(-12, 15):
        name = f"Etc/GMT{-offset:+d}"  # Etc/GMT-9 is UTC+9
        if datetime.now(ZoneInfo(name)).hour < 12:
            return name
    raise AssertionError("some zone is always before noon")


def test_the_future_is_refused_and_nothing_is_written(client: BotClient) -> None:
    ahead = (datetime.now(TOKYO).date() + timedelta(days=2)).isoformat()
    english = reply_text(say(client, f"log call with Jane Doe on {ahead}", zone="Asia/Tokyo"))
    assert english.startswith(f"'on {ahead}' is {ahead} ")
    assert "still to come" in english
    assert "a log records what has happened" in english
    spanish = reply_text(say(client, f"registrar llamada con Jane Doe el {ahead} a las 10:00",
                             zone="Asia/Tokyo", locale="es-MX"))
    assert spanish.startswith(f"'el {ahead} a las 10:00' es {ahead} 10:00 JST, que aún no llega")
    later_today = reply_text(say(client, "log call with Jane Doe at 23:00",
                                 zone=_zone_before_noon()))
    assert "still to come" in later_today
    assert logged(client) == []


def test_bad_dates_and_times_are_refused_naming_them(client: BotClient) -> None:
    assert reply_text(say(client, "log call with Jane Doe on 2023-02-29")) == (
        "29/2 is not a date. Say e.g. `on 2026-11-30` or `yesterday`.")
    assert reply_text(say(client, "log call with Jane Doe on 3/11")).startswith(
        "3/11 could be day/month or month/day")
    assert reply_text(say(client, "registrar llamada con Jane Doe a las 25:00",
                          locale="es-MX")) == "25:00 no es una hora. Diga p. ej. `a las 15:00`."
    assert logged(client) == []


def test_a_quoted_subject_keeps_its_date_words(client: BotClient) -> None:
    before = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    say(client, 'log call with Jane Doe about "follow-up yesterday" 10 min', zone="Asia/Tokyo")
    [entry] = logged(client)
    assert entry.subject == "follow-up yesterday"
    assert before <= entry.occurred_at <= datetime.now(UTC).replace(tzinfo=None)  # now


def test_show_lists_by_local_date_newest_first(client: BotClient) -> None:
    today = datetime.now(TOKYO).date()
    for back in (3, 1, 2):  # logged out of date order
        day = today - timedelta(days=back)
        say(client, f"log call with Jane Doe on {day.isoformat()} at 08:00 about day {back}",
            zone="Asia/Tokyo")
    body = say(client, "show Jane Doe", zone="Asia/Tokyo")
    lines = [block["text"] for block in reply_card(body)["body"][1:]]
    assert [line.split(" · ")[2] for line in lines] == ["day 1", "day 2", "day 3"]
    for line, back in zip(lines, (1, 2, 3), strict=True):  # the local date, not the UTC one
        assert f" {(today - timedelta(days=back)).isoformat()} 08:00 · CALL" in line
    text_lines = reply_text(body).splitlines()[1:]
    assert [line.split(" ")[1:3] for line in text_lines] == [
        [(today - timedelta(days=back)).isoformat(), "08:00"] for back in (1, 2, 3)]


def test_the_outgoing_webhook_reads_client_info_too(client: BotClient) -> None:
    day = datetime.now(MEXICO).date() - timedelta(days=3)
    body = activity(f"log call with Jane Doe on {day.isoformat()} at 15:00",
                    expect_replies=False, entities=client_info("America/Mexico_City"))
    body["conversation"]["conversationType"] = "channel"
    raw = json.dumps(body).encode()
    response = client.http.post("/api/teams/webhook", data=raw, content_type="application/json",
                                headers={"Authorization": hmac_header(raw)})
    assert response.status_code == 200
    [entry] = logged(client)
    assert entry.occurred_at == utc(MEXICO, day, time(15))
    card = response.get_json()["attachments"][0]["content"]
    assert fact(card, "Date") == f"{day.isoformat()} 15:00 CST"


def test_a_candidate_button_keeps_when_and_where_it_was_typed(client: BotClient) -> None:
    body = say(client, "log call with Jane yesterday at 15:00 about renewal",
               zone="America/Mexico_City")
    assert logged(client) == []  # Jane Doe or Jane Roe?
    buttons = reply_card(body)["actions"]
    data = buttons[0]["data"]
    assert data["time_zone"] == "America/Mexico_City"
    typed_at = datetime.fromisoformat(data["typed_at"])
    typed_day = typed_at.replace(tzinfo=UTC).astimezone(MEXICO).date()
    # The invoke a click sends carries no clientInfo: the button's zone and moment hold.
    response = client.send(card_action(data))
    assert response.status_code == 200
    [entry] = logged(client)
    assert entry.occurred_at == utc(MEXICO, typed_day - timedelta(days=1), time(15))
    assert entry.subject == "renewal"
    plain = dict(data, text=data["text"].replace(" yesterday at 15:00", ""),
                 typed_at="2001-01-01T00:00:00")  # stale or forged: now, as when pressed
    before = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    client.send(card_action(plain))
    assert logged(client)[-1].occurred_at >= before


USERS = [
    {"upn": "alice@contoso.com", "salesperson_code": "AL", "aad_object_id": ALICE,
     "time_zone": "Asia/Tokyo"},
    {"upn": "bob@contoso.com", "salesperson_code": "BO", "aad_object_id": BOB},
    {"upn": "carol@contoso.com", "salesperson_code": "CA", "aad_object_id": CAROL,
     "admin": True},
]


@pytest.fixture
def zoned_client(bot_engine: Engine, openid_url: str, signing_key: SigningKey) -> BotClient:
    """The app built from a configuration where Alice has `time_zone = "Asia/Tokyo"`."""
    settings = settings_from_dict({
        "bot": {"app_id": APP_ID, "openid_metadata_url": openid_url,
                "outgoing_webhook_secret": WEBHOOK_SECRET},
        "user": USERS,
    }, env={})
    app = create_app(settings, engine=bot_engine, token_source=fake_token_source)
    return BotClient(app, app.test_client(), signing_key)


def test_the_configured_zone_when_teams_sends_none(zoned_client: BotClient) -> None:
    day = datetime.now(TOKYO).date() - timedelta(days=5)
    body = say(zoned_client, f"log call with Jane Doe on {day.isoformat()} at 08:00")
    say(zoned_client, f"log call with Jane Doe on {day.isoformat()} at 08:00", zone="Mars/Base")
    say(zoned_client, f"log call with Jane Doe on {day.isoformat()} at 08:00",
        zone="America/Mexico_City")  # the client's zone wins
    configured, bad_client_zone, client_zone = logged(zoned_client)
    assert configured.occurred_at == utc(TOKYO, day, time(8))
    assert bad_client_zone.occurred_at == utc(TOKYO, day, time(8))
    assert client_zone.occurred_at == utc(MEXICO, day, time(8))
    assert fact(reply_card(body), "Date") == f"{day.isoformat()} 08:00 JST"
    bob = say(zoned_client, f"log call with Jane Doe on {day.isoformat()} at 08:00", aad=BOB)
    assert fact(reply_card(bob), "Date").startswith(f"{day.isoformat()} 08:00")  # the server's


@pytest.fixture
def server_in_bogota(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The server's own zone is America/Bogota for the test."""
    monkeypatch.setenv("TZ", BOGOTA)
    clock.tzset()
    yield
    monkeypatch.undo()
    clock.tzset()


@pytest.mark.usefixtures("server_in_bogota")
def test_the_servers_zone_when_neither_says_one(client: BotClient) -> None:
    day = datetime.now(ZoneInfo(BOGOTA)).date() - timedelta(days=4)
    body = say(client, f"log call with Jane Doe on {day.isoformat()} at 20:00")
    [entry] = logged(client)
    assert entry.occurred_at == utc(ZoneInfo(BOGOTA), day, time(20))  # 01:00 UTC the next day
    assert entry.occurred_at.date() == day + timedelta(days=1)
    assert fact(reply_card(body), "Date") == f"{day.isoformat()} 20:00 -05"


def test_a_bad_configured_zone_is_a_config_error_naming_it() -> None:
    with pytest.raises(ConfigError, match="time_zone 'Mexico City' is not an IANA time zone"):
        settings_from_dict({"user": [{"upn": "alice@contoso.com",
                                      "time_zone": "Mexico City"}]}, env={})
