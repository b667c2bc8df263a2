"""Fixtures of the browser tests (imported by tests/web modules, which have no conftest.py).

A real Chromium (Debian's, through Playwright) against a live app on a seeded SQLite file.
tests/web has no conftest.py: a second top-level `conftest` module would replace
tests/conftest.py in `sys.modules` for every test that imports from it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.api.support import Site, seeded_server

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
def site(tmp_path: Path) -> Iterator[Site]:
    """A fresh seeded database behind a live server in development mode (acting as admin)."""
    with seeded_server(f"sqlite:///{tmp_path / 'web.db'}") as (base, engine):
        yield Site(base=base, engine=engine)


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
