"""The app on a real waitress server, and `interlog serve` itself, driven over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine

from interlog.app import create_app
from interlog.wsgi import running
from tests.support.bot import (
    BOT,
    SigningKey,
    activity,
    entries,
    fake_token_source,
    hmac_header,
    make_settings,
    reply_text,
)
from tests.support.databases import url_of
from tests.support.seed import seed

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def live_url(bot_engine: Engine, openid_url: str) -> Iterator[str]:
    app = create_app(make_settings(openid_url), engine=bot_engine,
                     token_source=fake_token_source)
    with running(app, threads=4) as url:
        yield url


def test_live_log_show_cancel_with_jwt(live_url: str, bot_engine: Engine,
                                       signing_key: SigningKey) -> None:
    headers = {"Authorization": f"Bearer {signing_key.token()}"}
    with httpx.Client(base_url=live_url, headers=headers, timeout=20) as http:
        logged = http.post("/api/messages", json=activity("log call with Jane Doe 15 min"))
        assert logged.status_code == 200
        [entry] = entries(bot_engine)
        assert reply_text(logged.json()) == f"Logged #{entry.entry_no}: Jane Doe, CALL"
        shown = http.post("/api/messages", json=activity("show C0001")).json()
        assert f"#{entry.entry_no}" in reply_text(shown)
        canceled = http.post("/api/messages", json=activity(f"cancel {entry.entry_no}")).json()
        assert reply_text(canceled) == f"Canceled #{entry.entry_no}"
        assert http.post("/api/messages", json=activity("help"),
                         headers={"Authorization": "Bearer x.y.z"}).status_code == 401
        assert http.post("/api/messages", content=b"x" * 300_000).status_code == 413


def test_live_webhook_with_real_hmac(live_url: str, bot_engine: Engine) -> None:
    raw = json.dumps(activity("log meeting with John Smith about kickoff",
                              expect_replies=False)).encode()
    with httpx.Client(base_url=live_url, timeout=20) as http:
        ok = http.post("/api/teams/webhook", content=raw,
                       headers={"Authorization": hmac_header(raw),
                                "Content-Type": "application/json"})
        assert ok.status_code == 200
        [entry] = entries(bot_engine)
        assert ok.json()["text"] == f"Logged #{entry.entry_no}: John Smith, MEETING"
        bad = http.post("/api/teams/webhook", content=raw + b" ",
                        headers={"Authorization": hmac_header(raw)})
        assert bad.status_code == 401


def _wait_healthy(url: str, process: subprocess.Popen[bytes], deadline_s: float) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode()  # type: ignore[union-attr]
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError(f"{url} did not become healthy in {deadline_s} s")


ROOT = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    """The test's environment without interlog settings; the working tree on the path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTERLOG_")}
    env["PYTHONPATH"] = str(ROOT)
    return env


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_interlog_serve_anonymous_on_loopback_answers_expect_replies(
        tmp_path: Path, clean_sqlite_engine: Engine) -> None:
    """The issue's "done when": `interlog serve`, allow_anonymous, expectReplies, an entry."""
    engine = clean_sqlite_engine
    db_url = url_of(engine)
    seed(engine, BOT)
    config = tmp_path / "interlog.toml"
    config.write_text(f'[storage]\nurl = "{db_url}"\n[bot]\nallow_anonymous = true\n')
    port = _free_port()
    interlog = Path(sys.executable).with_name("interlog")
    process = subprocess.Popen([str(interlog), "--config", str(config), "serve", "--port",
                                str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=_env(), cwd=tmp_path)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, process, 30)
        response = httpx.post(f"{url}/api/messages", timeout=20,
                              json=activity("log call with Jane Doe about renewal 15 min"))
        assert response.status_code == 200
        [entry] = entries(engine)
        assert reply_text(response.json()).startswith(f"Logged #{entry.entry_no}")
    finally:
        process.terminate()
        process.wait(timeout=10)
        engine.dispose()


def test_interlog_serve_refuses_anonymous_on_a_public_address(tmp_path: Path) -> None:
    config = tmp_path / "interlog.toml"
    config.write_text('[bot]\nallow_anonymous = true\n')
    interlog = Path(sys.executable).with_name("interlog")
    result = subprocess.run([str(interlog), "--config", str(config), "serve", "--host",
                             "0.0.0.0", "--port", "0"], capture_output=True, timeout=30,
                            env=_env(), cwd=tmp_path)
    assert result.returncode == 1
    assert b"allow_anonymous is for local development only" in result.stderr
    assert b"Traceback" not in result.stderr
