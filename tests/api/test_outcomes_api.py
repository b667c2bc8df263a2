"""`/api/v1` over HTTP, on SQLite and PostgreSQL: outcomes (evaluation, note lines, attempt
failed, a cost given) when recording and afterwards, audited under the key; the evaluation
filter; a company's entries with its persons'."""

from __future__ import annotations

import json
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.models import AuditEvent
from tests.support.web import Api


def _record(api: Api, **extra: object) -> dict[str, object]:
    body = {"contact": "C005", "template": "CALL", "document_no": uuid.uuid4().hex[:12],
            **extra}
    response = api.client.post("/api/v1/interactions", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _audit(api: Api, entry_no: object) -> list[tuple[str, str, dict[str, object]]]:
    with Session(api.engine) as session:
        rows = session.execute(sa.select(AuditEvent.actor, AuditEvent.action, AuditEvent.details)
                               .where(AuditEvent.entry_no == entry_no).order_by(AuditEvent.id))
        return [(actor, action, json.loads(d) if d else {}) for actor, action, d in rows]


def test_recorded_with_its_outcome_and_a_cost_given(api: Api) -> None:
    made = _record(api, evaluation="negative", note="no budget\nask again in May",
                   attempt_failed=True, cost=7.5)
    assert (made["evaluation"], made["note"], made["attempt_failed"], made["cost"]) == (
        "negative", "no budget\nask again in May", True, 7.5)
    plain = _record(api)
    assert (plain["evaluation"], plain["note"], plain["attempt_failed"], plain["cost"]) == (
        "", "", False, 0.0)  # the CALL template costs nothing
    again = api.client.get(f"/api/v1/interactions/{made['entry_no']}").json()
    assert again == made


def test_evaluate_and_note_afterwards_are_audited_under_the_key(api: Api) -> None:
    n = _record(api, note="first")["entry_no"]
    evaluated = api.client.post(f"/api/v1/interactions/{n}/evaluate",
                                json={"evaluation": "very_positive"})
    noted = api.client.post(f"/api/v1/interactions/{n}/note", json={"note": "second"})
    assert evaluated.status_code == noted.status_code == 200, (evaluated.text, noted.text)
    assert evaluated.json()["evaluation"] == "very_positive"
    assert (noted.json()["evaluation"], noted.json()["note"]) == ("very_positive",
                                                                  "first\nsecond")
    assert _audit(api, n)[1:] == [
        ("api:erp", "api_log", {"idempotency_key": None}),
        ("api:erp", "evaluate", {"evaluation": "very_positive", "previous": ""}),
        ("api:erp", "api_evaluate", {"recorded_by": "api:erp"}),
        ("api:erp", "note", {"note": "second"}),
        ("api:erp", "api_note", {"recorded_by": "api:erp"}),
    ]


def test_a_canceled_entry_can_still_be_evaluated_and_noted(api: Api) -> None:
    n = _record(api)["entry_no"]
    assert api.client.post(f"/api/v1/interactions/{n}/cancel").status_code == 200
    body = api.client.post(f"/api/v1/interactions/{n}/evaluate",
                           json={"evaluation": "neutral"}).json()
    assert (body["canceled"], body["evaluation"]) == (True, "neutral")
    body = api.client.post(f"/api/v1/interactions/{n}/note", json={"note": "wrong number"}
                           ).json()
    assert (body["canceled"], body["note"]) == (True, "wrong number")


def test_the_api_changes_only_what_it_recorded(api: Api) -> None:
    captured = api.entries(source="email")[0]
    before = api.counts()
    for action, body in (("evaluate", {"evaluation": "positive"}), ("note", {"note": "x"})):
        refused = api.client.post(f"/api/v1/interactions/{captured.entry_no}/{action}",
                                  json=body)
        assert refused.status_code == 403, refused.text
        missing = api.client.post(f"/api/v1/interactions/999999/{action}", json=body)
        assert missing.status_code == 404
    assert api.counts() == before
    assert (api.entries(entry_no=captured.entry_no)[0].evaluation,
            api.entries(entry_no=captured.entry_no)[0].note) == ("", "")


@pytest.mark.parametrize(("action", "body", "field"), [
    ("evaluate", {"evaluation": "great"}, "evaluation"),
    ("evaluate", {"evaluation": ""}, "evaluation"),
    ("evaluate", {"evaluation": None}, "evaluation"),
    ("evaluate", {}, "evaluation"),
    ("evaluate", {"evaluation": "positive", "note": "x"}, "evaluation"),
    ("note", {"note": "  \n "}, "note"),
    ("note", {"note": "x" * 251}, "note"),
    ("note", {"note": 5}, "note"),
    ("note", ["x"], "note"),
])
def test_a_bad_outcome_is_400_naming_the_field(api: Api, action: str, body: object,
                                                field: str) -> None:
    n = _record(api)["entry_no"]
    before = api.counts()
    response = api.client.post(f"/api/v1/interactions/{n}/{action}", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["field"] == field
    assert api.counts() == before


@pytest.mark.parametrize(("extra", "field"), [
    ({"evaluation": "great"}, "evaluation"),
    ({"evaluation": 1}, "evaluation"),
    ({"note": "bell\u0007"}, "note"),
    ({"note": ""}, "note"),
    ({"attempt_failed": "yes"}, "attempt_failed"),
    ({"cost": -1}, "cost"),
    ({"cost": "5"}, "cost"),
    ({"cost": 1e12}, "cost"),
])
def test_a_record_with_a_bad_outcome_is_400_and_writes_nothing(api: Api, extra: dict[str, object],
                                                               field: str) -> None:
    before = api.counts()
    response = api.client.post("/api/v1/interactions",
                               json={"contact": "C005", "template": "CALL", **extra})
    assert response.status_code == 400, response.text
    assert response.json()["field"] == field
    assert api.counts() == before


def test_the_evaluation_filter_and_a_company_with_its_persons(api: Api) -> None:
    n = _record(api, evaluation="very_negative")["entry_no"]
    listed = api.client.get("/api/v1/interactions", params={"evaluation": "very_negative"})
    assert [e["entry_no"] for e in listed.json()["entries"]] == [n]
    bad = api.client.get("/api/v1/interactions", params={"evaluation": "meh"})
    assert (bad.status_code, bad.json()["field"]) == (400, "evaluation")
    # Fabrikam (C001): its own API entry and those of Jane (C002) and José (C003).
    company = api.client.get("/api/v1/interactions",
                             params={"company": "c001", "until": "2025-12-31"}).json()
    assert [(e["contact_no"], e["subject"]) for e in company["entries"]] == [
        ("C002", "Renewal terms"), ("C002", "Call about renewal"), ("C003", "Kick-off"),
        ("C001", "Quote SQ-1002")]
    assert company["totals"]["count"] == 4


def test_the_openapi_document_describes_the_outcomes(api: Api) -> None:
    doc = api.client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/interactions/{entry_no}/evaluate",
            "/api/v1/interactions/{entry_no}/note"} <= set(doc["paths"])
    schemas = doc["components"]["schemas"]
    assert {"note", "evaluation", "attempt_failed"} <= set(schemas["Entry"]["properties"])
    assert {"note", "evaluation", "attempt_failed", "cost"} <= set(
        schemas["NewInteraction"]["properties"])
