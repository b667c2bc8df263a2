"""The statistics page in a real browser, on SQLite and PostgreSQL: its charts drawn on the
server as SVG (the bars, their labels, the legend), the table by each key, the log's
filters, and the page in Spanish."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine

from tests.support.databases import url_of
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

# The seeded six entries (tests/support/web.py), by the Monday of their week and group:
# 2025-01-06 EMAIL and CALLS (Jane), 2025-02-03 MEETINGS (José), 2025-02-17 EMAIL (Nina),
# 2025-02-24 CALLS (Nina), 2025-03-03 DOCS (Fabrikam's own quote).
WEEK_BARS = ["2025-01-06 · CALLS: 1", "2025-01-06 · EMAIL: 1", "2025-02-03 · MEETINGS: 1",
             "2025-02-17 · EMAIL: 1", "2025-02-24 · CALLS: 1", "2025-03-03 · DOCS: 1"]


@pytest.fixture
def stats_site(clean_engine: Engine) -> Iterator[Site]:
    """The seeded history behind a live server, on each back-end."""
    with seeded_server(clean_engine) as base:
        yield Site(base=base, engine=clean_engine)


def _texts(page: Page, selector: str) -> list[str]:
    return [t.strip() for t in page.locator(selector).all_text_contents()]


def _cells(page: Page, column: int) -> list[str]:
    return _texts(page, f"#stats-table tbody td:nth-child({column})")


def test_the_charts_and_the_table(stats_site: Site, page: Page) -> None:
    csp: list[str] = []
    page.on("console", lambda m: csp.append(m.text) if "Content Security" in m.text else None)
    page.goto(f"{stats_site.base}/log")
    page.click("#nav-stats")
    expect(page.locator("h1")).to_have_text("Statistics")
    assert _texts(page, "#weekly svg rect.bar title") == WEEK_BARS
    assert _texts(page, "#weekly .legend li") == ["CALLS", "DOCS", "EMAIL", "MEETINGS"]
    # Nine weeks from 6 January to 3 March, every one labelled; the y axis up to 4.
    assert page.locator("#weekly text.week").count() == 9
    assert _texts(page, "#weekly text.tick:not(.week)") == ["0", "1", "2", "3", "4"]
    # A week's segments stack: the two of 6 January share an x, one above the other.
    first = page.locator("#weekly rect.bar").nth(0)
    second = page.locator("#weekly rect.bar").nth(1)
    assert first.get_attribute("x") == second.get_attribute("x")
    assert float(second.get_attribute("y") or 0) < float(first.get_attribute("y") or 0)
    assert _texts(page, "#salespeople text.label") == ["AL", "BO", "CA"]
    assert _texts(page, "#salespeople text.value") == ["3", "2", "1"]
    assert _texts(page, "#top-contacts text.label") == [
        "Jane Doe", "Nina North", "Fabrikam Inc", "José Pérez"]
    widths = [float(w or 0) for w in page.locator("#top-contacts rect.bar").evaluate_all(
        "bars => bars.map(b => b.getAttribute('width'))")]
    assert widths[0] == widths[1] == 2 * widths[2]  # proportional to the counts 2, 2, 1
    assert _cells(page, 1) == ["CALL", "EMAIL", "MEETING", "QUOTE"]
    assert _cells(page, 3) == ["2", "2", "1", "1"]
    expect(page.locator("select[name=status]")).to_have_count(0)  # canceled never count
    assert csp == []
    screenshot(page, "stats")


def test_the_log_filters_and_the_table_by_company(stats_site: Site, page: Page) -> None:
    page.goto(f"{stats_site.base}/stats")
    page.locator("#by-links a", has_text="Company").click()
    assert _cells(page, 1) == ["C001", "C004"]
    assert _cells(page, 2) == ["Fabrikam Inc", "Northwind"]
    assert _cells(page, 3) == ["4", "2"]  # its own quote and its persons' entries
    page.select_option("select[name=salesperson]", "AL")
    page.click("#apply-filters")
    assert "by=company" in page.url  # the table's key survives a filter
    assert _texts(page, "#weekly svg rect.bar title") == [
        "2025-01-06 · CALLS: 1", "2025-01-06 · EMAIL: 1", "2025-03-03 · DOCS: 1"]
    assert _texts(page, "#salespeople text.label") == ["AL"]
    assert _cells(page, 3) == ["3"]
    page.locator("#stats-table td.key a").click()  # the company's entries in the log
    expect(page.locator("h1")).to_have_text("Interaction log")
    expect(page.locator("#total-count")).to_have_text("3")


def test_a_month_row_opens_that_month_of_the_log(stats_site: Site, page: Page) -> None:
    page.goto(f"{stats_site.base}/stats?by=month&since=2025-01-11")
    assert _cells(page, 1) == ["2025-01", "2025-02", "2025-03"]
    assert _cells(page, 2) == ["1", "2", "2"]
    page.locator("#stats-table td.key a", has_text="2025-01").click()
    expect(page.locator("input[name=since]")).to_have_value("2025-01-11")
    expect(page.locator("input[name=until]")).to_have_value("2025-01-31")
    expect(page.locator("#total-count")).to_have_text("1")


def test_a_bad_filter_or_key_is_shown(stats_site: Site, page: Page) -> None:
    for query, field in (("since=2025-13-01", "since"), ("by=week", "by")):
        response = page.goto(f"{stats_site.base}/stats?{query}")
        assert response is not None
        assert response.status == 400
        expect(page.locator("#filter-error")).to_contain_text(field)
        expect(page.locator("svg")).to_have_count(0)


def test_nothing_to_count(stats_site: Site, page: Page) -> None:
    page.goto(f"{stats_site.base}/stats?status=canceled")  # canceled entries never count
    expect(page.locator("#no-entries")).to_be_visible()
    expect(page.locator("svg")).to_have_count(0)


def test_whoever_may_read_the_log_may_read_the_statistics(clean_engine: Engine) -> None:
    """Sign-in configured: a stranger is sent to sign in; any user, admin or not, reads."""
    seed(clean_engine, WEB)
    settings = settings_for(url_of(clean_engine), anonymous=False, client_id="web-app-id")
    client = make_app(settings, clean_engine).test_client()
    stranger = client.get("/stats?by=company")
    assert stranger.status_code == 302
    assert stranger.headers["Location"].startswith("/auth/login?next=/stats")
    with client.session_transaction() as session:
        session.update(signed_in("bob@contoso.com"))  # not an admin
    page = client.get("/stats?by=company")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.text.count('<rect class="bar') == 6 + 3 + 4  # weeks, salespeople, contacts


def test_a_long_table_shows_the_rows_with_the_most_entries(
        stats_site: Site, page: Page, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("web.stats_page.TABLE_MAX", 3)  # the live server runs in-process
    page.goto(f"{stats_site.base}/stats?by=contact")
    assert _cells(page, 1) == ["C002", "C005", "C001"]  # 2, 2, then the first of two with 1
    expect(page.locator("#table-cut")).to_contain_text("3 rows with the most entries of 4")
    page.goto(f"{stats_site.base}/stats?by=salesperson")
    assert _cells(page, 1) == ["AL", "BO", "CA"]  # three rows: all of them, in key order
    expect(page.locator("#table-cut")).to_have_count(0)


def test_the_page_in_spanish(stats_site: Site, page_es: Page) -> None:
    page = page_es
    page.goto(f"{stats_site.base}/stats?by=month")
    expect(page.locator("#nav-stats")).to_have_text("Estadísticas")
    expect(page.locator("h1")).to_have_text("Estadísticas")
    expect(page.locator("#weekly figcaption")).to_have_text("Interacciones por semana y grupo")
    expect(page.locator("#salespeople figcaption")).to_have_text("Interacciones por vendedor")
    assert page.locator("#weekly svg rect.bar").count() == 6
    assert _texts(page, "#top-contacts text.label")[:2] == ["Jane Doe", "Nina North"]
    assert _texts(page, "#stats-table th") == [
        "Mes", "Interacciones", "Costo", "Duración (min)", "Última interacción",
        "Último intento"]
    assert _cells(page, 1) == ["2025-01", "2025-02", "2025-03"]
    assert _cells(page, 3)[2] == "2,50"  # the quote's cost, Spanish decimals
    screenshot(page, "stats-es")


def test_the_rankings_of_a_year_are_those_of_every_entry(clean_engine: Engine) -> None:
    """The charts of a whole year (its contacts from the year's rows, one a contact; its
    salespeople from the year's rows per salesperson and template), of months and days cut
    from it, and of no dates at all show the same bars: the seeded entries are all of 2025."""
    seed(clean_engine, WEB)
    client = make_app(settings_for(url_of(clean_engine)), clean_engine).test_client()

    def bars(query: str) -> dict[str, list[str]]:
        text = client.get(f"/stats?{query}").text
        return {chart: re.findall(r"<title>([^<]*)</title>", text.split(f'id="{chart}"')[1]
                                  .split("</figure>")[0])
                for chart in ("salespeople", "top-contacts")}

    every = bars("")
    assert len(every["top-contacts"]) == 4
    assert every["top-contacts"][0].endswith(": 2")
    for query in ("since=2025-01-01&until=2025-12-31", "since=2025-01-02&until=2025-12-31",
                  "since=2024-12-31&until=2026-01-01", "since=2024-01-01"):
        assert bars(query) == every, query
