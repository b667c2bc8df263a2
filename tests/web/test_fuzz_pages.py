"""Fuzz the pages' filters and paths with Hypothesis through waitress (development mode), on
SQLite and PostgreSQL: the log, its CSV export, the delete-canceled preview, a contact's page,
and the cancel form. Never a 5xx, never a traceback, nothing written on refusal."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from tests.support.databases import BACKENDS, emptied
from tests.support.fuzz import FUZZ, assert_handled, query_string, quoted, text
from tests.support.plugin import engine_for
from tests.support.web import Api, csrf_token, waitress_api
from web.filters import FILTER_FIELDS

pytestmark = pytest.mark.timeout(120)

PAGES = ("/log", "/log.csv", "/entries/delete-canceled")
filters = st.dictionaries(st.sampled_from((*FILTER_FIELDS, "page")) | text, text, max_size=4)


@pytest.fixture(scope="module", params=BACKENDS)
def site(request: pytest.FixtureRequest) -> Iterator[Api]:
    with emptied(engine_for(request, request.param)) as engine, waitress_api(engine) as api:
        yield api


@pytest.fixture(scope="module")
def browser(site: Api) -> Iterator[tuple[httpx.Client, str]]:
    """A browser session on the site and its CSRF token."""
    with httpx.Client(base_url=site.base, timeout=30) as client:
        found = csrf_token(client.get("/templates").text)
        yield client, found


@FUZZ
@given(page=st.sampled_from(PAGES), params=filters)
def test_filters(site: Api, page: str, params: dict[str, str]) -> None:
    before = site.counts()
    answer = site.client.get(f"{page}?{query_string(params)}")
    assert_handled(answer, 200, 400)
    event(f"{page} {answer.status_code}")
    assert site.counts() == before  # reading and previewing write nothing


@FUZZ
@given(no=text)
def test_contact_pages(site: Api, no: str) -> None:
    answer = site.client.get(f"/contacts/{quoted(no)}")
    assert_handled(answer, 200, 308, 404)  # 308: werkzeug merges '//' and drops a last '/'


@FUZZ
@given(form=st.dictionaries(st.sampled_from(("one", "entry_no", "next")) | text, text,
                            max_size=3))
def test_cancel_form(site: Api, browser: tuple[httpx.Client, str],
                     form: dict[str, str]) -> None:
    client, token = browser
    before = site.counts()
    body = query_string({**form, "csrf_token": token})
    answer = client.post("/entries/cancel", content=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_handled(answer, 302, 400, 404)
    event(f"cancel {answer.status_code}")
    if answer.status_code != 302:
        assert site.counts() == before
