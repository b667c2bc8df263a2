"""Application permissions: the token endpoint's `roles`, and what each role lets through."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from emulator import EmulatorServer
from tests.support.builders import small_tenant
from tests.support.emulator import app_token, with_roles

HTTP = httpx.Client(timeout=30)
INBOX = "/users/alice@contoso.com/mailFolders/inbox/messages"
DELTA = f"{INBOX}/delta"
EXPAND = "$expand=singleValueExtendedProperties($filter=id eq 'Integer 0x0036')"
CALENDAR = ("/users/alice@contoso.com/calendarView/delta"
            "?startDateTime=2024-01-01T00:00:00Z&endDateTime=2025-01-01T00:00:00Z")
DENIED = {"code": "ErrorAccessDenied",
          "message": "Access is denied. Check credentials and try again."}


@pytest.fixture(scope="module", autouse=True)
def _close_http() -> Iterator[None]:
    yield
    HTTP.close()


def _claims(token: str) -> dict[str, Any]:
    body = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return claims


def _get(emu: EmulatorServer, path: str, token: str) -> httpx.Response:
    return HTTP.get(emu.base_url + path, headers={"Authorization": f"Bearer {token}"})


def _denied(resp: httpx.Response) -> bool:
    error = resp.json().get("error", {})
    return resp.status_code == 403 and {k: error.get(k) for k in DENIED} == DENIED


def test_the_token_endpoint_issues_a_jwt_carrying_the_tenant_roles(emu_factory: Any) -> None:
    emu = emu_factory(with_roles(small_tenant(), "Mail.ReadBasic.All", "Calendars.Read"))
    claims = _claims(app_token(emu, client_id="my-app"))
    assert claims["roles"] == ["Mail.ReadBasic.All", "Calendars.Read"]
    assert claims["appid"] == "my-app"
    assert claims["aud"] == "https://graph.microsoft.com"
    assert claims["exp"] > claims["iat"]


def test_default_roles_are_the_recommended_set(emu: EmulatorServer) -> None:
    roles = set(_claims(app_token(emu))["roles"])
    assert {"Mail.Read", "Calendars.Read", "CallRecords.Read.All"} <= roles
    assert _get(emu, f"{DELTA}?{EXPAND}", app_token(emu)).status_code == 200


def test_the_token_endpoint_refuses_what_entra_id_refuses(emu_factory: Any) -> None:
    emu = emu_factory(with_roles(small_tenant(), "Mail.Read", clientId="app", clientSecret="ok"))
    url = f"{emu.url}/{emu.state.settings.tenant_id}/oauth2/v2.0/token"
    good = {"grant_type": "client_credentials", "client_id": "app", "client_secret": "ok",
            "scope": "https://graph.microsoft.com/.default"}
    assert HTTP.post(url, data=good).status_code == 200
    for change, status, code in [({"client_secret": "bad"}, 401, "invalid_client"),
                                 ({"client_id": "other"}, 401, "invalid_client"),
                                 ({"scope": "Mail.Read"}, 400, "invalid_scope"),
                                 ({"grant_type": "password"}, 400, "unsupported_grant_type")]:
        resp = HTTP.post(url, data={**good, **change})
        assert (resp.status_code, resp.json()["error"]) == (status, code), change
        assert "ok" not in resp.text  # never echoes the secret


def test_read_basic_reads_headers_but_not_the_extended_property(emu_factory: Any) -> None:
    emu = emu_factory(with_roles(small_tenant(), "Mail.ReadBasic.All", "Calendars.Read"))
    token = app_token(emu)
    plain = _get(emu, f"{DELTA}?$select=id,subject", token)
    assert plain.status_code == 200
    assert plain.json()["value"]
    assert _denied(_get(emu, f"{DELTA}?{EXPAND}", token))
    assert _denied(_get(emu, f"{INBOX}?$select=body", token))
    assert _get(emu, "/users/alice@contoso.com/mailFolders/inbox?$select=id", token).is_success


def test_a_delta_link_keeps_its_expand_and_is_refused_after_a_downgrade(emu_factory: Any) -> None:
    """A round opened with Mail.Read, continued with a ReadBasic token: still refused."""
    emu = emu_factory(small_tenant())
    first = _get(emu, f"{DELTA}?{EXPAND}", app_token(emu)).json()
    link = first.get("@odata.nextLink") or first["@odata.deltaLink"]
    emu.emulator.tokens.roles = ("Mail.ReadBasic.All",)
    resp = HTTP.get(link, headers={"Authorization": f"Bearer {app_token(emu)}"})
    assert _denied(resp)


def test_no_mail_role_is_403_on_messages_and_no_calendar_role_on_the_calendar(
    emu_factory: Any,
) -> None:
    emu = emu_factory(with_roles(small_tenant(), "Calendars.Read"))
    token = app_token(emu)
    for path in (DELTA, INBOX, "/users/alice@contoso.com/mailFolders/inbox"):
        assert _denied(_get(emu, path, token)), path
    assert _get(emu, CALENDAR, token).status_code == 200
    emu = emu_factory(with_roles(small_tenant(), "Mail.Read"))
    token = app_token(emu)
    assert _denied(_get(emu, CALENDAR, token))
    assert _denied(_get(emu, "/users/alice@contoso.com/events", token))
    assert _get(emu, DELTA, token).status_code == 200


def test_an_opaque_token_gets_the_tenant_roles_and_a_forged_jwt_is_401(emu_factory: Any) -> None:
    emu = emu_factory(with_roles(small_tenant(), "Mail.ReadBasic.All", "Calendars.Read"))
    assert _denied(_get(emu, f"{DELTA}?{EXPAND}", "anything"))
    assert _get(emu, DELTA, "anything").status_code == 200
    head, body, sig = app_token(emu).split(".")
    claims = {**_claims(f"{head}.{body}.x"), "roles": ["Mail.Read"]}
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    resp = _get(emu, DELTA, f"{head}.{forged}.{sig}")
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "InvalidAuthenticationToken"


def test_batch_items_are_checked_with_the_outer_token(emu_factory: Any) -> None:
    emu = emu_factory(with_roles(small_tenant(), "Mail.ReadBasic.All"))
    body = {"requests": [
        {"id": "1", "method": "GET", "url": "/users/alice@contoso.com/mailFolders/inbox/messages"},
        {"id": "2", "method": "GET", "url": "/users/alice@contoso.com/events"},
    ]}  # fmt: skip
    resp = HTTP.post(f"{emu.base_url}/$batch", json=body,
                     headers={"Authorization": f"Bearer {app_token(emu)}"})
    status = {r["id"]: r["status"] for r in resp.json()["responses"]}
    assert status == {"1": 200, "2": 403}


def test_a_require_token_emulator_accepts_its_own_tokens_too(emu_factory: Any) -> None:
    emu = emu_factory(small_tenant(), require_token="fixed")
    assert _get(emu, DELTA, "fixed").status_code == 200
    assert _get(emu, DELTA, app_token(emu)).status_code == 200
    assert _get(emu, DELTA, "other").status_code == 401


def test_a_bad_app_section_is_refused_with_a_message() -> None:
    with pytest.raises(ValueError, match=r"app\.roles"):
        EmulatorServer.start({**small_tenant(), "app": {"roles": "Mail.Read"}})


def test_a_subscription_needs_the_role_that_reads_its_resource(emu_factory: Any) -> None:
    emu = emu_factory(with_roles(small_tenant(), "Mail.ReadBasic.All"))
    token = {"Authorization": f"Bearer {app_token(emu)}"}
    body = {"changeType": "created,updated", "notificationUrl": "http://127.0.0.1:9/none",
            "expirationDateTime": "2099-01-01T00:00:00Z", "clientState": "x"}
    events = HTTP.post(f"{emu.base_url}/subscriptions", headers=token,
                       json={**body, "resource": "/users/alice@contoso.com/events"})
    assert _denied(events)
    mail = HTTP.post(f"{emu.base_url}/subscriptions", headers=token,
                     json={**body, "resource": "/users/alice@contoso.com/messages"})
    # Past the role check: refused for its too-distant expiry instead.
    assert mail.status_code == 400
    assert mail.json()["error"]["code"] == "InvalidRequest"
