"""Fuzz the log window's new inputs with Hypothesis through waitress (development mode), on
SQLite and PostgreSQL: the audit page's filters and keyset, the columns form (its cookie) and
re-create's date. Never a 5xx, never a traceback; reading writes nothing."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from tests.support.databases import BACKENDS, emptied
from tests.support.fuzz import FUZZ, assert_handled, query_string, text
from tests.support.plugin import engine_for
from tests.support.web import Api, csrf_token, waitress_api

pytestmark = pytest.mark.timeout(120)

numbers = st.integers(min_value=-5, max_value=2**64).map(str)


@pytest.fixture(scope="module", params=BACKENDS)
def site(request: pytest.FixtureRequest) -> Iterator[Api]:
    with emptied(engine_for(request, request.param)) as engine, waitress_api(engine) as api:
        yield api


@pytest.fixture(scope="module")
def browser(site: Api) -> Iterator[tuple[httpx.Client, str]]:
    """A browser session on the site and its CSRF token."""
    with httpx.Client(base_url=site.base, timeout=30) as client:
        found = csrf_token(client.get("/log").text)
        yield client, found


@FUZZ
@given(params=st.dictionaries(st.sampled_from(("entry", "actor", "action", "before")) | text,
                              text | numbers, max_size=4))
def test_audit_filters(site: Api, params: dict[str, str]) -> None:
    before = site.counts()
    answer = site.client.get(f"/audit?{query_string(params)}")
    assert_handled(answer, 200, 400)
    event(f"audit {answer.status_code}")
    assert site.counts() == before


@FUZZ
@given(columns=st.lists(st.sampled_from(("flow", "group", "evaluation")) | text, max_size=4),
       cookie=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x2FFF,
                                    exclude_categories=("Cs", "Zs", "Cc")), max_size=40))
def test_columns_form_and_cookie(site: Api, browser: tuple[httpx.Client, str],
                                 columns: list[str], cookie: str) -> None:
    client, token = browser
    body = "&".join([query_string({"csrf_token": token, "next": "/log"}),
                     *(query_string({"column": c}) for c in columns)])
    answer = client.post("/log/columns", content=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_handled(answer, 302)
    kept = answer.cookies.get("interlog_log_columns") or ""
    assert set(kept.split(".")) <= {"flow", "group", "evaluation", "-"}
    page = site.client.get("/log", headers={"Cookie": f"interlog_log_columns={cookie}".encode(
        "utf-8", "surrogatepass")})
    assert_handled(page, 200, 400)


@FUZZ
@given(day=text | st.dates().map(str), entry=st.sampled_from(("1", "6", "999999")))
def test_recreate_date(site: Api, browser: tuple[httpx.Client, str], day: str,
                       entry: str) -> None:
    client, token = browser
    before = site.counts()
    answer = client.post(f"/entries/{entry}/recreate", content=query_string(
        {"csrf_token": token, "date": day}),
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_handled(answer, 302)
    if not answer.headers["Location"].endswith(f"/entries/{before[0] + 1}"):
        assert site.counts() == before  # refused: nothing written
