"""`POST /api/messages` with a token is answered in front of Flask (`bot.flask_host.
DirectPosts`): the same status, headers (the pages' security headers included) and body as
the Flask view gives the same request, for answers, refusals and errors alike."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, request, request_started
from sqlalchemy.engine import Engine
from werkzeug.test import Client

from bot.flask_host import DirectPosts
from tests.support.bot import (
    BotClient,
    SigningKey,
    activity,
    bot_client,
    card_action,
    entries,
)
from tests.support.servers import base_url, local_server

Answered = tuple[int, list[tuple[str, str]], bytes]


def _post(wsgi: Any, body: bytes, token: str | None) -> Answered:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = token
    response = Client(wsgi).post("/api/messages", data=body, headers=headers)
    return response.status_code, sorted(response.headers.items()), response.get_data()


def _both(app: Flask, body: bytes, token: str | None) -> tuple[Answered, Answered]:
    """The request through the app (the direct path), then through Flask alone."""
    direct = app.wsgi_app
    assert isinstance(direct, DirectPosts)
    return _post(app, body, token), _post(direct.flask_wsgi, body, token)


def _json(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


CASES: dict[str, Callable[[SigningKey], tuple[bytes, str | None]]] = {
    "a read": lambda key: (_json(activity("show C0001")), f"Bearer {key.token()}"),
    "help": lambda key: (_json(activity("help")), f"Bearer {key.token()}"),
    "a refusal": lambda key: (_json(activity("log call with Nobody Atall")),
                              f"Bearer {key.token()}"),
    "a card's button, refused": lambda key: (_json(card_action({"action": "explode"})),
                                             f"Bearer {key.token()}"),
    "another invoke": lambda key: (_json({**activity(None), "type": "invoke", "name": "x"}),
                                   f"Bearer {key.token()}"),
    "a type not handled": lambda key: (_json({**activity(None), "type": "typing"}),
                                       f"Bearer {key.token()}"),
    "a forged token": lambda key: (_json(activity("help")), f"Bearer {key.token()}x"),
    "not a bearer": lambda key: (_json(activity("help")), "Basic abc"),
    "not JSON": lambda key: (b"{", f"Bearer {key.token()}"),
    "not an object": lambda key: (b"[1]", f"Bearer {key.token()}"),
    "a wrong field": lambda key: (_json({**activity("help"), "locale": 5}),
                                  f"Bearer {key.token()}"),
    "unanswerable": lambda key: (_json({k: v for k, v in activity("help").items()
                                        if k != "recipient"}), f"Bearer {key.token()}"),
    "too large": lambda key: (b" " * (300 * 1024), f"Bearer {key.token()}"),
    "no token (Flask's)": lambda key: (_json(activity("help")), None),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_direct_answer_is_the_flask_views(sqlite_client: BotClient, signing_key: SigningKey,
                                              case: str) -> None:
    body, token = CASES[case](signing_key)
    direct, flask = _both(sqlite_client.app, body, token)
    assert direct == flask
    assert ("X-Content-Type-Options", "nosniff") in direct[1]


def test_a_reply_to_the_bot_connector_is_answered_202_as_by_flask(
        sqlite_bot_engine: Engine, openid_url: str, signing_key: SigningKey) -> None:
    with local_server({}) as connector:
        service_url = base_url(connector) + "/"
        client = bot_client(sqlite_bot_engine, openid_url, signing_key, allow_anonymous=True)
        body = activity("log call with C0001", expect_replies=False, service_url=service_url)
        direct, flask = _both(client.app, _json(body),
                              f"Bearer {signing_key.token(service_url=service_url)}")
    assert direct == flask
    assert direct[0] == 202
    assert len(entries(sqlite_bot_engine)) == 1  # the second, a redelivery, answered again
    assert len(connector.posted) == 2


def test_a_failure_outside_the_command_is_flasks_500(
        sqlite_client: BotClient, signing_key: SigningKey,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """An unexpected failure around the command gets Flask's own answer (logged, 500)."""
    app = sqlite_client.app
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken(*args: Any) -> None:
        raise RuntimeError("broken")

    monkeypatch.setattr("bot.teams.handle_install", broken)
    body = _json({**activity(None), "type": "installationUpdate", "action": "add"})
    direct, flask = _both(app, body, f"Bearer {signing_key.token()}")
    assert direct == flask
    assert direct[0] == 500


def test_only_a_request_without_a_token_goes_through_flask(sqlite_client: BotClient,
                                                           signing_key: SigningKey) -> None:
    started: list[str] = []

    def seen(sender: Flask, **extra: Any) -> None:
        started.append(request.path)

    with request_started.connected_to(seen, sqlite_client.app):
        sqlite_client.send(activity("show C0001"))
        sqlite_client.send(activity("help"), token=None)  # 401 from the Flask view
        sqlite_client.http.get("/api/messages")
    assert started == ["/api/messages"] * 2
