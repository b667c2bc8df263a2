""""Create contact" on the unmatched list logs the new contact's past (issue 11, item 5):
the mail capture already read for the address, through the real server (waitress), on
SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from html import unescape

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from connector.capture import build_capture_context, capture_page
from storage.capture_models import UnmatchedAddress
from storage.models import InteractionLogEntry as Entry
from storage.models import utcnow
from tests.support.builders import a_message
from tests.support.databases import BACKENDS, emptied
from tests.support.plugin import engine_for
from tests.support.web import Api, csrf_token, settings_for, waitress_api

pytestmark = pytest.mark.timeout(120)
NEW = "nina@newco.example"
ALICE = "alice@contoso.com"


@pytest.fixture(params=BACKENDS)
def api(request: pytest.FixtureRequest) -> Iterator[Api]:
    with emptied(engine_for(request, request.param)) as engine, waitress_api(engine) as api:
        yield api


def _capture_mail_from_new(api: Api) -> int:
    """A message from an unknown address, read yesterday; the id of its unmatched row."""
    yesterday = utcnow().replace(microsecond=0) - timedelta(days=1)
    with Session(api.engine) as session, session.begin():
        ctx = build_capture_context(session, settings_for(str(api.engine.url)))
        capture_page(session, ctx, ALICE, [a_message().from_(NEW).to(ALICE)
                                           .subject("Before we met").received(yesterday).build()])
        return session.scalars(sa.select(UnmatchedAddress.id)
                               .where(UnmatchedAddress.address == NEW)).one()


def test_create_contact_logs_the_mail_already_read_for_the_address(api: Api) -> None:
    unmatched_id = _capture_mail_from_new(api)
    with httpx.Client(base_url=api.base, timeout=30, follow_redirects=True) as browser:
        token = csrf_token(browser.get("/sync").text)
        answer = browser.post(f"/sync/unmatched/{unmatched_id}/contact",
                              data={"no": "P-NINA", "name": "Nina", "csrf_token": token})

    assert answer.status_code == 200, answer.text[:300]
    assert "entries logged from mail and meetings already read: 1" in unescape(answer.text)
    with Session(api.engine) as session:
        logged = session.execute(sa.select(Entry.contact_no, Entry.subject, Entry.source)
                                 .where(Entry.contact_no == "P-NINA")).all()
        left = session.scalar(sa.select(sa.func.count()).select_from(UnmatchedAddress)
                              .where(UnmatchedAddress.address == NEW))
    assert [tuple(row) for row in logged] == [("P-NINA", "Before we met", "email")]
    assert left == 0
