"""Issue 12, item 10, the API-key decision (docs/security.md): any key may cancel or restore an
entry recorded through the API by another key, as any NAV user with the right may cancel any
entry; the audit names the key that acted and the key that recorded it. Entries not recorded
through the API stay out of reach. Through waitress, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.api_models import create_api_key
from storage.models import AuditEvent
from tests.support.databases import BACKENDS, emptied
from tests.support.plugin import engine_for
from tests.support.web import Api, waitress_api

pytestmark = pytest.mark.timeout(120)

INVOICE = {"contact": "jane@fabrikam.com", "template": "QUOTE", "subject": "Invoice sent",
           "date": "2025-03-14", "document_type": "sales_invoice", "document_no": "SI-1"}


@pytest.fixture(scope="module", params=BACKENDS)
def api(request: pytest.FixtureRequest) -> Iterator[Api]:
    with emptied(engine_for(request, request.param)) as engine, waitress_api(engine) as api:
        yield api


def _audit(api: Api, entry_no: int) -> list[tuple[str, str, dict[str, object]]]:
    with Session(api.engine) as session:
        rows = session.execute(sa.select(AuditEvent.actor, AuditEvent.action, AuditEvent.details)
                               .where(AuditEvent.entry_no == entry_no).order_by(AuditEvent.id))
        return [(actor, action, json.loads(details) if details else {})
                for actor, action, details in rows]


def test_another_key_may_cancel_and_restore_and_the_audit_names_both(api: Api) -> None:
    with Session(api.engine) as session, session.begin():
        other = create_api_key(session, "crm").key
    made = api.client.post("/api/v1/interactions", json=INVOICE)
    assert made.status_code == 201, made.text
    n = made.json()["entry_no"]
    crm = {"Authorization": f"Bearer {other}"}
    for action in ("cancel", "restore"):
        answer = httpx.post(f"{api.base}/api/v1/interactions/{n}/{action}", headers=crm,
                            timeout=30)
        assert answer.status_code == 200, answer.text
        assert answer.json()["canceled"] is (action == "cancel")
    audit = _audit(api, n)
    assert ("api:crm", "cancel") in [(actor, action) for actor, action, _ in audit]
    calls = [(actor, action, details.get("recorded_by")) for actor, action, details in audit
             if action.startswith("api_")]
    assert calls == [("api:erp", "api_log", None), ("api:crm", "api_cancel", "api:erp"),
                     ("api:crm", "api_restore", "api:erp")]


def test_no_key_may_cancel_an_entry_recorded_elsewhere(api: Api) -> None:
    listed = api.client.get("/api/v1/interactions", params={"source": "email", "limit": 1})
    [captured] = listed.json()["entries"]
    before = len(_audit(api, captured["entry_no"]))
    refused = api.client.post(f"/api/v1/interactions/{captured['entry_no']}/cancel")
    assert refused.status_code == 403
    assert len(_audit(api, captured["entry_no"])) == before
