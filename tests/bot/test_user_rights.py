"""Rights come from the users table, which `[[user]]` seeds when the app is built.

A change of `[[user]]` in the configuration reaches Teams (and the pages of the same app)
when the app starts again, without `interlog init`.
"""

from __future__ import annotations

import json
from dataclasses import replace

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from interlog.app import create_app
from interlog.config import UserSettings
from storage.models import AuditEvent
from tests.support.bot import (
    ALICE,
    BOB,
    CAROL,
    BotClient,
    SigningKey,
    activity,
    bot_client,
    entries,
    fake_token_source,
    make_settings,
    reply_text,
)
from tests.support.web import signed_in

ALICE_ADMIN = UserSettings("alice@contoso.com", salesperson_code="AL", aad_object_id=ALICE,
                           admin=True)
CAROL_NOT_ADMIN = UserSettings("carol@contoso.com", salesperson_code="CA", aad_object_id=CAROL)


def started_with(engine: Engine, openid_url: str, key: SigningKey,
                 *users: UserSettings) -> BotClient:
    """The app built from a configuration whose `[[user]]` entries are `users`."""
    settings = replace(make_settings(openid_url), users=users)
    app = create_app(settings, engine=engine, token_source=fake_token_source)
    return BotClient(app, app.test_client(), key)


def say(client: BotClient, text: str, aad: str) -> str:
    response = client.send(activity(text, aad=aad))
    assert response.status_code == 200
    return reply_text(response.get_json())


def test_an_admin_change_in_the_config_reaches_the_bot_when_the_app_starts(
    bot_engine: Engine, openid_url: str, signing_key: SigningKey
) -> None:
    before = bot_client(bot_engine, openid_url, signing_key)  # no [[user]]: the table as it is
    assert say(before, "log call with C0001", BOB).startswith("Logged #")
    [entry] = entries(bot_engine)
    no = entry.entry_no
    assert say(before, f"cancel {no}", ALICE) == (
        f"Entry #{no} is not yours; only an admin may change it.")
    assert say(before, f"cancel {no}", CAROL) == f"Canceled #{no}"

    after = started_with(bot_engine, openid_url, signing_key, ALICE_ADMIN, CAROL_NOT_ADMIN)
    assert say(after, f"restore {no}", CAROL) == (
        f"Entry #{no} is not yours; only an admin may change it.")
    assert say(after, f"restore {no}", ALICE) == f"Restored #{no}"
    assert [e.canceled for e in entries(bot_engine)] == [False]
    with Session(bot_engine) as session:
        seeded = session.execute(sa.select(AuditEvent.actor, AuditEvent.details)
                                 .where(AuditEvent.action == "users")).all()
    assert [(actor, json.loads(details)) for actor, details in seeded] == [
        ("config:app", {"added": [], "updated": ["alice@contoso.com", "carol@contoso.com"],
                        "removed": ["bob@contoso.com"]})]  # bob is not in the new config
    assert say(after, "log call with C0001", BOB).startswith("Your Teams account is not mapped")


def test_a_person_added_to_the_config_is_known_to_the_bot_when_the_app_starts(
    bot_engine: Engine, openid_url: str, signing_key: SigningKey
) -> None:
    dave = UserSettings("dave@contoso.com", salesperson_code="DA", aad_object_id="aad-dave")
    before = bot_client(bot_engine, openid_url, signing_key)
    assert say(before, "log call with C0001", "aad-dave").startswith(
        "Your Teams account is not mapped to an interlog user")
    after = started_with(bot_engine, openid_url, signing_key, dave)
    assert say(after, "log call with C0001", "aad-dave").startswith("Logged #")
    [entry] = entries(bot_engine)
    assert (entry.user_upn, entry.salesperson_code) == ("dave@contoso.com", "DA")


def test_the_pages_of_the_same_app_read_the_same_rights(
    bot_engine: Engine, openid_url: str, signing_key: SigningKey
) -> None:
    def delete_link(client: BotClient, upn: str) -> bool:
        with client.http.session_transaction() as cookie:
            cookie.update(signed_in(upn))  # as a sign-in leaves it
        page = client.http.get("/log")
        assert page.status_code == 200
        return 'id="delete-canceled"' in page.get_data(as_text=True)

    before = bot_client(bot_engine, openid_url, signing_key)
    assert (delete_link(before, "alice@contoso.com"), delete_link(before, "carol@contoso.com")) \
        == (False, True)
    after = started_with(bot_engine, openid_url, signing_key, ALICE_ADMIN, CAROL_NOT_ADMIN)
    assert (delete_link(after, "alice@contoso.com"), delete_link(after, "carol@contoso.com")) \
        == (True, False)
