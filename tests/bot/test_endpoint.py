"""/api/messages as Teams reaches it: tokens, bad input, buttons, replies to the serviceUrl."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from interlog.app import create_app
from interlog.config import ConfigError
from storage.db import make_engine
from tests.support.bot import (
    APP_ID,
    BOB,
    BOT,
    BotClient,
    SigningKey,
    activity,
    bot_client,
    card_action,
    entries,
    make_settings,
    reply_card,
    reply_text,
)
from tests.support.seed import seed
from tests.support.servers import base_url, local_server

pytestmark = pytest.mark.timeout(60)


def test_valid_token_is_accepted(sqlite_client: BotClient) -> None:
    response = sqlite_client.send(activity("help"))
    assert response.status_code == 200
    assert reply_text(response.get_json()).startswith("I log your interactions")


@pytest.mark.parametrize("case", ["missing", "not bearer", "garbage", "forged", "expired",
                                  "wrong audience", "wrong issuer", "service url mismatch",
                                  "no service url claim", "HS256"])
def test_bad_tokens_get_401_and_change_nothing(sqlite_client: BotClient, case: str) -> None:
    key = sqlite_client.key
    headers = {}
    tokens: dict[str, Callable[[], str | None]] = {
        "missing": lambda: None,
        "not bearer": lambda: None,
        "garbage": lambda: "not.a.jwt",
        "forged": lambda: SigningKey(kid=key.kid).token(),  # same kid, another private key
        "expired": lambda: key.token(expires_in=-400),  # beyond the 5 minutes of clock skew
        "wrong audience": lambda: key.token(aud="99999999-2222-3333-4444-555555555555"),
        "wrong issuer": lambda: key.token(iss="https://evil.example"),
        "service url mismatch": lambda: key.token(service_url="https://evil.example/"),
        "no service url claim": lambda: key.token(service_url=None),
        "HS256": _hs256,
    }
    token = tokens[case]()
    if case == "not bearer":
        headers["Authorization"] = "Basic dXNlcjpwYXNz"
    response = sqlite_client.send(activity("log call with C0001"), token=token, headers=headers)
    assert response.status_code == 401
    assert "error" in response.get_json()
    assert entries(sqlite_client.app.extensions["interlog"].engine) == []


def _hs256() -> str:
    import jwt

    return jwt.encode({"aud": APP_ID, "iss": "https://api.botframework.com", "exp": 2**31},
                      "a-shared-secret-of-thirty-two-bytes!", algorithm="HS256")


def test_expired_within_clock_skew_is_accepted(sqlite_client: BotClient) -> None:
    token = sqlite_client.key.token(expires_in=-60)
    assert sqlite_client.send(activity("help"), token=token).status_code == 200


def test_key_not_endorsed_for_the_channel(sqlite_client: BotClient) -> None:
    body = activity("help", channelId="slack")
    assert sqlite_client.send(body).status_code == 401


def test_foreign_tenant_is_refused(sqlite_bot_engine: Engine, openid_url: str,
                                   signing_key: SigningKey) -> None:
    client = bot_client(sqlite_bot_engine, openid_url, signing_key,
                        app_tenant_id="ffffffff-0000-0000-0000-000000000000")
    response = client.send(activity("log call with C0001"))
    assert response.status_code == 403
    assert entries(sqlite_bot_engine) == []


@pytest.mark.parametrize(("data", "content_type"), [
    (b"{not json", "application/json"),
    (b"[1, 2]", "application/json"),
    (b'{"type": "message"}', "application/json"),  # no conversation
    (b'{"type": 5, "conversation": {"id": "x"}}', "application/json"),
])
def test_not_an_activity_is_400(sqlite_client: BotClient, data: bytes, content_type: str) -> None:
    token = sqlite_client.key.token()
    response = sqlite_client.http.post("/api/messages", data=data, content_type=content_type,
                                       headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400
    assert "error" in response.get_json()


def test_oversized_body_is_413(sqlite_client: BotClient) -> None:
    response = sqlite_client.send(activity("log call with C0001 about " + "x" * 300_000))
    assert response.status_code == 413
    assert entries(sqlite_client.app.extensions["interlog"].engine) == []


def test_unhandled_activity_type_is_ignored(sqlite_client: BotClient) -> None:
    body = activity(None, type="conversationUpdate", membersAdded=[{"id": "28:bot"}])
    response = sqlite_client.send(body)
    assert response.status_code == 200
    assert response.get_json() == {}


def test_cancel_button_submit_and_execute(sqlite_client: BotClient) -> None:
    sqlite_client.send(activity("log call with C0001"))
    [entry] = entries(sqlite_client.app.extensions["interlog"].engine)
    # Action.Submit: a message with no text and the button's data as value.
    submitted = sqlite_client.send(activity(None, value={"action": "cancel",
                                                         "entry_no": entry.entry_no}))
    assert reply_text(submitted.get_json()) == f"Canceled #{entry.entry_no}"
    # Action.Execute: an invoke, answered synchronously with the card that replaces it.
    response = sqlite_client.send(card_action({"action": "restore", "entry_no": entry.entry_no}))
    assert response.status_code == 200
    body = response.get_json()
    assert body["statusCode"] == 200
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    assert body["value"]["body"][0]["text"] == f"Restored #{entry.entry_no}"
    assert body["value"]["actions"][0]["data"] == {"action": "cancel", "entry_no": entry.entry_no}
    assert entries(sqlite_client.app.extensions["interlog"].engine)[0].canceled is False
    refused = sqlite_client.send(card_action({"action": "cancel", "entry_no": entry.entry_no},
                                             aad=BOB)).get_json()
    assert refused["type"] == "application/vnd.microsoft.activity.message"
    assert refused["value"] == f"Entry #{entry.entry_no} is not yours; only an admin may change it."
    bogus = sqlite_client.send(card_action({"action": "explode"})).get_json()
    assert bogus["value"] == "That button is not valid any more."


def test_reply_goes_to_the_service_url_with_the_bots_token(
        sqlite_bot_engine: Engine, openid_url: str, signing_key: SigningKey) -> None:
    """Without expectReplies the reply is POSTed to the Bot Connector (here a local one)."""
    with local_server({}) as connector:
        service_url = base_url(connector) + "/"
        # allow_anonymous turns off the Microsoft-hosts-only serviceUrl check (local dev).
        client = bot_client(sqlite_bot_engine, openid_url, signing_key, allow_anonymous=True)
        body = activity("log call with C0001", expect_replies=False, service_url=service_url)
        assert client.send(body).status_code == 202
        anonymous = activity("help", expect_replies=False, service_url=service_url)
        assert client.send(anonymous, token=None).status_code == 202
    [entry] = entries(sqlite_bot_engine)
    (path, headers, reply), (_, anon_headers, _) = connector.posted
    assert path == f"/v3/conversations/a:conv1/activities/{body['id']}"
    assert headers["Authorization"] == "Bearer fake-bot-token"
    assert "Authorization" not in anon_headers
    assert reply["attachments"][0]["content"]["body"][0]["text"] == f"Logged #{entry.entry_no}"


def test_service_url_outside_microsoft_is_refused_in_production(sqlite_client: BotClient) -> None:
    body = activity("help", expect_replies=False, service_url="https://evil.example/")
    assert sqlite_client.send(body).status_code == 401


def test_anonymous_only_from_loopback(sqlite_bot_engine: Engine, openid_url: str,
                                      signing_key: SigningKey) -> None:
    client = bot_client(sqlite_bot_engine, openid_url, signing_key, allow_anonymous=True)
    assert client.send(activity("help"), token=None).status_code == 200
    remote = client.http.post("/api/messages", json=activity("help"),
                              environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert remote.status_code == 401
    # A token that is sent is still checked, anonymous or not.
    assert client.send(activity("help"), token="not.a.jwt").status_code == 401


def test_anonymous_refused_unless_listening_on_loopback(sqlite_bot_engine: Engine) -> None:
    settings = make_settings("http://127.0.0.1:1/none", allow_anonymous=True)
    from dataclasses import replace

    for host in ("0.0.0.0", "10.0.0.4", "bot.contoso.com"):
        exposed = replace(settings, server=replace(settings.server, host=host))
        with pytest.raises(ConfigError, match="allow_anonymous"):
            create_app(exposed, engine=sqlite_bot_engine)
    for host in ("127.0.0.1", "::1", "localhost"):
        local = replace(settings, server=replace(settings.server, host=host))
        assert create_app(local, engine=sqlite_bot_engine) is not None


def test_database_error_apologises_with_a_ref_and_writes_nothing(
        own_sqlite_engine: Engine, openid_url: str, signing_key: SigningKey,
        caplog: pytest.LogCaptureFixture) -> None:
    engine = own_sqlite_engine  # broken below: not the shared file
    seed(engine, BOT)
    with engine.begin() as connection:  # the entry insert works, its audit row cannot
        connection.execute(sa.text("DROP TABLE audit_events"))
    client = bot_client(engine, openid_url, signing_key)
    with caplog.at_level(logging.ERROR, logger="bot.runner"):
        response = client.send(activity("log call with C0001"))
    assert response.status_code == 200
    text = reply_text(response.get_json())
    assert text.startswith("Sorry, something went wrong on my side (ref ")
    ref = text.split("(ref ")[1][:8]
    [record] = [r for r in caplog.records if ref in r.getMessage()]
    assert record.exc_info is not None
    assert entries(engine) == []
    engine.dispose()


def test_healthz(sqlite_client: BotClient, openid_url: str, signing_key: SigningKey,
                 tmp_path: object) -> None:
    assert sqlite_client.http.get("/healthz").get_json() == {"status": "ok"}
    down = make_engine(f"sqlite:///{tmp_path}/missing/dir/x.db")
    client = bot_client(down, openid_url, signing_key)
    assert client.http.get("/healthz").status_code == 503


def test_unreachable_key_metadata_is_401_not_500(sqlite_bot_engine: Engine,
                                                 signing_key: SigningKey) -> None:
    client = bot_client(sqlite_bot_engine, "http://127.0.0.1:9/nothing", signing_key)
    assert client.send(activity("help")).status_code == 401


def test_spanish_card_action(sqlite_client: BotClient) -> None:
    sqlite_client.send(activity("registrar llamada con C0001", locale="es-ES"))
    [entry] = entries(sqlite_client.app.extensions["interlog"].engine)
    body = sqlite_client.send(card_action({"action": "cancel", "entry_no": entry.entry_no},
                                          locale="es-ES")).get_json()
    assert body["value"]["body"][0]["text"] == f"Cancelado #{entry.entry_no}"
    assert body["value"]["actions"][0]["title"] == "Restaurar"
    assert reply_card(sqlite_client.send(activity("mostrar C0001", locale="es-ES")).get_json())[
        "body"][0]["text"] == "Aún no hay interacciones activas con Jane Doe (C0001)."

