"""Issue 12's medium findings on the pages and development mode, through the real server
(`interlog.wsgi.running`: waitress on a free loopback port), on SQLite and PostgreSQL.

- `next` after a form or sign-in is a same-site path or the log (no open redirect);
- the session cookie is SameSite=Lax, Secure on an https `public_url`, and refused after 8 h;
- development mode answers only a loopback `Host` and, when sent, a loopback `Origin`
  (the pages and the bot alike);
- the CSV export neutralises cells a spreadsheet would run as a formula.
"""

from __future__ import annotations

import csv
import io
import json
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import httpx
import pytest
from flask import Flask
from itsdangerous import TimestampSigner
from sqlalchemy.engine import Engine

from interlog.app import create_app
from interlog.config import Settings, settings_from_dict
from interlog.wsgi import running
from tests.support.bot import (
    APP_ID,
    BOT,
    WEBHOOK_SECRET,
    activity,
    entries,
    fake_token_source,
)
from tests.support.databases import url_of
from tests.support.seed import Dataset, EntryRow, seed
from tests.support.web import csrf_token

pytestmark = pytest.mark.timeout(60)

SECRET_KEY = "a-test-secret-key-of-thirty-two-bytes!"


def make_settings(engine: Engine, *, public_url: str = "", anonymous: bool = True,
                  **web: Any) -> Settings:
    return settings_from_dict({
        "storage": {"url": url_of(engine)},
        "server": {"public_url": public_url},
        "web": {"allow_anonymous": anonymous, "secret_key": SECRET_KEY, **web},
        "bot": {"app_id": APP_ID, "allow_anonymous": anonymous,
                "openid_metadata_url": "http://127.0.0.1:9/unused",
                "outgoing_webhook_secret": WEBHOOK_SECRET},
    }, env={})


@pytest.fixture
def site(clean_engine: Engine) -> Callable[..., Any]:
    """`with site(**settings) as (app, base_url)`: the seeded app served by waitress."""
    seed(clean_engine, BOT)

    @contextmanager
    def serve(**keys: Any) -> Iterator[tuple[Flask, str]]:
        app = create_app(make_settings(clean_engine, **keys), engine=clean_engine,
                         token_source=fake_token_source)
        with running(app, threads=4) as base:
            yield app, base

    return serve


def csrf_of(page: httpx.Response) -> str:
    return csrf_token(page.text)


# 1. Open redirect --------------------------------------------------------------------------

HOSTILE_NEXT = [
    "/\t/evil.example/", "/\n/evil.example/", "/\r/evil.example/", "/ /evil.example/",
    "/log\r\nSet-Cookie: pwned=1", "/\x00/evil.example/", "/\x0b/evil.example/",
    "/\u3000/evil.example/", "/\u200b/evil.example/", "//evil.example/", "/\\evil.example/",
    "\\/evil.example/", "https://evil.example/", "http:/evil.example", "javascript:alert(1)",
    " /log", "", "log",
]


def test_next_that_is_not_a_same_site_path_falls_back_to_the_log(
        site: Callable[..., Any]) -> None:
    with site() as (_, base), httpx.Client(base_url=base, timeout=20) as http:
        token = csrf_of(http.get("/templates"))
        for target in HOSTILE_NEXT:
            answer = http.post("/entries/cancel", data={"csrf_token": token, "next": target})
            assert answer.status_code == 302, (target, answer.text[:300])
            assert answer.headers["Location"] == "/log", target
            assert "pwned" not in answer.headers.get("Set-Cookie", ""), target


def test_next_that_is_a_same_site_path_is_kept(site: Callable[..., Any]) -> None:
    with site() as (_, base), httpx.Client(base_url=base, timeout=20) as http:
        token = csrf_of(http.get("/templates"))
        for target in ("/log?template=CALL&status=all", "/contacts/C0001", "/log#top",
                       "/%09/not-a-host"):
            answer = http.post("/entries/cancel", data={"csrf_token": token, "next": target})
            assert answer.status_code == 302, target
            assert answer.headers["Location"] == target


# 2. Session cookie ----------------------------------------------------------------------------

@pytest.mark.parametrize(("public_url", "secure"), [
    ("https://interlog.example.com", True), ("http://interlog.example.com", False), ("", False),
])
def test_the_session_cookie_is_samesite_lax_and_secure_on_https(
        site: Callable[..., Any], public_url: str, secure: bool) -> None:
    with site(public_url=public_url) as (_, base):
        page = httpx.get(f"{base}/templates", timeout=20)  # a page with a form: a CSRF token
    assert page.status_code == 200
    cookie = page.headers["Set-Cookie"]
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert "samesite=lax" in cookie.lower()
    assert "httponly" in attributes
    assert ("secure" in attributes) is secure


def signed_session(app: Flask, data: dict[str, Any], *, age_seconds: int) -> str:
    """A session cookie as the app itself would have issued it `age_seconds` ago."""
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    assert serializer is not None
    issued = int(time.time()) - age_seconds
    with mock.patch.object(TimestampSigner, "get_timestamp", return_value=issued):
        return str(serializer.dumps(data))


def signed_in(hours_ago: float) -> dict[str, Any]:
    """A session's data, as sign-in leaves it, `hours_ago` hours after it."""
    return {"web_user": {"upn": "alice@contoso.com", "name": "A"},
            "signed_in_at": int(time.time() - hours_ago * 3600)}


def test_a_sign_in_lasts_eight_hours(site: Callable[..., Any]) -> None:
    with site(anonymous=False, client_id="web-app-id") as (app, base):
        for hours, valid in ((0, True), (7.9, True), (8.1, False), (24 * 30, False)):
            cookie = signed_session(app, signed_in(hours), age_seconds=int(hours * 3600))
            page = httpx.get(f"{base}/log", headers={"Cookie": f"session={cookie}"}, timeout=20)
            assert page.status_code == (200 if valid else 302), hours
            if not valid:
                assert page.headers["Location"].startswith("/auth/login")


def test_the_eight_hours_count_from_sign_in_not_from_the_cookie(
        site: Callable[..., Any]) -> None:
    """A page that changes the session (a flash, a CSRF token) re-signs the cookie: that
    must not extend the sign-in. A cookie from before sign-in times were kept is refused."""
    old_style = {"web_user": {"upn": "alice@contoso.com", "name": "A"}}
    with site(anonymous=False, client_id="web-app-id") as (app, base):
        for data, valid in ((signed_in(7.9), True), (signed_in(8.1), False),
                            (signed_in(-1), False), (old_style, False),
                            ({**signed_in(0), "signed_in_at": "0"}, False)):
            cookie = signed_session(app, data, age_seconds=60)  # re-issued a minute ago
            page = httpx.get(f"{base}/log", headers={"Cookie": f"session={cookie}"}, timeout=20)
            assert page.status_code == (200 if valid else 302), data
            if not valid:
                assert page.headers["Location"].startswith("/auth/login")
                assert "web_user" not in page.headers.get("Set-Cookie", "")


# 3. Development mode: loopback Host and Origin only ------------------------------------------

LOOPBACK_HOSTS = ("127.0.0.1:{port}", "localhost:{port}", "LOCALHOST", "[::1]:{port}",
                  "127.0.0.1", "127.0.0.2:{port}")
FOREIGN_HOSTS = (
    "evil.example", "evil.example:{port}", "127.0.0.1.nip.io:{port}", "localhost.evil.example",
    "evil.example@127.0.0.1:{port}", "0.0.0.0:{port}", "192.168.1.10:{port}", "[::]:{port}",
    "localhost:notaport", "localhost:{port}/x", "",
)


def test_development_mode_answers_a_loopback_host_only(site: Callable[..., Any]) -> None:
    """DNS rebinding, or a proxy / tunnel that forwards the public Host: not loopback."""
    with site() as (_, base), httpx.Client(base_url=base, timeout=20) as http:
        port = base.rsplit(":", 1)[1]
        for host in LOOPBACK_HOSTS + FOREIGN_HOSTS:
            page = http.get("/log", headers={"Host": host.format(port=port)})
            assert page.status_code == (200 if host in LOOPBACK_HOSTS else 403), host


ORIGINS = (("http://127.0.0.1:{port}", True), ("http://localhost:{port}", True),
           ("http://[::1]:{port}", True), ("https://evil.example", False), ("null", False),
           ("http://127.0.0.1.evil.example", False), ("file://", False),
           ("http://localhost:{port}/path", False))


def test_development_mode_refuses_a_cross_site_origin(
        site: Callable[..., Any], clean_engine: Engine) -> None:
    """A browser sends Origin on cross-site fetch and POST: only loopback pages may drive
    development mode, on the pages and on the bot alike."""
    logged = 0
    with site() as (_, base), httpx.Client(base_url=base, timeout=20) as http:
        port = base.rsplit(":", 1)[1]
        for origin, allowed in ORIGINS:
            headers = {"Origin": origin.format(port=port)}
            assert http.get("/log", headers=headers).status_code == (200 if allowed else 403)
            # a cross-site fetch() with a text/plain body: no CORS preflight needed
            bot = http.post("/api/messages", headers={**headers, "Content-Type": "text/plain"},
                            content=json.dumps(activity("log call with Jane Doe 15 min")))
            assert bot.status_code == (200 if allowed else 401), (origin, bot.text[:300])
            logged += allowed
            assert len(entries(clean_engine)) == logged, origin


def test_the_bot_development_mode_refuses_a_foreign_host(site: Callable[..., Any],
                                                         clean_engine: Engine) -> None:
    with site() as (_, base):
        answer = httpx.post(f"{base}/api/messages", json=activity("log call with Jane Doe"),
                            headers={"Host": "tunnel.example"}, timeout=20)
    assert answer.status_code == 401
    assert entries(clean_engine) == []


def test_development_mode_refuses_headers_a_proxy_adds(site: Callable[..., Any]) -> None:
    """Waitress itself drops X-Forwarded-* and Forwarded (no trusted_proxy): these it keeps."""
    with site() as (_, base), httpx.Client(base_url=base, timeout=20) as http:
        for header in ("X-Real-IP", "Via", "CF-Connecting-IP", "True-Client-IP"):
            assert http.get("/log", headers={header: "203.0.113.7"}).status_code == 403, header


def test_development_mode_refuses_http_1_0(site: Callable[..., Any]) -> None:
    """HTTP/1.0 is what nginx speaks upstream by default (`proxy_http_version`)."""
    with site() as (_, base):
        host, port = base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=20) as conn:
            conn.sendall(f"GET /log HTTP/1.0\r\nHost: {host}:{port}\r\n\r\n".encode())
            status = conn.makefile("rb").readline().decode()
    assert status.split()[1] == "403", status


# 4. CSV export ---------------------------------------------------------------------------------

FORMULAS = ("=HYPERLINK(\"http://evil.example\",\"open\")", "+1+1", "-2+3", "@SUM(A1)",
            "\tcmd", "\rcmd", "Renewal terms")


def test_the_csv_export_neutralises_formulas(site: Callable[..., Any],
                                             clean_engine: Engine) -> None:
    seed(clean_engine, Dataset(entries=tuple(
        EntryRow("C0001", "CALL", "alice@contoso.com", "manual", f"2025-01-{i + 10}T09:00", s)
        for i, s in enumerate(FORMULAS))))
    with site() as (_, base):
        export = httpx.get(f"{base}/log.csv", timeout=20)
    assert export.status_code == 200
    rows = list(csv.DictReader(io.StringIO(export.text)))
    stored = {e.entry_no: e.subject for e in entries(clean_engine)}
    assert len(rows) == len(FORMULAS)
    for row in rows:
        subject = stored[int(row["entry_no"])]
        risky = subject[:1] in ("=", "+", "-", "@", "\t", "\r")
        assert row["subject"] == ("'" + subject if risky else subject)
        assert float(row["cost"]) == 1.5  # numbers stay numbers
    assert "'=HYPERLINK(\"http://evil.example\",\"open\")" in {r["subject"] for r in rows}
