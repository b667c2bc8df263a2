"""The explain page (issue 11, item 6) through the real server (waitress), on SQLite and
PostgreSQL: linked from each captured entry of the log and from each unmatched address."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from html import unescape
from urllib.parse import quote

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from connector.capture import build_capture_context, capture_page
from storage.models import InteractionLogEntry as Entry
from storage.models import utcnow
from tests.support.builders import a_message
from tests.support.databases import BACKENDS, emptied
from tests.support.plugin import engine_for
from tests.support.web import Api, settings_for, waitress_api

pytestmark = pytest.mark.timeout(120)
ALICE = "alice@contoso.com"
KNOWN = "<known-1@fabrikam.example>"
STRANGER = "zed@startup.example"


@pytest.fixture(scope="module", params=BACKENDS)
def api(request: pytest.FixtureRequest) -> Iterator[Api]:
    with emptied(engine_for(request, request.param)) as engine, waitress_api(engine) as api:
        _capture(api)
        yield api


def _capture(api: Api) -> None:
    """Mail from a contact of the seeded history (C002's address) and from a stranger."""
    yesterday = utcnow().replace(microsecond=0) - timedelta(days=1)
    with Session(api.engine) as session, session.begin():
        known = session.scalars(sa.text(
            "SELECT e.address FROM contact_emails e JOIN contacts c ON c.id = e.contact_id"
            " WHERE c.no = 'C002'")).first()
        assert known
        ctx = build_capture_context(session, settings_for(str(api.engine.url)))
        capture_page(session, ctx, ALICE, [
            a_message().from_(known).to(ALICE).subject("Price list").message_id(KNOWN)
            .received(yesterday).build(),
            a_message().from_(STRANGER).to(ALICE).subject("Pitch").received(yesterday).build(),
        ])


def _get(api: Api, path: str) -> httpx.Response:
    return httpx.get(f"{api.base}{path}", timeout=30)


def test_a_captured_entry_links_to_why_it_was_logged(api: Api) -> None:
    with Session(api.engine) as session:
        entry_no = session.scalars(sa.select(Entry.entry_no)
                                   .where(Entry.internet_message_id == KNOWN)).one()
    assert "/explain?q=%3Cknown-1@fabrikam.example%3E" in unescape(_get(api, "/log").text)

    page = _get(api, f"/explain?q={quote(KNOWN)}")

    assert page.status_code == 200
    text = unescape(page.text)
    assert "Price list" in text
    assert '<tr class="decision logged">' in text
    assert str(entry_no) in text


def test_an_unmatched_address_links_to_why_it_was_skipped(api: Api) -> None:
    assert f"/explain?q={STRANGER}" in unescape(_get(api, "/sync").text)

    page = _get(api, f"/explain?q={quote(STRANGER)}")

    assert page.status_code == 200
    text = unescape(page.text)
    assert '<tr class="decision skipped">' in text
    assert "no_contact" in text
    assert STRANGER in text


def test_nothing_kept_says_so_and_bad_text_is_a_400(api: Api) -> None:
    missing = _get(api, "/explain?q=" + quote("<nothing@nowhere.example>"))
    assert missing.status_code == 200
    assert 'id="not-kept"' in missing.text
    assert _get(api, "/explain?q=a%00b").status_code == 400
    assert _get(api, "/explain?q=" + "x" * 300).status_code == 400
