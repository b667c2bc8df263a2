"""Fuzz `/api/v1` with Hypothesis through waitress, on SQLite and PostgreSQL: JSON bodies
(random, and near-valid with hostile fields), query filters, and entry paths. Never a 5xx,
never a traceback, nothing written on refusal. (tests/api/test_api_fuzz.py checks the
answers against the OpenAPI description with schemathesis; this one goes past the schema.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from tests.support.databases import BACKENDS, emptied
from tests.support.fuzz import (
    FUZZ,
    assert_handled,
    field_values,
    json_bytes,
    json_values,
    query_string,
    quoted,
    text,
)
from tests.support.plugin import engine_for
from tests.support.web import Api, waitress_api
from web.filters import FILTER_FIELDS

pytestmark = pytest.mark.timeout(120)

VALID = {"contact": "jane@fabrikam.com", "template": "QUOTE", "subject": "Invoice sent",
         "date": "2025-03-14", "duration_min": 5, "document_type": "sales_invoice",
         "document_no": "SI-1"}  # every field the API takes (web/api_input.py)
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module", params=BACKENDS)
def api(request: pytest.FixtureRequest) -> Iterator[Api]:
    with emptied(engine_for(request, request.param)) as engine, waitress_api(engine) as api:
        yield api


def _post(api: Api, body: bytes, headers: dict[str, str] | None = None) -> None:
    before = api.counts()
    answer = api.client.post("/api/v1/interactions", content=body, headers={**JSON,
                                                                           **(headers or {})})
    assert_handled(answer, 201, 400, 409, 413, 422)
    event(f"status {answer.status_code}")
    if answer.status_code != 201:
        assert api.counts() == before, answer.text[:300]


@FUZZ
@given(body=json_values)
def test_random_json_bodies(api: Api, body: Any) -> None:
    _post(api, json_bytes(body))


@FUZZ
@given(body=field_values(VALID), key=st.none() | text)
def test_near_valid_bodies(api: Api, body: dict[str, Any], key: str | None) -> None:
    sendable = key is not None and key.isascii() and key.isprintable() and key == key.strip()
    headers = {"Idempotency-Key": key} if sendable and key else {}
    _post(api, json_bytes(body), headers)


@FUZZ
@given(params=st.dictionaries(st.sampled_from((*FILTER_FIELDS, "limit", "offset")) | text,
                              text, max_size=4))
def test_query_filters(api: Api, params: dict[str, str]) -> None:
    before = api.counts()
    answer = api.client.get(f"/api/v1/interactions?{query_string(params)}")
    assert_handled(answer, 200, 400)
    if answer.status_code != 200:
        assert api.counts() == before


@FUZZ
@given(entry=text | st.integers().map(str), action=st.sampled_from(("", "/cancel", "/restore")))
def test_entry_paths(api: Api, entry: str, action: str) -> None:
    before = api.counts()
    path = f"/api/v1/interactions/{quoted(entry)}{action}"
    answer = api.client.post(path) if action else api.client.get(path)
    assert_handled(answer, 200, 400, 403, 404, 405)
    if answer.status_code != 200:
        assert api.counts() == before
