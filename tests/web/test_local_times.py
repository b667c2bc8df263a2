"""Pages in the signed-in user's own time zone, in the browser, on SQLite and PostgreSQL: a
user in Mexico City (`[[user]] time_zone`) reads every time in CST with the zone named, the
log's From/To are her days while `/api/v1` keeps UTC days; development mode shows the
server's zone."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from interlog.config import settings_from_dict
from storage.api_models import create_api_key
from storage.contacts import resolve_contact
from storage.entries import Interaction, log_interaction
from storage.local_time import server_zone_name
from storage.models import AuditEvent, InteractionLogEntry
from tests.support.databases import url_of
from tests.support.seed import seed
from tests.support.servers import live_server
from tests.support.web import USERS, WEB, make_app, screenshot, settings_for, signed_in

MEXICO = ZoneInfo("America/Mexico_City")
LATE = datetime(2025, 3, 6, 3, 30)  # noqa: DTZ001 (naive UTC, as stored)
# ^ 03:30 UTC on March 6: still the evening of March 5 in Mexico City


@dataclass(frozen=True)
class Alice:
    page: Page
    base: str
    late: int  # the entry logged at LATE
    api_key: str


@pytest.fixture
def alice(clean_engine: Engine, browser: Browser) -> Iterator[Alice]:
    """Alice (time zone America/Mexico_City) signed in, in the browser, on a live server with
    the seeded entries and one more logged at `LATE`."""
    seed(clean_engine, WEB)
    with Session(clean_engine) as session, session.begin():
        jane = resolve_contact(session, "C002")
        late = log_interaction(session, jane, Interaction(
            template_code="CALL", subject="Late call", occurred_at=LATE,
            user_upn="alice@contoso.com"), actor="test").entry_no
        key = create_api_key(session, "erp").key
    users = [{**u, "time_zone": "America/Mexico_City"} if u["upn"].startswith("alice") else u
             for u in USERS]  # the app's start seeds [[user]] again
    settings = settings_from_dict({"storage": {"url": url_of(clean_engine)},
                                   "web": {"allow_anonymous": False, "client_id": "web-app-id"},
                                   "user": users}, env={})
    app = make_app(settings, clean_engine)
    cookie = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    value = cookie.dumps(signed_in("alice@contoso.com", "Alice"))
    with live_server(app) as base:
        context = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 900})
        context.add_cookies([{"name": app.config["SESSION_COOKIE_NAME"], "value": value,
                              "url": base}])
        page = context.new_page()
        page.set_default_timeout(10_000)
        try:
            yield Alice(page, base, late, key)
        finally:
            context.close()


def _cells(page: Page, entry_no: int) -> tuple[str, str]:
    row = page.locator(f"#entry-{entry_no} td")
    return row.nth(2).inner_text(), row.nth(3).inner_text()


def _rows(page: Page) -> list[str]:
    return [r.get_attribute("id") or "" for r in page.locator("table.entries tbody tr").all()]


def test_every_page_shows_the_users_local_times(alice: Alice) -> None:
    page, base, late = alice.page, alice.base, alice.late
    page.goto(f"{base}/log")
    expect(page.locator("#time-zone")).to_have_text("Times in America/Mexico_City (CST)")
    assert _cells(page, late) == ("Mar 5, 2025", "21:30")  # 03:30 UTC on March 6
    assert _cells(page, 1) == ("Jan 10, 2025", "03:00")  # 09:00 UTC
    screenshot(page, "log-local-times")
    page.goto(f"{base}/entries/{late}")
    expect(page.locator("#entry-when")).to_have_text("Mar 5, 2025 21:30 CST")
    page.goto(f"{base}/sync")
    # The killed run started at 08:00 UTC; bob's mailbox last synced at 09:00 UTC.
    expect(page.locator("main")).to_contain_text("2025-03-01 02:00:00")
    expect(page.locator("main")).to_contain_text("2025-03-01 03:00:00")
    expect(page.locator("main")).not_to_contain_text("2025-03-01 08:00:00")
    page.goto(f"{base}/contacts/C002")
    expect(page.locator(f"#entry-{late}")).to_contain_text("Mar 5, 2025")


def test_the_audit_trail_in_local_time(alice: Alice, clean_engine: Engine) -> None:
    page, base = alice.page, alice.base
    with Session(clean_engine) as session:
        event = session.scalars(sa.select(AuditEvent).where(AuditEvent.entry_no == alice.late)
                                .order_by(AuditEvent.id.desc())).first()
    assert event is not None
    local = event.at.replace(tzinfo=UTC).astimezone(MEXICO).replace(tzinfo=None)
    page.goto(f"{base}/audit")
    expect(page.locator(f"#event-{event.id}")).to_contain_text(
        local.isoformat(sep=" ", timespec="seconds"))
    expect(page.locator(f"#event-{event.id}")).not_to_contain_text(
        event.at.isoformat(sep=" ", timespec="seconds"))


def test_a_recreated_interaction_is_on_the_users_day_at_her_time_now(
    alice: Alice, clean_engine: Engine
) -> None:
    page, base = alice.page, alice.base
    page.goto(f"{base}/entries/{alice.late}")
    page.fill("#recreate-date", "2025-03-02")
    before = datetime.now(MEXICO).replace(tzinfo=None)
    page.click("#recreate-button")
    expect(page.locator("body")).to_contain_text("Re-created as")
    after = datetime.now(MEXICO).replace(tzinfo=None)
    with Session(clean_engine) as session:
        newest = session.scalars(sa.select(InteractionLogEntry)
                                 .order_by(InteractionLogEntry.entry_no.desc())).first()
    assert newest is not None
    assert newest.entry_no != alice.late
    local = newest.occurred_at.replace(tzinfo=UTC).astimezone(MEXICO).replace(tzinfo=None)
    assert local.date().isoformat() == "2025-03-02"  # her day, not a UTC day
    at = local.time()  # her time of day now (stored to the second), not UTC's
    if before.date() == after.date():  # (not across her midnight)
        assert before.replace(microsecond=0).time() <= at <= after.time()


def test_filter_dates_are_the_users_days_on_pages_and_utc_days_on_the_api(alice: Alice) -> None:
    page, base, late = alice.page, alice.base, alice.late
    page.goto(f"{base}/log?since=2025-03-05&until=2025-03-05")
    assert sorted(_rows(page)) == sorted([f"entry-{late}", "entry-6"])  # 6: 05:00 local
    expect(page.locator("#total-count")).to_have_text("2")  # the totals count the same days
    page.goto(f"{base}/log?since=2025-03-06")
    assert f"entry-{late}" not in _rows(page)
    answer = httpx.get(f"{base}/api/v1/interactions", params={"since": "2025-03-06"},
                       headers={"Authorization": f"Bearer {alice.api_key}"}, timeout=30)
    assert answer.status_code == 200, answer.text
    entries = answer.json()["entries"]
    assert [(e["entry_no"], e["date"], e["time"]) for e in entries] == [
        (late, "2025-03-06", "03:30:00")]  # the contract: UTC


def test_development_mode_shows_the_servers_zone(clean_sqlite_engine: Engine) -> None:
    seed(clean_sqlite_engine, WEB)
    app = make_app(settings_for(url_of(clean_sqlite_engine)), clean_sqlite_engine)
    client = app.test_client()
    html = client.get("/entries/1").get_data(as_text=True)
    assert f"Times in {server_zone_name()}" in html
    shown = datetime(2025, 1, 10, 9).replace(tzinfo=UTC).astimezone().strftime("%H:%M")
    assert f"{shown} " in html
