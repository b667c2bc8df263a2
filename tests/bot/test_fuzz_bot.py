"""Fuzz the bot's text commands with Hypothesis through its real HTTP endpoint
(`/api/messages` on waitress, development mode, expectReplies), on SQLite and PostgreSQL:
every message gets a reply (never a 5xx, never a traceback), and a reply that names no entry
(`#N`) wrote nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from hypothesis import event, given
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from interlog.app import create_app
from interlog.wsgi import running
from storage.models import AuditEvent, InteractionLogEntry
from tests.support.bot import ALICE, BOT, CAROL, activity, fake_token_source, make_settings, replies
from tests.support.databases import BACKENDS, emptied
from tests.support.fuzz import FUZZ, assert_handled, json_bytes, json_values, text
from tests.support.plugin import engine_for
from tests.support.seed import seed

pytestmark = pytest.mark.timeout(120)

PREFIXES = ("", "log call with", "log meeting with Jane Doe", "log CALL with Jane Doe about",
            "log call with Jane Doe", "cancel", "restore", "show", "templates", "help",
            "registrar llamada con", "cancelar", "mostrar", "notify me after calls",
            "log email with Jane Doe on", "log call with Jane Doe at", "log call with C0001 note:")
TAILS = ("", "15 min", "yesterday", "on 2025-02-30", "at 25:61", "about x", "1e400 min",
         "NaN min", "-5 min", "99999999999 min", "failed", "positive", "outbound", "١٢٣",
         "2147483648", "#1", "on 9999-12-31", "at 00:00")
messages = st.builds(lambda p, t, x: " ".join(s for s in (p, t, x) if s),
                     st.sampled_from(PREFIXES), st.sampled_from(TAILS), text | st.just(""))


@pytest.fixture(scope="module", params=BACKENDS)
def bot(request: pytest.FixtureRequest) -> Iterator[tuple[httpx.Client, Engine]]:
    with emptied(engine_for(request, request.param)) as engine:
        seed(engine, BOT)
        app = create_app(make_settings("http://127.0.0.1:9/unused", allow_anonymous=True),
                         engine=engine, token_source=fake_token_source)
        with running(app, threads=4) as base, httpx.Client(base_url=base, timeout=60) as http:
            yield http, engine


def _counts(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        return (session.scalar(sa.select(sa.func.count()).select_from(InteractionLogEntry)) or 0,
                session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) or 0)


def _send(bot: tuple[httpx.Client, Engine], body: Any) -> None:
    http, engine = bot
    before = _counts(engine)
    answer = http.post("/api/messages", content=json_bytes(body),
                       headers={"Content-Type": "application/json"})
    assert_handled(answer, 200, 400)
    said = " ".join(str(r.get("text") or r.get("summary") or "") for r in replies(answer.json())
                    ) if answer.status_code == 200 and "activities" in answer.json() else ""
    event(f"status {answer.status_code}, names an entry: {bool(re.search(r'#[0-9]', said))}")
    if not re.search(r"#[0-9]", said):
        assert _counts(engine) == before, said


@FUZZ
@given(message=messages, admin=st.booleans(), locale=st.sampled_from(("en-US", "es-MX", "")))
def test_text_commands(bot: tuple[httpx.Client, Engine], message: str, admin: bool,
                       locale: str) -> None:
    _send(bot, activity(message, locale=locale, aad=CAROL if admin else ALICE))


@FUZZ
@given(value=json_values, text_value=st.none() | text)
def test_card_submissions_and_odd_activities(bot: tuple[httpx.Client, Engine], value: Any,
                                             text_value: str | None) -> None:
    _send(bot, activity(text_value, value=value))
