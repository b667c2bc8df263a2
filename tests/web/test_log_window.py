"""The log window in the browser, on SQLite and PostgreSQL (issue 13 item 6): the columns to
choose (kept in a cookie), Open in Outlook for https links only, filters kept on the export,
delete, paging and contact links (also after a filter error), re-create an interaction from
its entry, and the audit trail page (keyset pages, filters; a user sees entry events only)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from storage.contacts import resolve_contact
from storage.entries import Interaction, cancel_entries, log_interaction, restore_entries
from storage.models import AuditEvent, InteractionLogEntry, utcnow
from tests.support.databases import BACKENDS, emptied, url_of
from tests.support.plugin import engine_for
from tests.support.seed import seed
from tests.support.web import (
    WEB,
    Site,
    make_app,
    screenshot,
    seeded_server,
    settings_for,
    signed_in,
)

LINK = "https://outlook.office365.com/owa/?ItemID=AAMkAGI2%3D&exvsurl=1&viewmodel=ReadMessageItem"


@pytest.fixture
def site(clean_engine: object) -> Iterator[Site]:
    """The seeded database (six entries) behind a live server in development mode (admin)."""
    with seeded_server(clean_engine) as base:  # type: ignore[arg-type]
        yield Site(base=base, engine=clean_engine)  # type: ignore[arg-type]


def _rows(page: Page) -> list[str]:
    return [r.get_attribute("id") or "" for r in page.locator("table.entries tbody tr").all()]


def _query(page: Page, selector: str) -> dict[str, list[str]]:
    href = page.locator(selector).get_attribute("href") or ""
    return parse_qs(urlsplit(href).query)


def _set_link(site: Site, entry_no: int, link: str) -> None:
    with Session(site.engine) as session, session.begin():
        session.execute(sa.update(InteractionLogEntry).where(
            InteractionLogEntry.entry_no == entry_no).values(web_link=link))


def test_choose_the_columns_of_the_log(site: Site, page: Page) -> None:
    with Session(site.engine) as session, session.begin():
        cancel_entries(session, [6], actor="test", reason="sent twice")
    page.goto(f"{site.base}/log?template=QUOTE&status=all")
    expect(page.locator("th.col-evaluation")).to_have_count(1)  # the default columns
    expect(page.locator("th.col-flow")).to_have_count(0)
    page.locator("#columns summary").click()
    for key in ("flow", "initiated_by", "attempt_failed", "company", "salesperson", "group",
                "cancel_reason"):
        page.check(f"#column-{key}")
    page.uncheck("#column-source")
    page.click("#apply-columns")
    assert urlsplit(page.url).query == "template=QUOTE&status=all"  # back where it was
    row = page.locator("#entry-6")
    for key, text in (("flow", "outbound"), ("initiated_by", "us"), ("company", ""),
                      ("salesperson", "AL"), ("group", "DOCS"),
                      ("cancel_reason", "sent twice"), ("attempt_failed", "")):
        expect(row.locator(f"td.col-{key}")).to_have_text(text)
    expect(page.locator("th.col-source")).to_have_count(0)
    screenshot(page, "log-columns")
    page.goto(f"{site.base}/log?contact=C002")  # the choice is kept (a cookie), not the URL
    expect(page.locator("#entry-2 td.col-company")).to_have_text("C001")
    expect(page.locator("#entry-2 td.col-group")).to_have_text("CALLS")
    page.locator("#columns summary").click()
    for key in ("flow", "initiated_by", "attempt_failed", "company", "salesperson", "group",
                "cancel_reason", "evaluation", "user", "document_no"):
        page.uncheck(f"#column-{key}")
    page.click("#apply-columns")
    expect(page.locator("table.entries thead th")).to_have_count(11)  # only those always shown


def test_the_columns_in_spanish(site: Site, page_es: Page) -> None:
    page_es.goto(f"{site.base}/log")
    expect(page_es.locator("#columns summary")).to_have_text("Columnas")
    page_es.locator("#columns summary").click()
    page_es.check("#column-flow")
    page_es.check("#column-cancel_reason")
    page_es.click("#apply-columns")
    expect(page_es.locator("th.col-flow")).to_have_text("Flujo de información")
    expect(page_es.locator("th.col-cancel_reason")).to_have_text("Motivo de cancelación")
    expect(page_es.locator("#entry-6 td.col-flow")).to_have_text("saliente")
    page_es.goto(f"{site.base}/entries/6")
    expect(page_es.locator("#recreate-button")).to_have_text("Volver a crear la interacción")
    expect(page_es.locator("#full-trail")).to_have_text(
        "Todo el historial de cambios de este movimiento »")
    page_es.click("#nav-audit")
    expect(page_es.locator("h1")).to_have_text("Historial de cambios")
    expect(page_es.locator("#audit thead th")).to_have_text(
        ["#", "Cuándo (UTC)", "Quién", "Acción", "Movimiento", "Detalles"])


def test_open_in_outlook_only_for_https_links(site: Site, page: Page) -> None:
    _set_link(site, 1, LINK)
    _set_link(site, 4, "javascript:alert(document.cookie)")
    _set_link(site, 3, "http://outlook.office365.com/calendar/item")
    page.goto(f"{site.base}/log")
    link = page.locator("#entry-1 a.outlook")
    expect(link).to_have_text("Open in Outlook")
    assert link.get_attribute("href") == LINK
    assert (link.get_attribute("target"), link.get_attribute("rel")) == (
        "_blank", "noopener noreferrer")
    expect(page.locator("a.outlook")).to_have_count(1)  # not the javascript: nor the http one
    page.goto(f"{site.base}/entries/1")
    assert page.locator("#open-outlook").get_attribute("href") == LINK
    page.goto(f"{site.base}/entries/4")
    expect(page.locator("#open-outlook")).to_have_count(0)


def test_every_log_link_keeps_the_filters(site: Site, page: Page) -> None:
    with Session(site.engine) as session, session.begin():
        jane = resolve_contact(session, "C002")
        start = utcnow().replace(year=2025, month=4, day=1, hour=9)
        for n in range(55):
            log_interaction(session, jane, Interaction(
                template_code="CALL", subject=f"call {n}", source="manual",
                occurred_at=start + timedelta(hours=n)), actor="test")
    page.goto(f"{site.base}/log?template=CALL&since=2025-01-01")
    wanted = {"template": ["CALL"], "since": ["2025-01-01"]}
    assert _query(page, "#export-csv") == wanted
    assert _query(page, "#delete-canceled") == wanted
    older = _query(page, "#next-page")  # pages by entry number (issue 14)
    assert older == {**wanted, "before": older["before"]}
    page.click("#next-page")
    expect(page.locator("table.entries tbody tr")).to_have_count(7)  # 57 calls: 50 + 7
    newer = _query(page, "#prev-page")
    assert newer == {**wanted, "after": newer["after"]}
    assert int(newer["after"][0]) < int(older["before"][0])
    assert _query(page, "#entry-5 a.only-contact") == {**wanted, "contact": ["C005"]}
    page.click("#entry-5 a.only-contact")
    assert _rows(page) == ["entry-5"]
    # After a filter error the links keep what was asked, and the export says what is wrong.
    response = page.goto(f"{site.base}/log?template=NOPE&contact=C002&page=3")
    assert response is not None
    assert response.status == 400
    expect(page.locator("#filter-error")).to_have_text("template: no interaction template 'NOPE'")
    kept = {"contact": ["C002"], "template": ["NOPE"]}
    assert _query(page, "#export-csv") == kept
    assert _query(page, "#delete-canceled") == kept
    export = page.request.get(site.base + (page.locator("#export-csv").get_attribute("href")
                                           or ""))
    assert export.status == 400
    assert "no interaction template" in export.text()


def test_recreate_an_interaction_from_its_entry(site: Site, page: Page) -> None:
    page.goto(f"{site.base}/entries/2")
    page.fill("#recreate-date", (utcnow().date() + timedelta(days=3)).isoformat())
    page.click("#recreate-button")
    expect(page.locator(".flash.error")).to_contain_text("is in the future")
    assert site.entry_nos() == [1, 2, 3, 4, 5, 6]
    page.fill("#recreate-date", "2025-04-01")
    page.click("#recreate-button")
    expect(page.locator(".flash.ok")).to_have_text("Re-created as #7.")
    expect(page.locator("h1")).to_contain_text("Entry #7")
    expect(page.locator("#trail td:nth-child(3)")).to_have_text(["log", "recreate"])
    expect(page.locator("#trail td:nth-child(4)")).to_have_text(["", '{"from_entry": 2}'])
    copy, original = site.entry(7), site.entry(2)
    assert copy is not None
    assert original is not None
    assert (copy.contact_no, copy.template_code, copy.subject, copy.duration_min, copy.cost) == (
        original.contact_no, original.template_code, original.subject, original.duration_min,
        original.cost)
    assert (copy.source, copy.user_upn, copy.occurred_at.date()) == (
        "manual", "alice@contoso.com", date(2025, 4, 1))  # development mode: the entry's user
    before = utcnow().replace(microsecond=0)
    page.click("#recreate-button")  # no date: now
    expect(page.locator("h1")).to_contain_text("Entry #8")
    eight = site.entry(8)
    assert eight is not None
    assert before <= eight.occurred_at <= utcnow()


def _events(site: Site) -> list[int]:
    with Session(site.engine) as session:
        return list(session.scalars(sa.select(AuditEvent.id).order_by(AuditEvent.id.desc())))


def test_the_audit_trail_page(site: Site, page: Page) -> None:
    with Session(site.engine) as session, session.begin():
        cancel_entries(session, list(range(1, 7)), actor="web:carol@contoso.com")
        for n in range(1, 7):
            session.execute(sa.insert(AuditEvent).values(
                actor="test", action="note", entry_no=n, details=f'{{"line": "{"x" * n}"}}'))
    for _ in range(4):  # 6 log + 6 cancel + 6 note + 4 × (6 cancel + 6 restore) = 66 events
        with Session(site.engine) as session, session.begin():
            restore_entries(session, list(range(1, 7)), actor="cli:ana")
            cancel_entries(session, list(range(1, 7)), actor="cli:ana")
    ids = _events(site)
    page.goto(f"{site.base}/log")
    page.click("#nav-audit")
    expect(page.locator("h1")).to_have_text("Audit trail")
    first = [int(t) for t in page.locator("#audit tbody td:nth-child(1)").all_inner_texts()]
    assert first == ids[:50]  # newest first
    page.click("#older-page")
    older = [int(t) for t in page.locator("#audit tbody td:nth-child(1)").all_inner_texts()]
    assert older == ids[50:]
    expect(page.locator("#older-page")).to_have_count(0)
    page.click("#newest-page")
    expect(page.locator("#audit tbody tr")).to_have_count(50)
    screenshot(page, "audit")
    page.fill("input[name=entry]", "2")
    page.fill("input[name=action]", "Cancel")
    page.click("#apply-audit-filters")
    expect(page.locator("#audit td.action")).to_have_text(["cancel"] * 5)
    page.fill("input[name=actor]", "web:carol@contoso.com")
    page.click("#apply-audit-filters")
    expect(page.locator("#audit tbody tr")).to_have_count(1)
    page.locator("#audit a.entry").click()
    expect(page.locator("h1")).to_contain_text("Entry #2")
    page.click("#full-trail")
    assert parse_qs(urlsplit(page.url).query) == {"entry": ["2"]}
    expect(page.locator("#audit tbody tr")).to_have_count(11)  # log, note, 5 × cancel, 4 × restore
    response = page.goto(f"{site.base}/audit?entry=abc")
    assert response is not None
    assert response.status == 400
    expect(page.locator("#audit-error")).to_have_text("entry: 'abc' is not a whole number")


@pytest.fixture(scope="module", params=BACKENDS)
def signed_in_app(request: pytest.FixtureRequest) -> Iterator[tuple[Flask, Site]]:
    with emptied(engine_for(request, request.param)) as engine:
        seed(engine, WEB)
        settings = settings_for(url_of(engine), anonymous=False, client_id="web-app-id")
        yield make_app(settings, engine), Site(base="", engine=engine)


def test_a_user_sees_entry_events_an_admin_all(signed_in_app: tuple[Flask, Site]) -> None:
    app, site = signed_in_app
    with Session(site.engine) as session, session.begin():
        session.execute(sa.insert(AuditEvent).values(actor="cli:root", action="init",
                                                     entry_no=None, details=""))
    alice = app.test_client()
    with alice.session_transaction() as session:
        session.update(signed_in("alice@contoso.com", "alice"))
    seen = alice.get("/audit?action=init").get_data(as_text=True)
    assert 'id="no-events"' in seen
    assert "event-" not in seen
    assert 'class="entry">#3<' in alice.get("/audit?entry=3").get_data(as_text=True)  # bob's
    carol = app.test_client()
    with carol.session_transaction() as session:
        session.update(signed_in("carol@contoso.com", "carol"))
    assert ">init<" in carol.get("/audit?action=init").get_data(as_text=True)
    # Re-creating: the new entry is the signed-in user's own.
    carol.get("/entries/3")
    with carol.session_transaction() as session:
        token = str(session["csrf_token"])
    done = carol.post("/entries/3/recreate", data={"csrf_token": token, "date": "2025-05-02"})
    assert done.status_code == 302
    new_no = int(done.headers["Location"].rsplit("/", 1)[1])
    copy = site.entry(new_no)
    assert copy is not None
    assert (copy.user_upn, copy.salesperson_code, copy.template_code) == (
        "carol@contoso.com", "CA", "MEETING")
    assert carol.post("/entries/3/recreate", data={"date": "2025-05-02"}).status_code == 400
