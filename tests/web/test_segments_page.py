"""The segments page in a real browser, on SQLite and PostgreSQL: a segment created, contacts
added and removed by criteria (a company's persons, a domain, a period, a pasted link of the
log), logged, canceled, restored after an entry was deleted, and deleted; the rights of a
user who is not an admin; the page in Spanish."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from storage.entries import EntryFilter, delete_canceled
from storage.models import AuditEvent, Contact, InteractionLogEntry, LoggedSegment, Segment
from tests.support.databases import url_of
from tests.support.seed import seed
from tests.support.web import (
    WEB,
    Site,
    csrf_token,
    make_app,
    screenshot,
    seeded_server,
    settings_for,
    signed_in,
)


@pytest.fixture
def seg_site(clean_engine: Engine) -> Iterator[Site]:
    """The seeded history (Fabrikam C001 with Jane C002 and José C003; Northwind C004 with
    Nina C005) behind a live server in development mode, on each back-end."""
    with seeded_server(clean_engine) as base:
        yield Site(base=base, engine=clean_engine)


def _members(page: Page) -> list[str]:
    return [t.strip() for t in page.locator("#segment-contacts td:first-child a")
            .all_text_contents()]


def _flash(page: Page, kind: str, text: str) -> None:
    expect(page.locator(f".flash.{kind}")).to_contain_text(text)


def _segment_entries(engine: Engine) -> list[tuple[str, bool, str | None, bool]]:
    with Session(engine) as session:
        e = InteractionLogEntry
        rows = session.execute(sa.select(e.contact_no, e.canceled, e.segment_no,
                                         e.logged_segment_id.is_not(None))
                               .where(e.source == "segment").order_by(e.contact_no))
        return [(no, canceled, seg, tied) for no, canceled, seg, tied in rows]


def test_build_log_cancel_restore_and_delete_a_segment(seg_site: Site, page: Page) -> None:
    page.goto(f"{seg_site.base}/log")
    page.click("#nav-segments")
    expect(page.locator("h1")).to_have_text("Segments")
    page.fill("#segment-create input[name=no]", "spring")
    page.fill("#segment-create input[name=description]", "Spring offer")
    page.click("#segment-create button")
    _flash(page, "ok", "Segment created: SPRING")
    page.click("#segments a:text-is('SPRING')")
    page.fill("#segment-criteria input[name=company]", "C001")
    page.click("#add-contacts")
    _flash(page, "ok", "Contacts added: 2. Contacts in the segment: 2")
    assert _members(page) == ["C002", "C003"]
    page.fill("#segment-criteria input[name=domain]", "fabrikam.com")
    page.click("#add-contacts")
    _flash(page, "ok", "Contacts added: 1 (in it already: 2). Contacts in the segment: 3")
    page.fill("#segment-criteria input[name=contacts]", "C001")
    page.click("#reduce-contacts")
    _flash(page, "ok", "Contacts removed: 1. Contacts in the segment: 2")
    # a period (and a template): Nina's call of 1 March
    page.fill("#segment-criteria input[name=since]", "2025-02-25")
    page.fill("#segment-criteria input[name=until]", "2025-03-31")
    page.select_option("#segment-criteria select[name=template]", "CALL")
    page.click("#add-contacts")
    assert _members(page) == ["C002", "C003", "C005"]
    # a filter of the log, pasted as its link: Bob's entries (José's meeting, Nina's email)
    page.fill("#segment-from-log input[name=log]", f"{seg_site.base}/log?user=bob%40contoso.com")
    page.click("#add-from-log")
    _flash(page, "ok", "Contacts added: 0 (in it already: 2). Contacts in the segment: 3")
    screenshot(page, "segments")
    page.fill("#segment-from-log input[name=log]", "/log?template=NOPE")
    page.click("#add-from-log")
    _flash(page, "error", "template: no interaction template 'NOPE'")
    assert _members(page) == ["C002", "C003", "C005"]

    page.select_option("#segment-log select[name=template]", "EMAIL")
    page.fill("#segment-log input[name=subject]", "Spring offer")
    page.click("#log-segment")
    _flash(page, "ok", "Segment logged: SPRING, 3 entries")
    expect(page.locator("#segment-criteria")).to_have_count(0)
    expect(page.locator("#delete-segment")).to_have_count(0)  # logged, not canceled
    assert _segment_entries(seg_site.engine) == [
        ("C002", False, "SPRING", True), ("C003", False, "SPRING", True),
        ("C005", False, "SPRING", True)]
    page.click("#cancel-segment")
    _flash(page, "ok", "Entries canceled: 3")
    with Session(seg_site.engine) as session, session.begin():
        delete_canceled(session, EntryFilter(contact_id=_contact_id(session, "C005")),
                        actor="test")
    page.click("#restore-segment")
    _flash(page, "ok", "Entries restored: 2 (no longer in the log: 1)")
    expect(page.locator("#segments tr[data-no=SPRING] td").nth(5)).to_have_text("2")
    page.click("#cancel-segment")
    page.click("#delete-segment")
    _flash(page, "ok", "Segment deleted: SPRING (its entries stay in the log, canceled: 2)")
    expect(page.locator("#segments")).to_contain_text("No segments yet.")
    assert _segment_entries(seg_site.engine) == [
        ("C002", True, "SPRING", False), ("C003", True, "SPRING", False)]
    with Session(seg_site.engine) as session:
        actions = list(session.scalars(sa.select(AuditEvent.action).where(
            AuditEvent.action.like("segment%")).order_by(AuditEvent.id)))
    assert actions == ["segment_create", "segment_add", "segment_add", "segment_reduce",
                       "segment_add", "segment_add", "segment_delete"]


def _contact_id(session: Session, no: str) -> int:
    return session.scalars(sa.select(Contact.id).where(Contact.no == no)).one()


def test_the_page_in_spanish(seg_site: Site, page_es: Page) -> None:
    page_es.goto(f"{seg_site.base}/segments")
    expect(page_es.locator("h1")).to_have_text("Segmentos")
    expect(page_es.locator("#segments")).to_contain_text("Aún no hay segmentos.")
    page_es.fill("#segment-create input[name=no]", "OTONO")
    page_es.click("#segment-create button")
    _flash(page_es, "ok", "Segmento creado: OTONO")
    page_es.goto(f"{seg_site.base}/segments?no=OTONO")
    page_es.fill("#segment-criteria input[name=domain]", "northwind.example")
    page_es.click("#add-contacts")
    _flash(page_es, "ok", "Contactos agregados: 2. Contactos en el segmento: 2")
    expect(page_es.locator("#add-contacts")).to_have_text("Agregar contactos")
    expect(page_es.locator("#segment-contacts")).to_contain_text("empresa")


def test_users_build_and_log_admins_delete(clean_engine: Engine) -> None:
    """Sign-in configured: Bob (not an admin) creates, fills and logs a segment; Alice may
    not cancel his logged segment; only an admin may delete one."""
    seed(clean_engine, WEB)
    settings = settings_for(url_of(clean_engine), anonymous=False, client_id="web-app-id")
    app = make_app(settings, clean_engine)

    def client_of(upn: str):  # type: ignore[no-untyped-def]
        client = app.test_client()
        with client.session_transaction() as session:
            session.update(signed_in(upn))
        token = csrf_token(client.get("/segments").text)
        return client, token

    bob, bob_token = client_of("bob@contoso.com")
    for path, form in (("/segments/create", {"no": "B1"}),
                       ("/segments/contacts", {"no": "B1", "company": "C004"})):
        assert bob.post(path, data={**form, "csrf_token": bob_token}).status_code == 302
    page = bob.get("/segments", query_string={"no": "b1", "log": "/log?user=bob@contoso.com"})
    assert 'value="/log?user=bob@contoso.com"' in page.text  # a log link handed over
    assert bob.post("/segments/log", data={"no": "B1", "template": "CALL",
                                           "csrf_token": bob_token}).status_code == 302
    page = bob.get("/segments?no=B1")
    assert 'id="segment-log"' not in page.text
    assert 'id="logged-status"' in page.text
    assert bob.get("/segments?no=NOPE").status_code == 404
    assert bob.get("/segments?no=B1%00").status_code == 400
    alice, alice_token = client_of("alice@contoso.com")
    alice.post("/segments/cancel", data={"no": "B1", "csrf_token": alice_token})
    assert "Only the user who logged the segment" in alice.get("/segments?no=B1").text
    assert bob.post("/segments/cancel", data={"no": "B1", "csrf_token": bob_token}
                    ).status_code == 302
    assert bob.post("/segments/delete", data={"no": "B1", "csrf_token": bob_token}
                    ).status_code == 403
    assert bob.post("/segments/create", data={"no": "B2"}).status_code == 400  # no CSRF token
    with Session(clean_engine) as session:
        logged = session.scalars(sa.select(LoggedSegment)).one()
        assert (logged.segment_no, logged.user_upn, logged.canceled) == (
            "B1", "bob@contoso.com", True)
        assert session.get(Segment, "B2") is None
    carol, carol_token = client_of("carol@contoso.com")
    assert carol.post("/segments/delete", data={"no": "B1", "csrf_token": carol_token}
                      ).status_code == 302
    with Session(clean_engine) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(LoggedSegment)) == 0
