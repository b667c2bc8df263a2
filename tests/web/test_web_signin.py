"""Sign-in end to end: Microsoft's `identity`/MSAL against a fake OIDC provider over HTTPS."""

from __future__ import annotations

import ssl
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from interlog.config import settings_from_dict
from tests.support.databases import migrated
from tests.support.oidc import TENANT, FakeIdp, fake_idp
from tests.support.seed import seed
from tests.support.servers import live_server
from tests.support.web import USERS, WEB, make_app


@pytest.fixture
def idp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeIdp]:
    with fake_idp(tmp_path) as provider:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(provider.ca_file))
        yield provider


@contextmanager
def _site(tmp_path: Path, idp: FakeIdp, users: list[dict[str, Any]] = USERS) -> Iterator[str]:
    """interlog with sign-in through `idp` (tenant TENANT), on a fresh seeded database."""
    url = f"sqlite:///{tmp_path / f'signin-{uuid.uuid4().hex[:6]}.db'}"
    settings = settings_from_dict({
        "storage": {"url": url}, "graph": {"tenant_id": TENANT},
        "web": {"client_id": "web-app", "client_secret": "s3cret", "authority": idp.authority},
        "user": users,
    }, env={})
    with migrated(url) as engine:
        seed(engine, WEB)
        with live_server(make_app(settings, engine)) as base:
            yield base


def _browse(base: str, idp: FakeIdp, path: str = "/log?template=CALL") -> httpx.Response:
    trust = ssl.create_default_context(cafile=str(idp.ca_file))
    with httpx.Client(verify=trust, follow_redirects=True, timeout=30) as client:
        return client.get(f"{base}{path}")


def test_a_configured_user_signs_in_and_lands_on_the_page_asked_for(
    tmp_path: Path, idp: FakeIdp
) -> None:
    idp.account = {"aud": "web-app", "preferred_username": "Alice@contoso.com",
                   "name": "Alice Smith", "oid": "oid-alice"}
    with _site(tmp_path, idp) as base:
        response = _browse(base, idp)
    assert response.status_code == 200
    assert str(response.url).endswith("/log?template=CALL")
    assert "Alice Smith" in response.text
    assert idp.token_requests == 1


@pytest.mark.parametrize(("account", "why"), [
    ({"aud": "web-app", "preferred_username": "mallory@contoso.com", "oid": "x"},
     "not a [[user]]"),
    ({"aud": "another-app", "preferred_username": "alice@contoso.com", "oid": "x"},
     "another application"),
    ({"aud": "web-app", "preferred_username": "alice@contoso.com", "oid": "x",
      "tid": "tenant-y"}, "another tenant"),
])
def test_a_stranger_or_a_foreign_token_is_refused(
    tmp_path: Path, idp: FakeIdp, account: dict[str, Any], why: str
) -> None:
    idp.account = account
    with _site(tmp_path, idp) as base:
        response = _browse(base, idp)
    assert response.status_code == 403
    assert why in response.text


def test_a_users_configured_object_id_must_match(tmp_path: Path, idp: FakeIdp) -> None:
    users = [{"upn": "alice@contoso.com", "aad_object_id": "oid-alice"}]
    idp.account = {"aud": "web-app", "preferred_username": "alice@contoso.com",
                   "oid": "oid-somebody-else"}
    with _site(tmp_path, idp, users) as base:
        assert _browse(base, idp).status_code == 403
    idp.account["oid"] = "oid-alice"
    with _site(tmp_path, idp, users) as base:
        assert _browse(base, idp).status_code == 200


def test_an_unreachable_provider_is_a_clear_502(tmp_path: Path, idp: FakeIdp) -> None:
    idp.base = "https://127.0.0.1:9"  # nothing listens there
    with _site(tmp_path, idp) as base:
        response = _browse(base, idp, "/auth/login")
    assert response.status_code == 502
    assert "did not answer" in response.text
