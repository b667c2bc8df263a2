"""`show` names the contact's upcoming meetings apart from its log (they are not entries)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from connector.capture import build_capture_context, capture_page
from interlog.config import settings_from_dict
from storage.models import utcnow
from tests.support.bot import ALICE, BotClient, activity, entries, reply_text
from tests.support.builders import an_event


def _say(client: BotClient, text: str, **kwargs: Any) -> str:
    response = client.send(activity(text, **kwargs))
    assert response.status_code == 200, response.get_data(as_text=True)
    return reply_text(response.get_json())


def test_show_lists_upcoming_meetings_and_logs_none(client: BotClient) -> None:
    engine = client.app.extensions["interlog"].engine
    start = (utcnow() + timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
    settings = settings_from_dict({"sync": {"mailboxes": [ALICE],
                                            "internal_domains": ["contoso.com"]}}, env={})
    with Session(engine) as session, session.begin():
        ctx = build_capture_context(session, settings)
        capture_page(session, ctx, ALICE, [an_event().organizer(ALICE)
                                           .attendees("jane@fabrikam.com")
                                           .subject("Renewal review").at(start).build()])

    english = _say(client, "show jane doe")
    spanish = _say(client, "mostrar jane doe", locale="es-MX")

    assert entries(engine) == []
    assert english.splitlines()[1:] == [
        "Upcoming meetings:", f"{start:%Y-%m-%d %H:%M} UTC Renewal review"]
    assert "Próximas reuniones:" in spanish.splitlines()
