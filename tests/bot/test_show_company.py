"""`show COMPANY` through the bot's endpoint, on SQLite and PostgreSQL: a company's entries
are its own and its persons' (NAV's roll-up); canceled ones are left out."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.entries import cancel_entries
from storage.models import InteractionLogEntry
from tests.support.bot import BotClient, activity, reply_text
from tests.support.seed import Dataset, EntryRow, seed

WOODGROVE = Dataset(
    contacts_csv="""no,type,name,company_no,email,email2,domains
W100,company,Woodgrove Bank,,info@woodgrovebank.com,,woodgrovebank.com
W101,person,Ana Torres,W100,ana@woodgrovebank.com,,
W102,person,Ben Ode,W100,ben@woodgrovebank.com,,
W200,person,Vera Solo,,vera@example.org,,
""",
    entries=(
        EntryRow("W101", "CALL", "alice@contoso.com", "bot", "2025-03-01T10:00", "Rates"),
        EntryRow("W100", "EMAIL", "alice@contoso.com", "email", "2025-03-03T09:00", "Offer"),
        EntryRow("W102", "MEETING", "bob@contoso.com", "meeting", "2025-03-02T15:00", "Visit"),
        EntryRow("W102", "CALL", "bob@contoso.com", "bot", "2025-03-04T11:00", "Wrong one"),
        EntryRow("W200", "CALL", "alice@contoso.com", "bot", "2025-03-05T11:00", "Not theirs"),
    ),
)


def _say(client: BotClient, text: str, **kwargs: Any) -> str:
    response = client.send(activity(text, **kwargs))
    assert response.status_code == 200, response.get_data(as_text=True)
    return reply_text(response.get_json())


def test_show_a_company_includes_its_persons(client: BotClient) -> None:
    engine = client.app.extensions["interlog"].engine
    seed(engine, WOODGROVE)
    with Session(engine) as session, session.begin():
        wrong = session.scalar(sa.select(InteractionLogEntry.entry_no).where(
            InteractionLogEntry.subject == "Wrong one"))
        cancel_entries(session, [wrong or 0], actor="test")
    text = _say(client, "show Woodgrove Bank")
    lines = text.splitlines()
    assert lines[0] == "Last interactions with Woodgrove Bank (W100)"
    assert [line.split()[-2:] for line in lines[1:]] == [  # template and subject
        ["EMAIL", "Offer"], ["MEETING", "Visit"], ["CALL", "Rates"]]  # newest first; no canceled
    person = _say(client, "mostrar Ana Torres", locale="es-MX").splitlines()
    assert person[0] == "Últimas interacciones con Ana Torres (W101)"
    assert [line.split()[-2:] for line in person[1:]] == [["CALL", "Rates"]]
