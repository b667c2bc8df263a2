"""Re-applying the rules to captured entries (`connector/capture/reclassify.py`), and the
preview of a templates file's rules on the last 30 days' captured items."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from connector.capture.reclassify import preview_rules, reclassify
from storage.contacts import resolve_contact
from storage.entries import Interaction, log_interaction
from storage.entry_queries import EntryFilter
from storage.models import AuditEvent, InteractionLogEntry
from storage.setup_rules import add_rule
from storage.templates_io import check_templates
from tests.support.builders import NOW, a_message, an_event
from tests.support.capture import ALICE, JANE, JOHN, Capture

ACTOR = "cli:test"
QUOTE_RULE = {"template": "QUOTE", "priority": 10, "kind": "email",
              "subject": r"(?i)quote\s+(?P<document_no>SQ-\d+)", "document_type": "sales_quote"}


def _captured(cap: Capture) -> None:
    """An email to Jane about a quote, a meeting with John, and a manual entry for Jane."""
    cap.page(ALICE, a_message().from_(ALICE).to(JANE).subject("Your quote SQ-7").build(),
             an_event().organizer(ALICE).attendees(JOHN).online().subject("Demo").build())
    jane = resolve_contact(cap.session, "P-JANE")
    log_interaction(cap.session, jane, Interaction("EMAIL", subject="Quote SQ-8 by hand",
                                                   occurred_at=NOW), actor=ACTOR)


def _by_subject(cap: Capture) -> dict[str, InteractionLogEntry]:
    return {e.subject: e for e in cap.entries()}


def _audit(cap: Capture) -> list[tuple[int | None, dict[str, object]]]:
    rows = cap.session.execute(sa.select(AuditEvent.entry_no, AuditEvent.details)
                               .where(AuditEvent.action == "reclassify")
                               .order_by(AuditEvent.entry_no))
    return [(no, json.loads(details)) for no, details in rows]


def test_a_dry_run_says_what_would_change_and_writes_nothing(cap: Capture) -> None:
    _captured(cap)
    add_rule(cap.session, QUOTE_RULE, actor=ACTOR)
    result = reclassify(cap.session, cap.settings, EntryFilter(), actor=ACTOR, dry_run=True,
                        keep=5)
    email = _by_subject(cap)["Your quote SQ-7"]
    assert [c.entry_no for c in result.changed] == [email.entry_no]
    assert (result.examined, result.not_captured, result.not_kept) == (2, 1, 0)
    assert email.template_code == "EMAIL"
    assert _audit(cap) == []


def test_captured_entries_take_the_rules_choice_and_manual_ones_are_never_touched(
    cap: Capture,
) -> None:
    _captured(cap)
    add_rule(cap.session, QUOTE_RULE, actor=ACTOR)
    add_rule(cap.session, {"template": "ONLINE", "kind": "meeting", "online_meeting": "true"},
             actor=ACTOR)
    result = reclassify(cap.session, cap.settings, EntryFilter(), actor=ACTOR)
    got = _by_subject(cap)
    email, meeting, manual = got["Your quote SQ-7"], got["Demo"], got["Quote SQ-8 by hand"]
    assert (email.template_code, email.group_code, email.cost, email.duration_min,
            email.correspondence_type, email.document_type, email.document_no) == (
        "QUOTE", "DOCS", Decimal("0.50"), Decimal("5.00"), "email", "sales_quote", "SQ-7")
    assert (email.information_flow, email.initiated_by) == ("outbound", "us")  # observed
    # A meeting keeps its real length; the cost is the new template's.
    assert (meeting.template_code, meeting.group_code, meeting.cost, meeting.duration_min) == (
        "ONLINE", "MEET", Decimal("5.00"), Decimal("45.00"))
    assert (manual.template_code, manual.document_no) == ("EMAIL", None)
    assert sorted(c.entry_no for c in result.changed) == sorted([email.entry_no, meeting.entry_no])
    assert result.count == 2
    audit = dict(_audit(cap))
    assert set(audit) == {email.entry_no, meeting.entry_no}
    assert audit[email.entry_no]["template_code"] == ["EMAIL", "QUOTE"]
    assert audit[email.entry_no]["document_no"] == [None, "SQ-7"]
    assert audit[meeting.entry_no] == {"template_code": ["MEETING", "ONLINE"],
                                       "cost": ["20.00", "5.00"]}
    again = reclassify(cap.session, cap.settings, EntryFilter(), actor=ACTOR, keep=0)
    assert (again.changed, again.count) == ([], 0)  # nothing more to do: no second audit row
    assert len(_audit(cap)) == 2


def test_filters_narrow_what_is_reclassified(cap: Capture) -> None:
    _captured(cap)
    add_rule(cap.session, {"template": "ONLINE", "kind": "meeting"}, actor=ACTOR)
    add_rule(cap.session, QUOTE_RULE, actor=ACTOR)
    result = reclassify(cap.session, cap.settings, EntryFilter(source="meeting"), actor=ACTOR)
    got = _by_subject(cap)
    assert [c.entry_no for c in result.changed] == [got["Demo"].entry_no]
    assert got["Your quote SQ-7"].template_code == "EMAIL"


def test_the_preview_shows_items_the_files_rules_classify_differently(cap: Capture) -> None:
    _captured(cap)
    cap.page(ALICE, a_message().from_(JANE).to(ALICE).subject("Quote SQ-9, thanks")
             .received(NOW - timedelta(days=40)).build())
    parsed = check_templates(cap.session, """
[setup]
meeting = "ONLINE"
[[rule]]
template = "QUOTE"
kind = "email"
subject = "(?i)quote\\\\s+(?P<document_no>SQ-\\\\d+)"
""")
    looked, changes = preview_rules(cap.session, cap.settings, parsed,
                                    now=lambda: NOW + timedelta(days=1))
    assert looked == 2  # the 40-day-old message is outside the window
    got = {c.subject: (c.before.template_code, c.after.template_code, c.after.document_no,
                       c.entries) for c in changes}
    assert got == {"Your quote SQ-7": ("EMAIL", "QUOTE", "SQ-7", 1),
                   "Demo": ("MEETING", "ONLINE", None, 1)}
    assert _by_subject(cap)["Your quote SQ-7"].template_code == "EMAIL"  # nothing written


def test_only_the_first_changes_are_kept_in_the_result_and_all_are_written(
    cap: Capture,
) -> None:
    _captured(cap)
    add_rule(cap.session, QUOTE_RULE, actor=ACTOR)
    add_rule(cap.session, {"template": "ONLINE", "kind": "meeting"}, actor=ACTOR)
    result = reclassify(cap.session, cap.settings, EntryFilter(), actor=ACTOR, keep=1)
    assert (len(result.changed), result.count) == (1, 2)
    assert {e.template_code for e in cap.entries() if e.source != "manual"} == {"QUOTE",
                                                                                "ONLINE"}
