"""`/api/v1` over HTTP: record exactly once, replay, cancel/restore, list, and every bad input."""

from __future__ import annotations

import json
import threading
import uuid

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.api_models import create_api_key, revoke_api_key
from storage.models import AuditEvent
from tests.support.web import Api


def _invoice(document_no: str, **extra: object) -> dict[str, object]:
    return {"contact": "jane@fabrikam.com", "template": "QUOTE", "subject": "Invoice sent",
            "date": "2025-03-14", "duration_min": 0, "document_type": "sales_invoice",
            "document_no": document_no, **extra}


def test_erp_call_records_an_interaction_with_its_document_no_exactly_once(api: Api) -> None:
    doc = f"SI-{uuid.uuid4().hex[:8]}"
    key = {"Idempotency-Key": f"invoice-{doc}"}
    first = api.client.post("/api/v1/interactions", json=_invoice(doc), headers=key)
    again = api.client.post("/api/v1/interactions", json=_invoice(doc), headers=key)

    assert first.status_code == 201, first.text
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    body = first.json()
    assert body["contact_no"] == "C002"
    assert body["template_code"] == "QUOTE"
    assert body["document_no"] == doc
    assert body["document_type"] == "sales_invoice"
    assert body["date"] == "2025-03-14"
    assert body["source"] == "api"
    assert body["cost"] == 2.5
    assert first.headers["Location"] == f"/api/v1/interactions/{body['entry_no']}"
    assert [e.entry_no for e in api.entries(document_no=doc)] == [body["entry_no"]]
    with Session(api.engine) as session:
        actions = session.scalars(sa.select(AuditEvent.action).where(
            AuditEvent.entry_no == body["entry_no"], AuditEvent.actor == "api:erp")).all()
    assert sorted(actions) == ["api_log", "api_replay", "log"]


def test_a_replayed_key_with_a_different_body_is_409_and_writes_nothing(api: Api) -> None:
    doc = f"SI-{uuid.uuid4().hex[:8]}"
    key = {"Idempotency-Key": f"k-{doc}"}
    assert api.client.post("/api/v1/interactions", json=_invoice(doc), headers=key
                           ).status_code == 201
    before = api.counts()
    clash = api.client.post("/api/v1/interactions", json=_invoice(doc, subject="other"),
                            headers=key)
    assert clash.status_code == 409
    assert clash.json()["field"] == "Idempotency-Key"
    assert "different body" in clash.json()["error"]
    assert api.counts() == before


def test_concurrent_retries_with_one_key_log_one_entry(api: Api) -> None:
    doc = f"SI-{uuid.uuid4().hex[:8]}"
    statuses: list[int] = []
    barrier = threading.Barrier(6)

    def send() -> None:
        with httpx.Client(base_url=api.base, timeout=30) as client:
            barrier.wait(timeout=10)
            statuses.append(client.post(
                "/api/v1/interactions", json=_invoice(doc),
                headers={"Authorization": f"Bearer {api.key}", "Idempotency-Key": doc},
            ).status_code)

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses) == [200] * 5 + [201]
    assert len(api.entries(document_no=doc)) == 1


def test_without_an_idempotency_key_each_call_logs(api: Api) -> None:
    doc = f"SI-{uuid.uuid4().hex[:8]}"
    for _ in range(2):
        assert api.client.post("/api/v1/interactions", json=_invoice(doc)).status_code == 201
    assert len(api.entries(document_no=doc)) == 2


def test_only_contact_and_template_are_required_and_numbers_or_emails_name_contacts(
    api: Api,
) -> None:
    by_no = api.client.post("/api/v1/interactions", json={"contact": "c005", "template": "call"})
    by_email = api.client.post("/api/v1/interactions",
                               json={"contact": "NINA@northwind.example", "template": "CALL"})
    assert by_no.status_code == by_email.status_code == 201
    assert by_no.json()["contact_no"] == by_email.json()["contact_no"] == "C005"
    assert by_no.json()["subject"] == "Phone call"  # the template's description
    assert by_no.json()["duration_min"] == 5.0  # the template's unit duration


@pytest.mark.parametrize(("body", "field"), [
    ({"template": "CALL"}, "contact"),
    ({"contact": "C002"}, "template"),
    ({"contact": "C002", "template": "CALL", "colour": "red"}, "colour"),
    ({"contact": True, "template": "CALL"}, "contact"),
    ({"contact": "C002", "template": 7}, "template"),
    ({"contact": "C002", "template": "CALL", "date": "14/03/2025"}, "date"),
    ({"contact": "C002", "template": "CALL", "date": "2025-02-30"}, "date"),
    ({"contact": "C002", "template": "CALL", "duration_min": -1}, "duration_min"),
    ({"contact": "C002", "template": "CALL", "duration_min": "15"}, "duration_min"),
    ({"contact": "C002", "template": "CALL", "subject": "x" * 251}, "subject"),
    ({"contact": "C002", "template": "CALL", "document_no": "N" * 41}, "document_no"),
    (["C002", "CALL"], "body"),
])
def test_a_body_that_does_not_validate_is_400_naming_the_field(
    api: Api, body: object, field: str
) -> None:
    before = api.counts()
    response = api.client.post("/api/v1/interactions", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["field"] == field
    assert response.json()["error"]
    assert api.counts() == before


def test_malformed_json_and_a_bad_idempotency_key_are_400(api: Api) -> None:
    before = api.counts()
    broken = api.client.post("/api/v1/interactions", content=b"{not json",
                             headers={"Content-Type": "application/json"})
    long_key = api.client.post("/api/v1/interactions", json=_invoice("X"),
                               headers={"Idempotency-Key": "k" * 201})
    assert (broken.status_code, broken.json()["field"]) == (400, "body")
    assert (long_key.status_code, long_key.json()["field"]) == (400, "Idempotency-Key")
    assert api.counts() == before


@pytest.mark.parametrize(("body", "field"), [
    ({"contact": "C999", "template": "CALL"}, "contact"),
    ({"contact": "nobody@nowhere.example", "template": "CALL"}, "contact"),
    ({"contact": "Jane Doe", "template": "CALL"}, "contact"),  # names are for people
    ({"contact": "C002", "template": "NOPE"}, "template"),
])
def test_an_unknown_contact_or_template_is_422(api: Api, body: object, field: str) -> None:
    before = api.counts()
    response = api.client.post("/api/v1/interactions", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert api.counts() == before


def test_an_oversized_body_is_413(api: Api) -> None:
    before = api.counts()
    response = api.client.post("/api/v1/interactions", content=b" " * (65 * 1024),
                               headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert "larger than" in response.json()["error"]
    assert api.counts() == before


@pytest.mark.parametrize("header", [None, "Bearer il_wrong", "Basic Zm9vOmJhcg==", "Bearer"])
def test_a_missing_or_wrong_key_is_401(api: Api, header: str | None) -> None:
    before = api.counts()
    headers = {} if header is None else {"Authorization": header}
    with httpx.Client(base_url=api.base, headers=headers) as client:
        for response in (client.post("/api/v1/interactions", json=_invoice("X")),
                         client.get("/api/v1/interactions"),
                         client.post("/api/v1/interactions/1/cancel")):
            assert response.status_code == 401
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
            assert "API key" in response.json()["error"]
    assert api.counts() == before


def test_a_revoked_key_is_401(api: Api) -> None:
    with Session(api.engine) as session, session.begin():
        key = create_api_key(session, f"old-{uuid.uuid4().hex[:6]}")
    auth = {"Authorization": f"Bearer {key.key}"}
    assert httpx.get(f"{api.base}/api/v1/interactions?limit=1", headers=auth).status_code == 200
    with Session(api.engine) as session, session.begin():
        revoke_api_key(session, key.name)
    assert httpx.get(f"{api.base}/api/v1/interactions", headers=auth).status_code == 401


def test_cancel_and_restore_an_entry_recorded_through_the_api(api: Api) -> None:
    made = api.client.post("/api/v1/interactions", json=_invoice(uuid.uuid4().hex[:8])).json()
    n = made["entry_no"]
    canceled = api.client.post(f"/api/v1/interactions/{n}/cancel")
    assert canceled.status_code == 200
    assert canceled.json()["canceled"] is True
    assert api.entries(entry_no=n)[0].canceled is True
    restored = api.client.post(f"/api/v1/interactions/{n}/restore")
    assert restored.status_code == 200
    assert restored.json()["canceled"] is False
    assert api.client.get(f"/api/v1/interactions/{n}").json()["canceled"] is False


def test_the_api_may_not_cancel_captured_entries_or_unknown_ones(api: Api) -> None:
    captured = api.entries(source="email")[0]
    refused = api.client.post(f"/api/v1/interactions/{captured.entry_no}/cancel")
    assert refused.status_code == 403
    assert api.entries(entry_no=captured.entry_no)[0].canceled is False
    assert api.client.post("/api/v1/interactions/999999/cancel").status_code == 404


def test_list_filters_like_the_page_and_totals_leave_canceled_out(api: Api) -> None:
    response = api.client.get("/api/v1/interactions", params={
        "contact": "C005", "status": "all", "since": "2025-01-01", "until": "2025-03-31"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [e["template_code"] for e in body["entries"]] == ["EMAIL", "CALL"]
    assert body["totals"]["count"] == 2
    assert body["totals"]["duration_min"] == 10.0
    by_template = api.client.get("/api/v1/interactions", params={"template": "meeting"}).json()
    assert [e["contact_no"] for e in by_template["entries"]] == ["C003"]
    paged = api.client.get("/api/v1/interactions", params={"limit": 2, "offset": 1}).json()
    assert [e["entry_no"] for e in paged["entries"]] == [2, 3]
    with Session(api.engine) as session:
        listed = session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.actor == "api:erp", AuditEvent.action == "api_list"))
    assert listed
    assert listed >= 3


@pytest.mark.parametrize(("query", "field"), [
    ({"template": "NOPE"}, "template"),
    ({"group": "NOPE"}, "group"),
    ({"status": "deleted"}, "status"),
    ({"source": "fax"}, "source"),
    ({"since": "2025-13-01"}, "since"),
    ({"since": "2025-03-01", "until": "2025-01-01"}, "until"),
    ({"contact": "C999"}, "contact"),
    ({"company": "C002"}, "company"),  # a person, not a company
    ({"user": "mallory@contoso.com"}, "user"),
    ({"colour": "red"}, "colour"),
    ({"limit": "-1"}, "limit"),
    ({"limit": "100000"}, "limit"),
])
def test_an_unknown_filter_or_filter_value_is_400_naming_it(
    api: Api, query: dict[str, str], field: str
) -> None:
    response = api.client.get("/api/v1/interactions", params=query)
    assert response.status_code == 400, response.text
    assert response.json()["field"] == field


def test_answers_carry_security_headers_and_the_openapi_document_is_public(api: Api) -> None:
    doc = httpx.get(f"{api.base}/api/v1/openapi.json")
    assert doc.status_code == 200
    assert doc.json()["openapi"].startswith("3.")
    assert set(doc.json()["paths"]) >= {"/api/v1/interactions",
                                        "/api/v1/interactions/{entry_no}/cancel"}
    for response in (doc, api.client.get("/api/v1/interactions?limit=1")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert json.loads(doc.text)["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/api/v1/nope", 404),
    ("GET", "/api/v1", 404),
    ("POST", "/api/v1/interactions/99999999999/cancel", 404),  # beyond the entry_no converter
    ("DELETE", "/api/v1/interactions", 405),
    ("GET", "/api/v1/interactions/1/cancel", 405),
])
def test_unknown_api_paths_and_methods_answer_json_with_security_headers(
    api: Api, method: str, path: str, status: int
) -> None:
    before = api.counts()
    response = httpx.request(method, f"{api.base}{path}")
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == status
    assert path in body["error"]
    if status == 405:
        assert method in body["error"]
        assert "POST" in response.headers["Allow"].split(", ")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert api.counts() == before


def test_every_answer_of_the_app_carries_security_headers(api: Api) -> None:
    for response in (httpx.get(f"{api.base}/nope"), httpx.get(f"{api.base}/healthz"),
                     httpx.put(f"{api.base}/healthz"), httpx.get(f"{api.base}/api/messages")):
        assert response.headers["X-Content-Type-Options"] == "nosniff", response.url
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "same-origin"
    assert httpx.get(f"{api.base}/nope").status_code == 404  # not the API: Flask's own page
    assert "text/html" in httpx.get(f"{api.base}/nope").headers["Content-Type"]
