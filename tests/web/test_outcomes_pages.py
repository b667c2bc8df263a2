"""Outcomes and companies on the pages, on SQLite and PostgreSQL: evaluate and add a note in
the browser, a failed attempt and a cancel reason shown apart from a real interaction, the
evaluation filter, a company's page with its persons; who may evaluate (in-process)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from storage.contacts import resolve_contact
from storage.entries import Interaction, cancel_entries, log_interaction
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


@pytest.fixture
def site(clean_engine: Engine) -> Iterator[Site]:
    """The seeded database (six entries) behind a live server in development mode (admin)."""
    with seeded_server(clean_engine) as base:
        yield Site(base=base, engine=clean_engine)


def _rows(page: Page) -> list[str]:
    return [r.get_attribute("id") or "" for r in page.locator("table.entries tbody tr").all()]


def test_evaluate_and_add_notes_on_the_entry_page(site: Site, page: Page) -> None:
    page.goto(f"{site.base}/log?contact=C002")
    page.locator("#entry-2 a.entry-link").click()
    expect(page.locator("h1")).to_contain_text("Entry #2")
    expect(page.locator("#evaluation")).to_have_text("Not evaluated")
    expect(page.locator("#no-note")).to_be_visible()
    page.select_option("#evaluation-choice", "positive")
    page.click("#evaluate")
    expect(page.locator(".flash.ok")).to_have_text("Evaluation saved.")
    expect(page.locator("#evaluation")).to_have_text("Positive")
    for line in ("Asked for a quote", "Quote to follow on Friday"):
        page.fill("#note-text", line)
        page.click("#add-note")
        expect(page.locator(".flash.ok")).to_have_text("Note added.")
    expect(page.locator("#note-lines li")).to_have_text(["Asked for a quote",
                                                         "Quote to follow on Friday"])
    expect(page.locator("#trail td:nth-child(3)")).to_have_text(["log", "evaluate", "note",
                                                                 "note"])
    screenshot(page, "entry-outcome")
    entry = site.entry(2)
    assert entry is not None
    assert (entry.evaluation, entry.note) == ("positive",
                                              "Asked for a quote\nQuote to follow on Friday")
    page.goto(f"{site.base}/log?evaluation=positive")
    assert _rows(page) == ["entry-2"]
    expect(page.locator("#entry-2 td.evaluation")).to_have_text("Positive")
    expect(page.locator("#entry-2 .note-line")).to_have_text("Note: Asked for a quote (+1)")
    expect(page.locator("select[name=evaluation]")).to_have_value("positive")


def test_a_failed_attempt_and_a_cancel_reason_do_not_look_like_real_calls(site: Site,
                                                                          page: Page) -> None:
    with Session(site.engine) as session, session.begin():
        nina = resolve_contact(session, "C005")
        failed = log_interaction(session, nina, Interaction(
            template_code="CALL", attempt_failed=True, subject="No answer"), actor="test")
        cancel_entries(session, [5], actor="test", reason="logged twice")
        n = failed.entry_no
    page.goto(f"{site.base}/log?contact=C005")
    row, real = page.locator(f"#entry-{n}"), page.locator("#entry-4")
    expect(row).to_have_class("attempt-failed")
    expect(row.locator(".badge.failed")).to_have_text("Attempt failed")
    expect(real.locator(".badge")).to_have_count(0)
    assert row.locator("td").nth(6).evaluate("td => getComputedStyle(td).fontStyle") == "italic"
    assert real.locator("td").nth(6).evaluate("td => getComputedStyle(td).fontStyle") == "normal"
    expect(page.locator("#entry-5 .cancel-reason")).to_have_text("logged twice")
    screenshot(page, "log-outcomes")
    page.goto(f"{site.base}/entries/{n}")
    expect(page.locator("#badge-failed")).to_be_visible()
    expect(page.locator("#attempt-failed")).to_have_text("yes")
    page.goto(f"{site.base}/entries/5")
    expect(page.locator("#cancel-reason")).to_have_text("Canceled: logged twice")
    page.select_option("#evaluation-choice", "negative")  # a canceled entry can be evaluated
    page.click("#evaluate")
    expect(page.locator("#evaluation")).to_have_text("Negative")


def test_a_company_page_counts_its_persons(site: Site, page: Page) -> None:
    page.goto(f"{site.base}/contacts/C001")
    expect(page.locator("#with-persons")).to_be_visible()
    expect(page.locator("#total-count")).to_have_text("4")  # its own quote, Jane's 2, José's 1
    expect(page.locator("#total-cost")).to_have_text("2.50")
    expect(page.locator("#contact-entries tbody tr")).to_have_count(4)
    expect(page.locator("#contact-entries tbody tr td:nth-child(3)")).to_have_text(
        ["Fabrikam Inc", "José Pérez", "Jane Doe", "Jane Doe"])  # newest first
    expect(page.locator("#by-group tr")).to_have_count(5)  # header, CALLS, DOCS, EMAIL, MEETINGS
    screenshot(page, "company")
    page.click("#log-link")
    expect(page.locator("#total-count")).to_have_text("4")
    assert _rows(page) == ["entry-6", "entry-3", "entry-2", "entry-1"]
    page.goto(f"{site.base}/contacts/C002")
    expect(page.locator("#total-count")).to_have_text("2")
    expect(page.locator("#with-persons")).to_have_count(0)


def test_the_entry_page_in_mexican_spanish(site: Site, browser: object) -> None:
    context = browser.new_context(locale="es-MX")  # type: ignore[attr-defined]
    page = context.new_page()
    try:
        page.goto(f"{site.base}/entries/1")
        expect(page.locator("#outcome h2")).to_have_text("Resultado")
        expect(page.locator("#evaluation")).to_have_text("Sin evaluar")
        expect(page.locator("#evaluation-choice option")).to_have_text(
            ["Muy positiva", "Positiva", "Neutral", "Negativa", "Muy negativa"])
        page.fill("#note-text", "Llamar el lunes")
        page.click("#add-note")
        expect(page.locator(".flash.ok")).to_have_text("Nota agregada.")
    finally:
        context.close()


@pytest.fixture(scope="module", params=BACKENDS)
def signed_in_app(request: pytest.FixtureRequest) -> Iterator[tuple[Flask, Site]]:
    with emptied(engine_for(request, request.param)) as engine:
        seed(engine, WEB)
        settings = settings_for(url_of(engine), anonymous=False, client_id="web-app-id")
        yield make_app(settings, engine), Site(base="", engine=engine)


def test_a_user_evaluates_and_notes_own_entries_only(signed_in_app: tuple[Flask, Site]) -> None:
    app, site = signed_in_app
    client = app.test_client()
    with client.session_transaction() as session:
        session.update(signed_in("alice@contoso.com", "alice"))
    client.get("/log")
    with client.session_transaction() as session:
        token = str(session["csrf_token"])
    own = client.post("/entries/1/evaluate", data={"evaluation": "neutral",
                                                   "csrf_token": token}, follow_redirects=True)
    assert "Evaluation saved." in own.get_data(as_text=True)
    theirs = client.post("/entries/3/note", data={"note": "hi", "csrf_token": token},
                         follow_redirects=True)
    assert "#3 is not yours" in theirs.get_data(as_text=True)
    assert 'id="not-yours"' in theirs.get_data(as_text=True)  # no forms on bob's entry
    forged = client.post("/entries/1/note", data={"note": "no token"})
    assert forged.status_code == 400
    bad = client.post("/entries/1/evaluate", data={"evaluation": "great", "csrf_token": token},
                      follow_redirects=True)
    assert "evaluation &#39;great&#39;" in bad.get_data(as_text=True)
    assert client.get("/entries/999999").status_code == 404
    one, three = site.entry(1), site.entry(3)
    assert one is not None
    assert three is not None
    assert (one.evaluation, one.note, three.note) == ("neutral", "", "")
