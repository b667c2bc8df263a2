"""Issue 12, item 7, through the real server (waitress on a free loopback port), on SQLite and
PostgreSQL: values no column may hold are refused with a 4xx naming the field, never a 500,
and nothing is written.

- `/api/v1/interactions`: NaN durations, date offsets that overflow, NUL
  characters and lone surrogates in strings;
- the filters of the API and of the log page: NUL characters, `until=9999-12-31`
  (accepted: no end), a 60,000-character name;
- `/api/graph/notifications` (unauthenticated): NUL and lone surrogates in ids and states;
- "create contact" from the Sync page's unmatched list: NUL in the number or the name;
- a contact's page for a number with NUL: 404 (a 500 on PostgreSQL before).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from interlog.wsgi import running
from storage.api_models import create_api_key
from storage.models import Contact
from tests.support.databases import BACKENDS, emptied, url_of
from tests.support.plugin import engine_for
from tests.support.seed import seed
from tests.support.web import WEB, Api, csrf_token, make_app, settings_for

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module", params=BACKENDS)
def api(request: pytest.FixtureRequest) -> Iterator[Api]:
    """One waitress server per back-end for the module, in development mode, with a key."""
    with emptied(engine_for(request, request.param)) as engine:
        seed(engine, WEB)
        with Session(engine) as session, session.begin():
            key = create_api_key(session, "erp").key
        app = make_app(settings_for(url_of(engine)), engine)
        with running(app, threads=4) as base, httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=30) as client:
            yield Api(base=base, engine=engine, key=key, client=client)


def post_raw(api: Api, body: str) -> httpx.Response:
    """A JSON body as written (NaN, Infinity and \\u escapes reach the server as they are)."""
    return api.client.post("/api/v1/interactions", content=body.encode("ascii"),
                           headers={"Content-Type": "application/json"})


def refused(response: httpx.Response, field: str) -> None:
    assert response.status_code == 400, (response.status_code, response.text[:300])
    problem = response.json()
    assert problem["field"] == field, problem
    assert field in problem["error"], problem


def test_nan_durations_are_refused(api: Api) -> None:
    before = api.counts()
    response = post_raw(api, '{"contact": "C002", "template": "CALL", "duration_min": NaN}')
    refused(response, "duration_min")
    assert api.counts() == before


@pytest.mark.parametrize("when", ["0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00-05:00",
                                  "9999-12-31"])
def test_dates_out_of_range_are_refused_without_overflow(api: Api, when: str) -> None:
    before = api.counts()
    response = post_raw(api, f'{{"contact": "C002", "template": "CALL", "date": "{when}"}}')
    refused(response, "date")
    assert api.counts() == before


@pytest.mark.parametrize("field", ["subject", "contact", "template", "document_no"])
@pytest.mark.parametrize("bad", ["\\u0000", "\\ud800"])
def test_nul_and_lone_surrogates_are_refused(api: Api, field: str, bad: str) -> None:
    body = {"contact": "C002", "template": "CALL", field: f"x{bad}y"}
    text = "{" + ", ".join(f'"{k}": "{v}"' for k, v in body.items()) + "}"
    before = api.counts()
    refused(post_raw(api, text), field)
    assert api.counts() == before


@pytest.mark.parametrize("path", ["/log", "/api/v1/interactions"])
@pytest.mark.parametrize("query", ["contact=a%00b", "user=a%00b", "document_no=%00",
                                   "template=%00"])
def test_filters_refuse_nul(api: Api, path: str, query: str) -> None:
    response = api.client.get(f"{path}?{query}")
    assert response.status_code == 400, (response.status_code, response.text[:300])
    assert "NUL" in response.text


def test_until_the_last_day_is_no_end(api: Api) -> None:
    response = api.client.get("/api/v1/interactions", params={"until": "9999-12-31"})
    assert response.status_code == 200, response.text[:300]
    page = httpx.get(f"{api.base}/log", params={"until": "9999-12-31"})
    assert page.status_code == 200, page.text[:300]


@pytest.mark.parametrize("path", ["/log", "/api/v1/interactions"])
def test_long_filters_are_refused(api: Api, path: str) -> None:
    response = api.client.get(path, params={"contact": "x" * 60_000})
    assert response.status_code == 400, (response.status_code, response.text[:300])
    assert "longer than" in response.text


@pytest.mark.parametrize("item", ['{"subscriptionId": "a\\u0000b", "clientState": "s"}',
                                  '{"subscriptionId": "a\\ud800b", "clientState": "s"}',
                                  '{"subscriptionId": "sub-1", "clientState": "\\u0000"}',
                                  '{"subscriptionId": "sub-1", "clientState": "\\udfff"}'])
def test_notifications_refuse_nul_and_surrogates(api: Api, item: str) -> None:
    response = httpx.post(f"{api.base}/api/graph/notifications",
                          content=('{"value": [' + item + "]}").encode("ascii"),
                          headers={"Content-Type": "application/json"})
    assert response.status_code == 400, (response.status_code, response.text[:300])
    assert "value[0]" in response.json()["error"]


@pytest.mark.parametrize("form", [{"no": "C9", "name": "Sam\x00Partner"},
                                  {"no": "C\x009", "name": "Sam"}])
def test_create_contact_refuses_nul(api: Api, form: dict[str, str]) -> None:
    contacts = count_contacts(api)
    with httpx.Client(base_url=api.base, timeout=30) as browser:
        page = browser.get("/sync")
        token = csrf_token(page.text)
        found = re.search(r'action="(/sync/unmatched/\d+/contact)"', page.text)
        assert found, page.text[:500]
        response = browser.post(found.group(1), data={**form, "csrf_token": token})
        assert response.status_code == 400, (response.status_code, response.text[:300])
        assert "contains a NUL character" in response.text
    assert count_contacts(api) == contacts


def count_contacts(api: Api) -> int:
    with Session(api.engine) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(Contact)) or 0


def test_a_contact_page_for_a_number_with_nul_is_not_found(api: Api) -> None:
    assert httpx.get(f"{api.base}/contacts/C002").status_code == 200
    response = httpx.get(f"{api.base}/contacts/C%00002")
    assert response.status_code == 404, (response.status_code, response.text[:300])
