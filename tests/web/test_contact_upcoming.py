"""The contact page shows the contact's upcoming meetings apart from its log and totals,
through the real server (waitress), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from connector.capture import build_capture_context, capture_page
from interlog.config import settings_from_dict
from storage.models import utcnow
from tests.support.builders import an_event
from tests.support.web import waitress_api

pytestmark = pytest.mark.timeout(120)
ALICE = "alice@contoso.com"


def test_the_contact_page_lists_upcoming_meetings_outside_its_totals(clean_engine: Engine) -> None:
    start = (utcnow() + timedelta(days=3)).replace(hour=9, minute=30, second=0, microsecond=0)
    with waitress_api(clean_engine) as api:
        settings = settings_from_dict({"sync": {"mailboxes": [ALICE],
                                                "internal_domains": ["contoso.com"]}}, env={})
        before = api.counts()
        with Session(clean_engine) as session, session.begin():
            capture_page(session, build_capture_context(session, settings), ALICE, [
                an_event().organizer(ALICE).attendees("jane@fabrikam.com")
                .subject("Pricing workshop").at(start, minutes=90).build()])

        jane = unescape(httpx.get(f"{api.base}/contacts/C002", timeout=30).text)
        company = unescape(httpx.get(f"{api.base}/contacts/C001", timeout=30).text)
        other = unescape(httpx.get(f"{api.base}/contacts/C005", timeout=30).text)

        assert api.counts() == before  # nothing logged
    assert "Upcoming meetings" in jane
    assert f"{start:%Y-%m-%d %H:%M} UTC" in jane
    assert "Pricing workshop" in jane
    assert "Pricing workshop" in company  # a company's page includes its persons'
    assert "Upcoming meetings" not in other
