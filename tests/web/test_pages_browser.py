"""The pages in a real browser: filter, cancel, restore, delete canceled, upload, Spanish."""

from __future__ import annotations

from pathlib import Path

import httpx
import sqlalchemy as sa
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from storage.models import AuditEvent, Contact, InteractionTemplate
from tests.support.web import Site, screenshot


def _rows(page: Page) -> list[str]:
    return [r.get_attribute("id") or "" for r in page.locator("table.entries tbody tr").all()]


def test_the_log_filters_by_template_and_dates_with_totals(site: Site, page: Page) -> None:
    page.goto(f"{site.base}/")
    expect(page.locator("h1")).to_have_text("Interaction log")
    assert len(_rows(page)) == 6
    screenshot(page, "log")
    page.select_option("select[name=template]", "CALL")
    page.fill("input[name=since]", "2025-01-01")
    page.fill("input[name=until]", "2025-02-28")
    page.click("#apply-filters")
    expect(page.locator("#total-count")).to_have_text("1")
    assert _rows(page) == ["entry-2"]
    expect(page.locator("#total-duration")).to_have_text("15.00")
    page.select_option("select[name=user]", "bob@contoso.com")
    page.fill("input[name=until]", "")
    page.select_option("select[name=template]", "")
    page.click("#apply-filters")
    assert _rows(page) == ["entry-4", "entry-3"]  # newest first


def test_a_bad_filter_value_is_shown_not_guessed(site: Site, page: Page) -> None:
    response = page.goto(f"{site.base}/log?since=2025-13-01")
    assert response is not None
    assert response.status == 400
    expect(page.locator("#filter-error")).to_contain_text("since")
    expect(page.locator("table.entries")).to_have_count(0)


def test_cancel_and_restore_one_row_updates_the_totals(site: Site, page: Page) -> None:
    page.goto(f"{site.base}/log?contact=C005")
    expect(page.locator("#total-count")).to_have_text("2")
    page.locator("#entry-5 button.cancel").click()
    expect(page.locator(".flash.ok")).to_contain_text("#5")
    expect(page.locator("#entry-5 td.status")).to_have_text("Canceled")
    expect(page.locator("#total-count")).to_have_text("1")  # canceled left out
    assert site.canceled() == [5]
    page.locator("#entry-5 button.restore").click()
    expect(page.locator("#entry-5 td.status")).to_have_text("Active")
    expect(page.locator("#total-count")).to_have_text("2")
    assert site.canceled() == []


def test_cancel_a_selection_then_delete_canceled_after_a_count(site: Site, page: Page) -> None:
    page.goto(f"{site.base}/log")
    for n in (1, 3, 4):
        page.check(f"#entry-{n} input.pick")
    page.click("#cancel-selected")
    expect(page.locator(".flash.ok")).to_contain_text("#1, #3, #4")
    assert site.canceled() == [1, 3, 4]
    page.goto(f"{site.base}/log?user=bob%40contoso.com")  # bob's canceled: 3 and 4
    page.click("#delete-canceled")
    expect(page.locator("#delete-count b")).to_have_text("2")
    screenshot(page, "delete-canceled")
    assert site.canceled() == [1, 3, 4]  # nothing deleted before the confirmation
    page.click("#confirm-delete")
    expect(page.locator(".flash.ok")).to_contain_text("2")
    assert site.entry_nos() == [1, 2, 5, 6]
    assert site.canceled() == [1]
    with Session(site.engine) as session:
        deleted = session.scalars(sa.select(AuditEvent.entry_no).where(
            AuditEvent.action == "delete", AuditEvent.actor == "web:anonymous@localhost"))
        assert sorted(deleted) == [3, 4]


BROKEN_TOML = """[[group]]
code = "DOCS"
description = "Documents"

[[template]]
code = "INVOICE"
group = "NOGROUP"
colour = "red"

[[rule]]
template = "INVOICE"
subject = "(unclosed"
"""

GOOD_TOML = """[[template]]
code = "INVOICE"
group = "DOCS"
description = "Invoice sent"
information_flow = "outbound"
initiated_by = "us"
unit_cost = 1.5
unit_duration_min = 0

[[rule]]
template = "INVOICE"
priority = 5
kind = "email"
subject = "(?i)invoice\\\\s+(?P<document_no>SI-\\\\d+)"
document_type = "sales_invoice"
"""


def test_upload_a_broken_then_a_good_templates_file(
    site: Site, page: Page, tmp_path: Path
) -> None:
    broken, good = tmp_path / "broken.toml", tmp_path / "good.toml"
    broken.write_text(BROKEN_TOML)
    good.write_text(GOOD_TOML)
    page.goto(f"{site.base}/templates")
    page.set_input_files("#upload-file", str(broken))
    page.click("#upload-button")
    errors = page.locator("#upload-errors li")
    expect(errors.first).to_be_visible()
    texts = errors.all_inner_texts()
    assert any(t.startswith("line 7:") and "NOGROUP" in t for t in texts), texts
    assert any(t.startswith("line 8:") and "colour" in t for t in texts), texts
    assert any(t.startswith("line 12:") for t in texts), texts
    screenshot(page, "templates-upload-errors")
    with Session(site.engine) as session:
        assert session.get(InteractionTemplate, "INVOICE") is None  # nothing applied
    page.set_input_files("#upload-file", str(good))
    page.click("#upload-button")
    expect(page.locator(".flash.ok")).to_be_visible()
    expect(page.locator("#templates")).to_contain_text("INVOICE")
    expect(page.locator("#rules")).to_contain_text("sales_invoice")
    screenshot(page, "templates")


def test_a_spanish_browser_gets_spanish_pages_and_numbers(site: Site, page_es: Page) -> None:
    page_es.goto(f"{site.base}/log?template=QUOTE")
    expect(page_es.locator("h1")).to_have_text("Registro de interacciones")
    expect(page_es.locator("#apply-filters")).to_have_text("Filtrar")
    expect(page_es.locator("#total-cost")).to_have_text("2,50")
    page_es.goto(f"{site.base}/log")
    screenshot(page_es, "log-es")
    page_es.goto(f"{site.base}/sync")
    expect(page_es.locator("h2").first).to_have_text("Ejecuciones de sincronización")


def test_the_contact_page_shows_its_statistics(site: Site, page: Page) -> None:
    page.goto(f"{site.base}/log")
    page.locator("#entry-5 a[href^='/contacts/']").click()  # the contact, not the entry
    expect(page.locator("h1")).to_contain_text("Nina North")
    expect(page.locator("#total-count")).to_have_text("2")
    expect(page.locator("#total-duration")).to_have_text("10.00")
    expect(page.locator("#by-group")).to_contain_text("CALLS")
    screenshot(page, "contact")


def test_the_sync_page_shows_runs_and_creates_a_contact_from_an_address(
    site: Site, page: Page
) -> None:
    page.goto(f"{site.base}/sync")
    expect(page.locator("table.streams")).to_contain_text("403 Forbidden: ErrorAccessDenied")
    expect(page.locator("table.streams")).to_contain_text("alice@contoso.com")
    expect(page.locator(".status-abandoned")).to_have_text("abandoned")  # killed, not running
    expect(page.locator("#leases")).to_contain_text("worker-1@host")
    expect(page.locator("#leases")).to_contain_text("429 Too Many Requests")
    screenshot(page, "sync")
    row = page.locator("#unmatched tr", has_text="sam@contoso-partner.example")
    row.locator("input[name=no]").fill("C100")
    row.locator("button").click()
    expect(page.locator(".flash.ok")).to_contain_text("C100")
    expect(page.locator("#no-unmatched")).to_be_visible()
    with Session(site.engine) as session:
        contact = session.scalar(sa.select(Contact).where(Contact.no == "C100"))
        assert contact is not None
        assert contact.name == "Sam Partner"
        assert [e.address for e in contact.emails] == ["sam@contoso-partner.example"]


def test_csv_export_is_the_current_view(site: Site, page: Page) -> None:
    page.goto(f"{site.base}/log?source=email")
    href = page.get_attribute("#export-csv", "href")
    assert href is not None
    text = httpx.get(f"{site.base}{href}").text
    lines = text.strip().splitlines()
    assert lines[0].startswith("entry_no,contact_no,")
    assert [line.split(",")[0] for line in lines[1:]] == ["1", "4"]
