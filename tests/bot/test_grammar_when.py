"""Dates, times, quotes and outcomes in `log`, without a database: what the words say
(`bot/grammar.py`, `bot/words.py`, `bot/when.py`) and how a day is worked out against the
user's own date (`When.resolve`), and the user's clock (`bot/local_time.py`)."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.grammar import GrammarError, parse_log
from bot.local_time import UserClock, choose_zone, client_time_zone, zone_named
from bot.when import When, calendar_day
from bot.words import split_words


def naive(text: str) -> datetime:
    """A naive date and time (local or UTC, as the code under test reads it)."""
    return datetime.fromisoformat(text)


NOW = naive("2026-12-01 10:30:15")  # a Tuesday, local


def test_date_words_anywhere_after_the_contact_leave_the_subject() -> None:
    request = parse_log("call with José about follow-up yesterday 10 min")
    assert (request.ref, request.subject, str(request.duration_min)) == (
        "José", "follow-up", "10")
    assert request.when.resolve(NOW) == naive("2026-11-30 10:30:15")
    early = parse_log("call with Jane Doe yesterday at 15:00 about renewal")
    assert (early.ref, early.subject) == ("Jane Doe", "renewal")
    assert early.when.resolve(NOW) == naive("2026-11-30 15:00:00")
    before_with = parse_log("call yesterday with Jane")
    assert (before_with.ref, before_with.when.days_ago) == ("Jane", 1)


def test_a_quoted_subject_is_taken_as_written() -> None:
    request = parse_log('call with José about "follow-up yesterday at 15:00" 10 min')
    assert request.subject == "follow-up yesterday at 15:00"
    assert not request.when
    assert request.when.resolve(NOW) is None  # nothing said: now
    curly = parse_log("call with José about “positive news, no answer” positive")
    assert (curly.subject, curly.evaluation, curly.failed) == (
        "positive news, no answer", "positive", False)
    quoted_contact = parse_log('call with "Ana Neutral" neutral')
    assert (quoted_contact.ref, quoted_contact.evaluation) == ("Ana Neutral", "neutral")


def test_spanish_forms() -> None:
    request = parse_log("llamada con José Pérez ayer a las 15:00 sobre renovación 15 min "
                        "sin respuesta muy positiva nota: volver a llamar el lunes", lang="es")
    assert (request.ref, request.subject, request.failed, request.evaluation) == (
        "José Pérez", "renovación", True, "very_positive")
    assert request.note == "volver a llamar el lunes"
    assert request.when.resolve(NOW) == naive("2026-11-30 15:00:00")
    dated = parse_log("llamada con José el 30/11 a la 1:05 sobre el contrato negativa", lang="es")
    assert (dated.subject, dated.evaluation) == ("el contrato", "negative")
    assert dated.when.resolve(NOW) == naive("2026-11-30 01:05:00")
    iso = parse_log("reunión con C0001 el 2026-11-29", lang="es")
    assert (iso.kind, iso.when.resolve(NOW)) == ("meeting", naive("2026-11-29 10:30:15"))
    assert parse_log("llamada con C0001 hoy", lang="es").when.resolve(NOW) == NOW


@pytest.mark.parametrize(("words", "evaluation"), [
    ("very positive", "very_positive"), ("positive", "positive"), ("neutral", "neutral"),
    ("negative", "negative"), ("very negative", "very_negative"),
    ("muy positiva", "very_positive"), ("positiva", "positive"), ("neutra", "neutral"),
    ("negativa", "negative"), ("muy negativa", "very_negative"), ("MUY NEGATIVO", "very_negative"),
])
def test_the_five_evaluations(words: str, evaluation: str) -> None:
    assert parse_log(f"call with Jane {words}").evaluation == evaluation
    assert parse_log(f"call with Jane about renewal {words} 5 min").evaluation == evaluation


def test_no_answer_is_an_attempt_failed_and_a_note_takes_the_rest() -> None:
    request = parse_log("call with Jane no answer note: left a voicemail; try on 2026-11-30 at 9")
    assert request.failed is True
    assert request.note == "left a voicemail; try on 2026-11-30 at 9"
    assert not request.when  # the note's words are the note's
    assert parse_log("call with Jane NOTE:glued").note == "glued"
    assert parse_log('call with Jane about "note: not a note"').note is None
    assert parse_log("call with Jane about renewal").evaluation == ""


def test_dates_on_and_el() -> None:
    def day(text: str, lang: str = "en") -> datetime | None:
        return parse_log(f"call with Jane {text}", lang=lang).when.resolve(NOW)

    assert day("on 2026-11-30") == naive("2026-11-30 10:30:15")
    assert day("on 2025-02-03 at 08:00") == naive("2025-02-03 08:00:00")
    assert day("on 30/11") == naive("2026-11-30 10:30:15")  # unambiguous: day first
    assert day("on 11/30 at 3:30 pm") == naive("2026-11-30 15:30:00")  # month first
    assert day("at 9am") == naive("2026-12-01 09:00:00")  # a time alone: today
    assert day("at 12 am") == naive("2026-12-01 00:00:00")
    assert day("el 3/11", "es") == naive("2026-11-03 10:30:15")  # Spanish: day first
    assert day("el 30/11/25", "es") == naive("2025-11-30 10:30:15")
    assert day("anteayer", "es") == naive("2026-11-29 10:30:15")


def test_a_date_without_a_year_is_the_most_recent_past_one() -> None:
    today = date(2026, 12, 1)
    assert calendar_day(None, 12, 1, today=today) == date(2026, 12, 1)
    assert calendar_day(None, 12, 2, today=today) == date(2025, 12, 2)
    assert calendar_day(None, 2, 29, today=today) == date(2024, 2, 29)
    assert calendar_day(2027, 1, 5, today=today) == date(2027, 1, 5)  # the caller refuses it
    future = parse_log("call with Jane on 12/25").when.resolve(NOW)
    assert future == naive("2025-12-25 10:30:15")


@pytest.mark.parametrize(("text", "key"), [
    ("call with Jane on 31/02", "bad_date"),
    ("call with Jane on 2026-13-01", "bad_date"),
    ("call with Jane on 0000-01-01", "bad_date"),
    ("call with Jane on 9999-12-31", "bad_date"),
    ("call with Jane on 3/11", "ambiguous_date"),
    ("call with Jane at 25:00", "bad_time"),
    ("call with Jane at 13pm", "bad_time"),
    ("call with Jane at 10:75", "bad_time"),
    ("call with Jane yesterday on 2026-11-30", "two_dates"),
    ("call with Jane today ayer", "two_dates"),
    ("call with Jane at 10:00 at 11:00", "two_times"),
    ("call with Jane note:", "empty_note"),
    ("call with Jane about yesterday", "bad_log"),
])
def test_refusals_name_the_problem(text: str, key: str) -> None:
    with pytest.raises(GrammarError) as info:
        parse_log(text).when.resolve(NOW)
    assert info.value.key == key


def test_words_that_only_look_like_dates_stay_words() -> None:
    request = parse_log("call with Jane about the deal at the office on pricing 5 min")
    assert request.subject == "the deal at the office on pricing"
    assert not request.when
    spanish = parse_log("llamada con Jane sobre el contrato a las tantas", lang="es")
    assert spanish.subject == "el contrato a las tantas"
    first_word = parse_log("call with Hoy Corp yesterday")  # the contact's first word is its own
    assert (first_word.ref, first_word.when.days_ago) == ("Hoy Corp", 1)


def test_split_words_keeps_quoted_phrases() -> None:
    words = split_words('a "b c" «d» “e f” "open ended')
    assert [(w.text, w.quoted) for w in words] == [
        ("a", False), ("b c", True), ("d", True), ("e f", True), ("open ended", True)]
    assert [w.key for w in words] == ["a", "", "", "", ""]


def test_when_without_words_is_now() -> None:
    assert When().resolve(NOW) is None
    assert When(at=time(9, 0)).resolve(NOW) == naive("2026-12-01 09:00:00")


def test_client_time_zone_from_the_client_info_entity() -> None:
    entities = [{"type": "mention", "text": "<at>interlog</at>"},
                {"type": "clientInfo", "locale": "es-MX", "country": "MX",
                 "platform": "Web", "timezone": "America/Mexico_City"}]
    assert client_time_zone(entities) == "America/Mexico_City"
    assert client_time_zone([{"type": "clientInfo", "locale": "en-US"}]) is None
    assert client_time_zone(None) is None
    assert zone_named("Mars/Olympus_Mons") is None
    assert zone_named("../../etc/passwd") is None
    assert zone_named(42) is None
    assert choose_zone("Mars/Base", "", "Asia/Tokyo") == ZoneInfo("Asia/Tokyo")
    assert choose_zone(None, "") is None  # the server's


def test_user_clock_reads_and_shows_local_times() -> None:
    mexico = UserClock(ZoneInfo("America/Mexico_City"), naive("2026-12-01 03:00:00"))
    assert mexico.now() == naive("2026-11-30 21:00:00")  # still yesterday in Mexico
    assert mexico.to_utc(naive("2026-11-30 15:00:00")) == naive("2026-11-30 21:00:00")
    assert mexico.show(naive("2026-11-30 21:00:00")) == "2026-11-30 15:00 CST"
    tokyo = UserClock(ZoneInfo("Asia/Tokyo"), naive("2026-12-01 03:00:00"))
    assert tokyo.to_utc(naive("2026-12-01 08:00:00")) == naive("2026-11-30 23:00:00")
    assert tokyo.show_day(naive("2026-11-30 23:00:00")) == "2026-12-01 08:00"
