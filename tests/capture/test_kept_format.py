"""The kept data's format is stable: text written by the code before msgspec (commit 0b5fb9e,
captured verbatim below) decodes to the same items, and the items encode to the same text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connector.item_json import item_from_json, item_to_json
from connector.items import Address, Attendee, GraphEvent, GraphMessage


def at(*parts: int) -> datetime:
    """A naive UTC datetime, as the items carry them."""
    return datetime(*parts, tzinfo=UTC).replace(tzinfo=None)  # type: ignore[misc]


QUOTE = GraphMessage(
    id="AAMk-1", internet_message_id="<q-1@fabrikam.test>", subject='Quote Ñandú "Q-7"',
    sender=Address("jane@fabrikam.com", "Jane Doe"), to=(Address("alice@contoso.com"),),
    cc=(Address("john@adatum.com", "John"),), bcc=(Address("x@y.example"),),
    received_at=at(2025, 3, 14, 9, 30, 0, 123456), sent_at=None, is_draft=True,
    has_attachments=True, categories=("Quotes", "Ñandú"),
    web_link="https://outlook.office.com/mail/x", sensitivity="private", folder="sentitems",
    conversation_id="conv-1",
)  # fmt: skip
BARE = GraphMessage(
    id="AAMk-2", internet_message_id=None, subject="", sender=None, to=(), cc=(), bcc=(),
    received_at=at(2025, 3, 14, 9, 30), sent_at=at(2025, 3, 14, 9, 29, 59),
)  # fmt: skip
REVIEW = GraphEvent(
    id="AAMk-e", ical_uid="uid-1", subject="Review", start=at(2025, 3, 14, 9),
    end=at(2025, 3, 14, 10, 30), organizer=Address("alice@contoso.com", "Alice"),
    attendees=(Attendee(Address("jane@fabrikam.com", "Jane")),
               Attendee(Address("room1@contoso.com"), "resource", "accepted"),
               Attendee(Address("j@f.example", "J"), "optional", "none")),
    is_cancelled=True, is_online_meeting=True, is_all_day=False, sensitivity="private",
    type="occurrence", series_master_id="master-1", categories=("A",), web_link=None,
)  # fmt: skip
ALL_DAY = GraphEvent(
    id="AAMk-e2", ical_uid="uid-2", subject="S", start=at(2025, 3, 14, 9),
    end=at(2025, 3, 15, 9), organizer=None, attendees=(),
)  # fmt: skip

OLD_ROWS = [
    (QUOTE, '{"t":"m","id":"AAMk-1","imid":"<q-1@fabrikam.test>","subject":"Quote Ñandú \\"Q-7\\"",'
     '"received":"2025-03-14T09:30:00.123456","sent":null,"from":["jane@fabrikam.com","Jane Doe"],'
     '"to":[["alice@contoso.com"]],"cc":[["john@adatum.com","John"]],"bcc":[["x@y.example"]],'
     '"draft":true,"attachments":true,"categories":["Quotes","Ñandú"],'
     '"link":"https://outlook.office.com/mail/x","sensitivity":"private","folder":"sentitems",'
     '"conversation":"conv-1"}'),
    (BARE, '{"t":"m","id":"AAMk-2","imid":null,"subject":"","received":"2025-03-14T09:30:00",'
     '"sent":"2025-03-14T09:29:59"}'),
    (REVIEW, '{"t":"e","id":"AAMk-e","uid":"uid-1","subject":"Review",'
     '"start":"2025-03-14T09:00:00","end":"2025-03-14T10:30:00","organizer":["alice@contoso.com","Alice"],"attendees":'
     '[["jane@fabrikam.com","Jane"],["room1@contoso.com","","resource","accepted"],'
     '["j@f.example","J","optional","none"]],"cancelled":true,"online":true,'
     '"sensitivity":"private","type":"occurrence","master":"master-1","categories":["A"]}'),
    (ALL_DAY, '{"t":"e","id":"AAMk-e2","uid":"uid-2","subject":"S","start":"2025-03-14T09:00:00",'
     '"end":"2025-03-15T09:00:00"}'),
]  # fmt: skip


@pytest.mark.parametrize(("item", "text"), OLD_ROWS)
def test_rows_written_before_msgspec_decode_and_are_written_the_same(
    item: GraphMessage | GraphEvent, text: str
) -> None:
    assert item_from_json(text) == item
    assert item_to_json(item) == text


@pytest.mark.parametrize(("text", "error"), [
    ("{nope", "JSON is malformed"), ("", "truncated"), ("null", "not a captured item"),
])  # fmt: skip
def test_text_that_is_not_a_kept_item_is_a_value_error_as_before(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        item_from_json(text)
