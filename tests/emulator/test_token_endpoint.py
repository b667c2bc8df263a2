"""The emulator as Entra ID for the client-credentials flow: azure-identity's own credentials
(the async one interlog uses, and the MSAL-based synchronous one) sign in at it over https,
and it counts every token request."""

from __future__ import annotations

import asyncio
import base64
import json
import ssl
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from azure.core.exceptions import ClientAuthenticationError

from emulator import EmulatorServer, EmulatorSettings
from tests.support.builders import small_tenant
from tests.support.emulator import with_roles

SCOPE = "https://graph.microsoft.com/.default"
INBOX = "/users/alice@contoso.com/mailFolders/inbox?$select=id"


@pytest.fixture
def tls_emu() -> Iterator[Any]:
    started: list[EmulatorServer] = []

    def start(**settings: Any) -> EmulatorServer:
        tenant = with_roles(small_tenant(), "Mail.Read", clientId="app", clientSecret="right")
        started.append(EmulatorServer.start(tenant, tls=True,
                                            settings=EmulatorSettings(**settings)))
        return started[-1]

    yield start
    for emu in started:
        emu.stop()


def _credential(emu: EmulatorServer, secret: str = "right") -> Any:
    from azure.identity.aio import ClientSecretCredential

    return ClientSecretCredential(emu.state.settings.tenant_id, "app", secret,
                                  authority=emu.authority, connection_verify=emu.ca_file)


def _https(emu: EmulatorServer) -> httpx.Client:
    assert emu.ca_file is not None
    return httpx.Client(verify=ssl.create_default_context(cafile=emu.ca_file))


def _claims(token: str) -> dict[str, Any]:
    body = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return claims


def _counters(emu: EmulatorServer) -> dict[str, Any]:
    counters: dict[str, Any] = emu.state.counters_snapshot()
    return counters


def test_azure_identity_signs_in_over_https_and_reuses_its_token(tls_emu: Any) -> None:
    emu = tls_emu(token_lifetime_s=1234)

    async def twice() -> list[Any]:
        credential = _credential(emu)
        try:
            return [await credential.get_token(SCOPE, enable_cae=True) for _ in range(5)]
        finally:
            await credential.close()

    tokens = asyncio.run(twice())
    assert len({t.token for t in tokens}) == 1  # cached by the credential
    claims = _claims(tokens[0].token)
    assert claims["roles"] == ["Mail.Read"]
    assert claims["exp"] - claims["iat"] == 1234  # the configured lifetime
    counters = _counters(emu)
    assert (counters["tokenRequests"], counters["tokensIssued"]) == (1, 1)
    assert counters["requests"] == 0  # token requests are not Graph requests
    with _https(emu) as http:  # the token opens Graph, over the same TLS
        resp = http.get(emu.base_url + INBOX,
                        headers={"Authorization": f"Bearer {tokens[0].token}"})
    assert resp.status_code == 200


def test_a_wrong_secret_is_refused_as_entra_id_refuses_it(tls_emu: Any) -> None:
    emu = tls_emu()

    async def attempt() -> ClientAuthenticationError:
        credential = _credential(emu, secret="wrong-secret-value")
        try:
            with pytest.raises(ClientAuthenticationError) as caught:
                await credential.get_token(SCOPE)
            return caught.value
        finally:
            await credential.close()

    error = asyncio.run(attempt())
    assert error.response is not None
    assert error.response.status_code == 401
    body = json.loads(error.response.text())
    assert body["error"] == "invalid_client"
    assert body["error_codes"] == [7000215]
    assert body["error_description"].startswith("AADSTS7000215: Invalid client secret provided.")
    assert {"timestamp", "trace_id", "correlation_id"} <= set(body)
    assert "wrong-secret-value" not in error.response.text()
    assert _counters(emu)["tokenRequests"] == 1
    assert _counters(emu)["tokensIssued"] == 0


def test_msal_reads_the_openid_configuration_then_asks_for_a_token(tls_emu: Any) -> None:
    from azure.identity import ClientSecretCredential  # MSAL underneath

    emu = tls_emu()
    credential = ClientSecretCredential(emu.state.settings.tenant_id, "app", "right",
                                        authority=emu.authority, connection_verify=emu.ca_file,
                                        disable_instance_discovery=True)
    token = credential.get_token(SCOPE)
    assert _claims(token.token)["appid"] == "app"
    counters = _counters(emu)
    assert (counters["metadataRequests"], counters["tokenRequests"]) == (1, 1)
    with _https(emu) as http:
        url = f"{emu.url}/{emu.state.settings.tenant_id}/v2.0/.well-known/openid-configuration"
        meta = http.get(url).json()
    assert meta["token_endpoint"] == (f"{emu.url}/{emu.state.settings.tenant_id}"
                                      "/oauth2/v2.0/token")


def test_expired_tokens_are_accepted_only_within_the_clock_skew(emu_factory: Any) -> None:
    """A token whose `exp` is now: refused with no leeway, accepted with the default 5 min."""
    for leeway, status in [(0.0, 401), (300.0, 200)]:
        emu = emu_factory(token_lifetime_s=0, token_leeway_s=leeway)
        form = {"grant_type": "client_credentials", "client_id": "a", "client_secret": "s",
                "scope": SCOPE}
        url = f"{emu.url}/{emu.state.settings.tenant_id}/oauth2/v2.0/token"
        issued = httpx.post(url, data=form).json()
        assert issued["expires_in"] == issued["ext_expires_in"] == 0
        resp = httpx.get(emu.base_url + INBOX,
                         headers={"Authorization": f"Bearer {issued['access_token']}"})
        assert resp.status_code == status, leeway
        if status == 401:
            assert resp.json()["error"]["code"] == "InvalidAuthenticationToken"


def test_the_control_api_shows_and_resets_the_token_counters(emu: EmulatorServer) -> None:
    form = {"grant_type": "client_credentials", "client_id": "a", "client_secret": "s",
            "scope": SCOPE}
    url = f"{emu.url}/{emu.state.settings.tenant_id}/oauth2/v2.0/token"
    assert httpx.post(url, data=form).status_code == 200
    assert httpx.post(url, data={**form, "grant_type": "password"}).status_code == 400
    shown = httpx.get(f"{emu.url}/_emulator/counters").json()
    assert (shown["tokenRequests"], shown["tokensIssued"]) == (2, 1)
    assert httpx.post(f"{emu.url}/_emulator/counters/reset").status_code in (200, 204)
    assert httpx.get(f"{emu.url}/_emulator/counters").json()["tokenRequests"] == 0
