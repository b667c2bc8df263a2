"""Browser fixtures: a real Chromium (Debian's, through Playwright) against a live app on
the seeded SQLite file."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy.engine import Engine

from tests.support.web import Site, seeded_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Module-scoped: Playwright's sync API keeps an event loop running in this thread until it
    stops, and `asyncio.run` in any later test (the emulator's, the SDK's) would fail."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def site(clean_sqlite_engine: Engine) -> Iterator[Site]:
    """The seeded database behind a live server in development mode (acting as admin)."""
    with seeded_server(clean_sqlite_engine) as base:
        yield Site(base=base, engine=clean_sqlite_engine)


def _page(browser: Browser, locale: str) -> Iterator[Page]:
    context = browser.new_context(locale=locale, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    yield from _page(browser, "en-US")


@pytest.fixture
def page_es(browser: Browser) -> Iterator[Page]:
    yield from _page(browser, "es-ES")


@pytest.fixture(params=["es-MX", "es"])
def page_mx(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A Mexican browser, by its full locale and by the bare language (Mexico's formats)."""
    yield from _page(browser, request.param)
