"""Issue 12, item 10, through the real server (waitress, development mode), on SQLite and
PostgreSQL:

- a contact number holding `/` (or `?`, `#`, `%`, a space) has a reachable page, linked from
  the log (it was a 404: the route took one path segment);
- "create contact" from the unmatched list checks the captured address (one well-formed
  email, no control character) and the number (no control character, no `.`/`..`/empty
  path segment): 400 with the reason on the page, nothing written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from html import unescape

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.capture_models import UnmatchedAddress
from storage.models import Contact
from tests.support.databases import BACKENDS, emptied
from tests.support.plugin import engine_for
from tests.support.seed import Dataset, EntryRow, seed
from tests.support.web import Api, csrf_token, waitress_api

pytestmark = pytest.mark.timeout(120)

ODD_NUMBERS = {"AB/12": "Slash Person", "Q?1#2%3": "Query Person", "R 1/2/3": "Deep Person"}
CSV = "no,type,name,company_no,email,email2,domains\n" + "".join(
    f'"{no}",person,{name},,,,\n' for no, name in ODD_NUMBERS.items())


@pytest.fixture(scope="module", params=BACKENDS)
def api(request: pytest.FixtureRequest) -> Iterator[Api]:
    with emptied(engine_for(request, request.param)) as engine, waitress_api(engine) as api:
        seed(engine, Dataset(contacts_csv=CSV, entries=tuple(
            EntryRow(no, "CALL", "alice@contoso.com", "manual", "2025-04-01T10:00", "Hello")
            for no in ODD_NUMBERS)))
        yield api


def test_a_contact_number_with_a_slash_has_a_reachable_page(api: Api) -> None:
    log = httpx.get(f"{api.base}/log", timeout=30)
    assert log.status_code == 200
    links = {unescape(href) for href in re.findall(r'href="(/contacts/[^"]+)"', log.text)}
    for no, name in ODD_NUMBERS.items():
        [link] = [href for href in links if name in _page(api, href)]
        assert link.startswith("/contacts/"), link
        page = httpx.get(f"{api.base}{link}", timeout=30)
        assert page.status_code == 200, (no, link)
        assert no in unescape(page.text)


def _page(api: Api, href: str) -> str:
    page = httpx.get(f"{api.base}{href}", timeout=30)
    return unescape(page.text) if page.status_code == 200 else ""


def _unmatched(api: Api, address: str) -> int:
    now = datetime.fromisoformat("2025-04-01T10:00")
    with Session(api.engine) as session, session.begin():
        row = UnmatchedAddress(address=address, domain=address.rpartition("@")[2][:253],
                               name="Sam", count=1, first_seen_at=now, last_seen_at=now,
                               mailbox="alice@contoso.com", example_subject="Hi")
        session.add(row)
        session.flush()
        return row.id


def _contacts(api: Api) -> int:
    with Session(api.engine) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(Contact)) or 0


def _create(api: Api, unmatched_id: int, no: str) -> httpx.Response:
    with httpx.Client(base_url=api.base, timeout=30) as browser:
        token = csrf_token(browser.get("/sync").text)
        return browser.post(f"/sync/unmatched/{unmatched_id}/contact",
                            data={"no": no, "name": "Sam", "csrf_token": token})


@pytest.mark.parametrize("address", [
    "a@x.example, b@y.example", "two@at@x.example", "no-at-sign", "esc\x1b[2J@x.example",
    "tab\t@x.example", "c1\x85@x.example", "Sam <sam@x.example>", "sam@x",
])
def test_create_contact_refuses_an_address_that_is_not_one_email(api: Api, address: str) -> None:
    unmatched_id = _unmatched(api, address)
    before = _contacts(api)
    answer = _create(api, unmatched_id, "NEW1")
    assert answer.status_code == 400, answer.text[:300]
    assert "not one well-formed email address" in unescape(answer.text) or (
        "control character" in answer.text)
    assert _contacts(api) == before
    with Session(api.engine) as session:
        assert session.get(UnmatchedAddress, unmatched_id) is not None


BAD_NUMBERS = ["A/../B", "A/./B", "/A", "A/", "A//B", "A\x1bB", "A\x9bB"]


@pytest.mark.parametrize("no", BAD_NUMBERS)
def test_create_contact_refuses_a_number_that_breaks_its_page(api: Api, no: str) -> None:
    unmatched_id = _unmatched(api, f"n{BAD_NUMBERS.index(no)}@fabrikam.com")
    before = _contacts(api)
    answer = _create(api, unmatched_id, no)
    assert answer.status_code == 400, answer.text[:300]
    assert "contact number" in unescape(answer.text)
    assert _contacts(api) == before


def test_create_contact_with_a_slash_in_its_number_is_reachable(api: Api) -> None:
    unmatched_id = _unmatched(api, "sam.slash@fabrikam.com")
    answer = _create(api, unmatched_id, "new/7")
    assert answer.status_code == 302, answer.text[:300]
    page = httpx.get(f"{api.base}/contacts/NEW/7", timeout=30)
    assert page.status_code == 200
    assert "sam.slash@fabrikam.com" in page.text
