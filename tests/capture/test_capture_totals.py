"""The per-day totals (storage/aggregates.py) equal a full recount of the entries after each
thing capture does, through `capture_page` and the rules: emails and meetings logged, a
meeting moved to another day, a meeting canceled in Outlook, entries reclassified by new
rules, and canceled ones deleted. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from connector.capture.reclassify import reclassify
from storage.entries import EntryFilter
from storage.entry_writes import delete_canceled
from storage.setup_rules import add_rule
from tests.support.aggregates import assert_totals_match, stored
from tests.support.builders import NOW, a_message, an_event
from tests.support.capture import ALICE, BOB, JANE, JOHN, Capture

ACTOR = "cli:test"


def test_capture_keeps_the_totals_equal_to_a_recount(cap: Capture) -> None:
    review = an_event().organizer(ALICE).attendees(JANE, JOHN).subject("Review").at(NOW)
    demo = an_event().organizer(JANE).attendees(ALICE, JOHN).subject("Demo").online()
    out = cap.page(ALICE, a_message().from_(ALICE).to(JANE).subject("Your quote SQ-7").build(),
                   a_message().from_(JOHN).to(ALICE).subject("Question").build(),
                   review.build(), demo.build())
    assert out.entries_created >= 5
    assert_totals_match(cap.session)
    counted = sum(figures[0] for key, figures in stored(cap.session).items() if key[0] == 3)
    assert counted == len(cap.entries())

    cap.page(ALICE, review.at(NOW + timedelta(days=3), minutes=90).build())  # moved
    assert_totals_match(cap.session)
    assert cap.page(BOB, demo.cancelled().build()).entries_canceled == 2
    assert_totals_match(cap.session)

    add_rule(cap.session, {"template": "QUOTE", "priority": 10, "kind": "email",
                           "subject": r"(?i)quote\s+(?P<document_no>SQ-\d+)",
                           "document_type": "sales_quote"}, actor=ACTOR)
    assert reclassify(cap.session, cap.settings, EntryFilter(), actor=ACTOR).count == 1
    assert_totals_match(cap.session)

    assert len(delete_canceled(cap.session, EntryFilter(), actor=ACTOR)) == 2
    assert_totals_match(cap.session)
