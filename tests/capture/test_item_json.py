"""The kept items: `item_to_json` / `item_from_json` give back the same dataclass."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from connector.item_json import item_from_json, item_to_json
from connector.items import Address, Attendee, GraphEvent, GraphMessage
from tests.support.builders import NOW, a_message, an_event


def _full_message() -> GraphMessage:
    return replace(
        a_message().from_("Jane <jane@fabrikam.com>").to("alice@contoso.com")
        .cc("john@adatum.com").build(),
        bcc=(Address("x@y.example"),), is_draft=True, has_attachments=True,
        categories=("Quotes", "Ñandú"), sensitivity="private", folder="sentitems",
        conversation_id="conv-1", sent_at=None)


def _full_event() -> GraphEvent:
    return replace(
        an_event().organizer("alice@contoso.com").attendees("jane@fabrikam.com")
        .attendees("room1@contoso.com", type="resource").build(),
        attendees=(Attendee(Address("j@f.example", "J"), "optional", "accepted"),),
        is_cancelled=True, is_online_meeting=True, is_all_day=True, sensitivity="private",
        type="occurrence", series_master_id="master-1", categories=("A",), web_link=None)


@pytest.mark.parametrize("item", [a_message().build(), _full_message(), an_event().build(),
                                  _full_event()])
def test_an_item_comes_back_equal(item: GraphMessage | GraphEvent) -> None:
    assert item_from_json(item_to_json(item)) == item


def test_the_kept_subject_replaces_the_items_and_defaults_are_left_out() -> None:
    event = an_event().subject("Merger").at(NOW).build()

    text = item_to_json(event, subject="Private")

    assert "Merger" not in text
    assert item_from_json(text) == replace(event, subject="Private")
    assert "cancelled" not in json.loads(text)


@pytest.mark.parametrize("text", ["[]", '{"t": "x"}', '"m"'])
def test_text_it_did_not_write_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a captured item"):
        item_from_json(text)
