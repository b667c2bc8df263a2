"""Issue 12, items 9 and the development-mode leftover, through `interlog serve` itself (a
process on a free loopback port), on SQLite and PostgreSQL:

- waitress refuses a body over `MAX_REQUEST_BODY` as soon as it reads `Content-Length` (it
  used to wait for, and spool, up to 1 GiB before the app could answer 413); bodies under it
  still get each endpoint's own answer;
- in development mode waitress keeps `X-Forwarded-For` and `Forwarded`, so the
  development-mode check sees a local proxy and refuses it (pages and bot alike).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.engine import Engine

from interlog.wsgi import MAX_REQUEST_BODY
from tests.support.bot import BOT, activity, entries
from tests.support.databases import BACKENDS, emptied, url_of
from tests.support.plugin import engine_for
from tests.support.seed import seed
from tests.support.serve import interlog_serve, raw_status

pytestmark = pytest.mark.timeout(90)


@pytest.fixture(scope="module", params=BACKENDS)
def served(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Engine]]:
    """`interlog serve` in development mode (pages and bot) on the seeded database; one
    process per back-end for the module (starting one takes seconds)."""
    with emptied(engine_for(request, request.param)) as engine:
        seed(engine, BOT)
        config = (f'[storage]\nurl = "{url_of(engine)}"\n'
                  "[web]\nallow_anonymous = true\n[bot]\nallow_anonymous = true\n")
        with interlog_serve(config, tmp_path_factory.mktemp("serve")) as url:
            yield url, engine


@pytest.fixture
def dev_server(served: tuple[str, Engine]) -> str:
    return served[0]


def _post_head(url: str, path: str, length: int) -> bytes:
    host = url.removeprefix("http://")
    return (f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length}\r\nConnection: close\r\n\r\n").encode()


def test_the_server_refuses_a_body_over_its_limit_without_reading_it(dev_server: str) -> None:
    """Only the headers are sent: the 413 comes before any of the declared body (the old
    server waited for all of it, so this read timed out)."""
    for path in ("/api/graph/notifications", "/api/messages", "/api/v1/interactions", "/log"):
        status, answer = raw_status(dev_server, _post_head(dev_server, path, 50 * 2**20),
                                    timeout=20)
        assert status == 413, (path, answer[:300])
    status, _ = raw_status(dev_server, _post_head(dev_server, "/api/messages",
                                                  MAX_REQUEST_BODY), timeout=20)
    assert status == 413


def test_bodies_under_the_server_limit_get_the_endpoints_own_answer(dev_server: str) -> None:
    """The server's limit sits above every endpoint's, so each still answers in its format."""
    big = b'{"value": [' + b" " * 1_200_000 + b"]}"
    notifications = httpx.post(f"{dev_server}/api/graph/notifications", content=big,
                               headers={"Content-Type": "application/json"}, timeout=20)
    assert notifications.status_code == 413
    bot = httpx.post(f"{dev_server}/api/messages", content=b" " * 300_000, timeout=20)
    assert bot.status_code == 413
    assert "error" in bot.json()
    assert MAX_REQUEST_BODY > 1_000_000  # the notifications endpoint's own limit


@pytest.mark.parametrize("header", [
    ("X-Forwarded-For", "203.0.113.7"), ("Forwarded", "for=203.0.113.7;proto=https"),
    ("X-Forwarded-Host", "interlog.example.com"), ("X-Forwarded-Proto", "https"),
])
def test_development_mode_sees_and_refuses_forwarding_headers(
        served: tuple[str, Engine], header: tuple[str, str]) -> None:
    """A local proxy or tunnel adds these; waitress used to delete them before the check."""
    dev_server, engine = served
    with httpx.Client(base_url=dev_server, timeout=20) as http:
        assert http.get("/log").status_code == 200
        assert http.get("/log", headers=dict([header])).status_code == 403
        bot = http.post("/api/messages", headers=dict([header]),
                        content=json.dumps(activity("log call with Jane Doe 15 min")))
        assert bot.status_code == 401
    assert entries(engine) == []
