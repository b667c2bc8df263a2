"""Spanish pages in the real browser: es-MX (and plain `es`) read as Mexican Spanish with
Mexico's formats (`1,234.50`), es-ES gets the same words with Spain's (`1.234,50`), from the
one catalog (storage/i18n) and CLDR (issue 13 item 8)."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from storage.models import InteractionLogEntry
from tests.support.web import Site, screenshot

SPAIN_WORDS = ("Coste", "Añadir", "Ordenador", "Vale", "vosotros", "N.º")


@pytest.fixture
def big_cost(site: Site) -> Site:
    """Entry 5 costs 1234.5, so the group separator shows."""
    with site.engine.begin() as connection:
        connection.execute(sa.update(InteractionLogEntry).where(
            InteractionLogEntry.entry_no == 5).values(cost=Decimal("1234.5")))
    return site


def test_a_mexican_browser_reads_mexican_words_and_formats(big_cost: Site, page_mx: Page) -> None:
    page_mx.goto(f"{big_cost.base}/entries/5")
    fields = page_mx.locator("#fields")
    expect(fields).to_contain_text("Costo")
    expect(fields).to_contain_text("1,234.50")
    page_mx.goto(f"{big_cost.base}/log")
    expect(page_mx.locator("h1")).to_have_text("Registro de interacciones")
    expect(page_mx.locator("body")).to_contain_text("Costo")
    expect(page_mx.locator("#entry-5")).to_contain_text("1,234.50")
    body = page_mx.locator("body").inner_text()
    assert not [word for word in SPAIN_WORDS if word in body]
    assert "1.234,50" not in body
    screenshot(page_mx, "log-es-mx")
    for path in ("/entries/5", "/contacts/C005", "/templates", "/sync", "/stats", "/segments",
                 "/audit"):
        page_mx.goto(f"{big_cost.base}{path}")
        screenshot(page_mx, "es-mx-" + path.strip("/").replace("/", "-"))
        body = page_mx.locator("body").inner_text()
        assert not [word for word in SPAIN_WORDS if word in body], path


def test_values_are_translated(big_cost: Site, page_mx: Page) -> None:
    page_mx.goto(f"{big_cost.base}/entries/5")
    with big_cost.engine.connect() as connection:
        source, flow, by = connection.execute(sa.select(
            InteractionLogEntry.source, InteractionLogEntry.information_flow,
            InteractionLogEntry.initiated_by).where(InteractionLogEntry.entry_no == 5)).one()
    assert (flow, by) != ("", "")
    spanish = {"email": "correo", "meeting": "reunión", "call": "llamada", "manual": "manual",
               "bot": "bot", "inbound": "entrante", "outbound": "saliente", "us": "nosotros",
               "them": "el contacto", "": "ninguna", None: "ninguna"}
    expect(page_mx.locator("#fields tr", has_text="Origen").locator("td")).to_have_text(
        spanish[source])
    expect(page_mx.locator("#fields tr", has_text="Flujo de información").locator("td")
           ).to_have_text(f"{spanish[flow]} · {spanish[by]}")
    expect(page_mx.locator("#attempt-failed")).to_have_text("no")


def test_a_spanish_browser_in_spain_gets_the_same_words_with_spains_formats(
    big_cost: Site, page_es: Page
) -> None:
    page_es.goto(f"{big_cost.base}/entries/5")
    fields = page_es.locator("#fields")
    expect(fields).to_contain_text("Costo")
    expect(fields).to_contain_text("1.234,50")
    page_es.goto(f"{big_cost.base}/log")
    expect(page_es.locator("#entry-5")).to_contain_text("1.234,50")
    screenshot(page_es, "log-es-es")


def test_a_refusal_reads_in_the_browsers_language(site: Site, page_mx: Page,
                                                   page: Page) -> None:
    page_mx.goto(f"{site.base}/log?contact=Nadie")
    expect(page_mx.locator("body")).to_contain_text("ningún contacto coincide con 'Nadie'")
    page.goto(f"{site.base}/log?contact=Nobody")  # English right after, on the same server
    expect(page.locator("body")).to_contain_text("no contact matches 'Nobody'")
