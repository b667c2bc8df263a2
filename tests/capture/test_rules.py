"""Template rules: priority, then position; each condition; document_no from the subject."""

from __future__ import annotations

import pytest

from connector.capture.rules import Facts, choose_template, compile_rules
from storage.errors import InterlogError
from storage.models import MatchRule
from tests.support.builders import a_message, an_event
from tests.support.capture import ALICE, JANE, JOHN, Capture


def test_given_rules_the_lowest_priority_then_position_wins_with_document_no(
    cap: Capture,
) -> None:
    cap.add_rule("ONLINE", priority=50, kind="email", subject="(?i)quote")
    cap.add_rule("QUOTE", priority=10, kind="email", direction="outbound",
                 subject=r"(?i)quote\s+(?P<document_no>SQ-\d+)", document_type="sales_quote")
    cap.add_rule("MEETING", priority=10, kind="email", subject="(?i)quote")  # later position

    cap.page(ALICE, a_message().from_(ALICE).to(JANE).subject("Your quote SQ-1042").build(),
             a_message().from_(JANE).to(ALICE).subject("Re: Your quote SQ-1042").build(),
             a_message().from_(ALICE).to(JOHN).subject("Hello").build())

    got = {(e.contact_no, e.subject): (e.template_code, e.group_code, e.document_type,
                                        e.document_no, e.cost) for e in cap.entries()}
    assert got[("P-JANE", "Your quote SQ-1042")][:4] == ("QUOTE", "DOCS", "sales_quote",
                                                         "SQ-1042")
    assert str(got[("P-JANE", "Your quote SQ-1042")][4]) == "0.50"
    # inbound: the QUOTE rule (outbound only) fails, the next by priority and position wins
    assert got[("P-JANE", "Re: Your quote SQ-1042")][:4] == ("MEETING", "MEET", None, None)
    assert got[("P-JOHN", "Hello")][:4] == ("EMAIL", "EMAIL", None, None)  # setup default


def test_given_a_captured_entry_the_observed_direction_beats_the_templates(cap: Capture) -> None:
    cap.page(ALICE, a_message().from_(ALICE).to(JANE).build())  # EMAIL template is inbound/them
    [entry] = cap.entries()
    assert (entry.information_flow, entry.initiated_by) == ("outbound", "us")


def test_given_meeting_rules_online_category_and_participant_domain_are_tested(
    cap: Capture,
) -> None:
    cap.add_rule("ONLINE", kind="meeting", online_meeting=True, category="Sales")
    cap.add_rule("QUOTE", kind="meeting", participant_domain="adatum.com")

    cap.page(ALICE,
             an_event().organizer(ALICE).attendees(JANE).online().subject("a").build(),
             an_event().organizer(ALICE).attendees(JOHN).subject("b").build())
    sales = an_event().organizer(ALICE).attendees(JANE).online().subject("c").build()
    from dataclasses import replace
    cap.page(ALICE, replace(sales, categories=("sales",)))

    got = {e.subject: e.template_code for e in cap.entries()}
    assert got == {"a": "MEETING", "b": "QUOTE", "c": "ONLINE"}


def _facts(**overrides: object) -> Facts:
    base: dict[str, object] = {
        "kind": "email", "direction": "inbound", "subject": "Invoice INV-7",
        "from_domain": "mail.fabrikam.com", "participant_domains": frozenset({"contoso.com"}),
        "categories": frozenset(), "has_attachments": True,
    }
    return Facts(**{**base, **overrides})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("rule", "facts", "expected"),
    [
        ({"from_domain": "fabrikam.com"}, {}, "R"),  # a subdomain is in its domain
        ({"from_domain": "abrikam.com"}, {}, "D"),  # but not a suffix of another
        ({"has_attachments": True}, {}, "R"),
        ({"has_attachments": False}, {}, "D"),
        ({"participant_domain": "CONTOSO.com"}, {}, "R"),
        ({"category": "Billing"}, {"categories": frozenset({"billing"})}, "R"),
        ({"category": "Billing"}, {}, "D"),
        ({"subject": "(?P<document_no>INV-\\d+)"}, {}, "R"),
        ({"subject": "quote"}, {}, "D"),
        ({"online_meeting": True}, {}, "D"),
        ({"kind": "meeting"}, {}, "D"),
    ],
)
def test_each_rule_condition(rule: dict[str, object], facts: dict[str, object],
                             expected: str) -> None:
    compiled = compile_rules([MatchRule(position=1, template_code="R", **rule)])
    assert choose_template(compiled, _facts(**facts), "D").template_code == expected


def test_given_a_regex_that_does_not_compile_the_error_names_the_rule() -> None:
    with pytest.raises(InterlogError, match=r"rule 3 \(template QUOTE\).*'\(unclosed'"):
        compile_rules([MatchRule(position=3, template_code="QUOTE", subject="(unclosed")])
