"""Sign-in, permissions, CSRF, headers and bad input on the pages (in-process WSGI client)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

from interlog.config import ConfigError, ServerSettings
from tests.support.databases import BACKENDS, emptied, url_of
from tests.support.plugin import engine_for
from tests.support.seed import seed
from tests.support.web import WEB, Site, make_app, settings_for, signed_in


@pytest.fixture(scope="module", params=BACKENDS)
def signed_in_site(request: pytest.FixtureRequest) -> Iterator[tuple[Flask, Site]]:
    """Sign-in configured (no development mode): users come from the session cookie. The
    module's tests share the seeded database: they own the session's until the module ends."""
    with emptied(engine_for(request, request.param)) as engine:
        seed(engine, WEB)
        settings = settings_for(url_of(engine), anonymous=False, client_id="web-app-id")
        yield make_app(settings, engine), Site(base="", engine=engine)


def _sign_in(client: FlaskClient, upn: str) -> str:
    """What the Entra ID callback leaves in the session; returns the CSRF token."""
    with client.session_transaction() as session:
        session.update(signed_in(upn, upn.split("@")[0]))
    client.get("/log")
    with client.session_transaction() as session:
        return str(session["csrf_token"])


def test_pages_send_strangers_to_sign_in_and_refuse_their_posts(
    signed_in_site: tuple[Flask, Site],
) -> None:
    app, site = signed_in_site
    client = app.test_client()
    page = client.get("/log?template=CALL")
    assert page.status_code == 302
    assert page.headers["Location"].startswith("/auth/login?next=/log")
    assert client.post("/entries/cancel", data={"one": "1"}).status_code == 401
    assert site.canceled() == []
    with client.session_transaction() as session:
        session.update(signed_in("mallory@contoso.com", "not a [[user]]"))
    assert client.get("/log").status_code == 302


def test_a_user_cancels_own_entries_only_and_never_deletes(
    signed_in_site: tuple[Flask, Site],
) -> None:
    app, site = signed_in_site
    client = app.test_client()
    token = _sign_in(client, "alice@contoso.com")
    own = client.post("/entries/cancel", data={"one": "1", "csrf_token": token},
                      follow_redirects=True)
    assert "#1" in own.get_data(as_text=True)
    assert site.canceled() == [1]
    others = client.post("/entries/cancel", data={"entry_no": ["2", "3"], "csrf_token": token},
                         follow_redirects=True)
    assert "#3 is not yours" in others.get_data(as_text=True)
    assert site.canceled() == [1]  # all or nothing: #2 (alice's) was not canceled either
    assert client.get("/entries/delete-canceled").status_code == 403
    assert client.post("/entries/delete-canceled",
                       data={"expected": "1", "csrf_token": token}).status_code == 403
    assert client.post("/templates/upload", data={"csrf_token": token}).status_code == 403
    assert site.entry_nos() == [1, 2, 3, 4, 5, 6]
    client.post("/entries/restore", data={"one": "1", "csrf_token": token})
    assert site.canceled() == []


def test_an_admin_changes_anyones_entries(signed_in_site: tuple[Flask, Site]) -> None:
    app, site = signed_in_site
    client = app.test_client()
    token = _sign_in(client, "carol@contoso.com")
    client.post("/entries/cancel", data={"entry_no": ["3", "4"], "csrf_token": token})
    assert site.canceled() == [3, 4]
    client.post("/entries/restore", data={"entry_no": ["3", "4"], "csrf_token": token})
    assert site.canceled() == []


@pytest.mark.parametrize("token", [None, "forged"])
def test_a_form_without_this_sessions_csrf_token_is_refused(
    signed_in_site: tuple[Flask, Site], token: str | None
) -> None:
    app, site = signed_in_site
    client = app.test_client()
    _sign_in(client, "carol@contoso.com")
    data = {"one": "2"} if token is None else {"one": "2", "csrf_token": token}
    response = client.post("/entries/cancel", data=data)
    assert response.status_code == 400
    assert "form expired" in response.get_data(as_text=True)
    assert site.canceled() == []


def test_pages_carry_security_headers(signed_in_site: tuple[Flask, Site]) -> None:
    app, _ = signed_in_site
    client = app.test_client()
    _sign_in(client, "alice@contoso.com")
    for response in (client.get("/log"), client.get("/contacts/NOPE"),
                     client.get("/static/web/app.js")):
        headers = response.headers
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"


def test_bad_templates_uploads_apply_nothing(signed_in_site: tuple[Flask, Site]) -> None:
    app, _ = signed_in_site
    client = app.test_client()
    token = _sign_in(client, "carol@contoso.com")
    before = client.get("/templates").get_data(as_text=True)
    broken = client.post("/templates/upload", data={
        "csrf_token": token, "file": (io.BytesIO(b'[[group]]\ncode = "X"\ndescription = \n'),
                                      "t.toml")})
    assert broken.status_code == 400
    assert "line 3: TOML syntax error" in broken.get_data(as_text=True)
    huge = client.post("/templates/upload", data={
        "csrf_token": token, "file": (io.BytesIO(b"#" * (300 * 1024)), "big.toml")})
    assert huge.status_code == 413
    assert "too large" in huge.get_data(as_text=True)
    assert client.get("/templates").get_data(as_text=True) == before


@pytest.mark.parametrize("query", ["since=yesterday", "status=deleted", "template=NOPE",
                                   "page=0", "contact=Nobody+At+All"])
def test_bad_filter_values_are_400_on_the_page_and_the_csv(
    signed_in_site: tuple[Flask, Site], query: str
) -> None:
    app, _ = signed_in_site
    client = app.test_client()
    _sign_in(client, "alice@contoso.com")
    assert client.get(f"/log?{query}").status_code == 400
    if not query.startswith("page"):
        assert client.get(f"/log.csv?{query}").status_code == 400


def test_redirects_after_a_post_stay_on_this_site(signed_in_site: tuple[Flask, Site]) -> None:
    app, _ = signed_in_site
    client = app.test_client()
    token = _sign_in(client, "alice@contoso.com")
    response = client.post("/entries/cancel", data={"csrf_token": token,
                                                    "next": "//evil.example/"})
    assert response.headers["Location"] == "/log"


def test_sign_in_without_an_entra_app_says_what_to_configure(own_sqlite_engine: Engine) -> None:
    engine = own_sqlite_engine  # not the shared file: signed_in_site holds it for the module
    settings = settings_for(url_of(engine), anonymous=False)
    seed(engine, WEB)
    response = make_app(settings, engine).test_client().get("/auth/login")
    assert response.status_code == 503
    assert "[web] client_id" in response.get_data(as_text=True)
    engine.dispose()


def test_development_mode_answers_loopback_only(own_sqlite_engine: Engine) -> None:
    engine = own_sqlite_engine  # not the shared file: signed_in_site holds it for the module
    settings = settings_for(url_of(engine))
    seed(engine, WEB)
    client = make_app(settings, engine).test_client()
    assert client.get("/log").status_code == 200
    remote = client.get("/log", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    proxied = client.get("/log", headers={"X-Forwarded-For": "203.0.113.9"})
    assert remote.status_code == proxied.status_code == 403
    wide = replace(settings, server=ServerSettings(host="0.0.0.0"))
    with pytest.raises(ConfigError, match="allow_anonymous"):
        make_app(wide, engine)
    engine.dispose()


def test_delete_canceled_deletes_only_the_set_that_was_counted(
    signed_in_site: tuple[Flask, Site],
) -> None:
    import re

    app, site = signed_in_site
    client = app.test_client()
    token = _sign_in(client, "carol@contoso.com")
    client.post("/entries/cancel", data={"entry_no": ["1", "2"], "csrf_token": token})
    shown = client.get("/entries/delete-canceled?contact=C002").get_data(as_text=True)
    assert re.search(r'id="delete-count"><b>2</b>', shown)
    expected = re.search(r'name="expected" value="([0-9a-f]+)"', shown)
    assert expected is not None
    client.post("/entries/restore", data={"one": "2", "csrf_token": token})
    client.post("/entries/cancel", data={"one": "2", "csrf_token": token})  # same set again
    client.post("/entries/restore", data={"one": "1", "csrf_token": token})  # now only #2
    stale = client.post("/entries/delete-canceled", data={
        "contact": "C002", "expected": expected.group(1), "csrf_token": token})
    assert stale.status_code == 200
    assert "changed since the count" in stale.get_data(as_text=True)
    assert site.entry_nos() == [1, 2, 3, 4, 5, 6]
    fresh = re.search(r'name="expected" value="([0-9a-f]+)"', stale.get_data(as_text=True))
    assert fresh is not None
    done = client.post("/entries/delete-canceled", data={
        "contact": "C002", "expected": fresh.group(1), "csrf_token": token})
    assert done.status_code == 302
    assert site.entry_nos() == [1, 3, 4, 5, 6]
