"""Templates file: validation with line numbers, import semantics, export round-trip."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.models import InteractionGroup, InteractionTemplate, MatchRule, TemplateSetup
from storage.seed import seed_defaults
from storage.templates_io import TemplatesImportError, export_templates, import_templates
from storage.templates_spec import TemplateError
from storage.templates_toml import validate_templates_toml

GOOD = """\
[[group]]
code = "sales"
description = "Sales documents"

[[template]]
code = "QUOTE"
group = "SALES"
description = "Sales quote"
information_flow = "outbound"
initiated_by = "us"
unit_cost = 1.5
unit_duration_min = 10
correspondence_type = "email"

[setup]
email = "QUOTE"

[[rule]]
template = "QUOTE"
priority = 10
kind = "email"
direction = "outbound"
subject = "(?i)quote\\\\s+(?P<document_no>SQ-\\\\d+)"
from_domain = "Fabrikam.com"
participant_domain = "fabrikam.com"
category = "Quotes"
has_attachments = true
online_meeting = false
document_type = "sales_quote"

[[rule]]
template = "CALL"
"""


def test_a_valid_file_has_no_errors() -> None:
    assert validate_templates_toml(GOOD, known_templates={"CALL"}) == []


BAD = [
    ('[[group]]\ncode = "A"\ncolour = "red"\n',
     TemplateError("[[group]] #1: unknown key 'colour'", 3)),
    ('[[group]]\ncode = "A"\n[[template]]\ncode = "T"\ngroup = "A"\ninitiated_by = "they"\n',
     TemplateError("[[template]] #1: initiated_by = 'they': expected one of us, them", 6)),
    ('[[rule]]\ntemplate = "EMAIL"\n\n[[rule]]\npriority = 1\ntemplate = "QUOTEX"\n',
     TemplateError("[[rule]] #2: unknown template 'QUOTEX'", 6)),
    ('[[rule]]\ntemplate = "EMAIL"\nsubject = "quote (SQ-"\n',
     TemplateError("[[rule]] #1: subject regex 'quote (SQ-' does not compile: missing ),"
                   " unterminated subpattern at position 6", 3)),
    ('[[group]]\ncode = "A"\n\n[[group]\n',
     TemplateError("TOML syntax error: Expected ']]' at the end of an array declaration"
                   " (column 8)", 4)),
    ('[[template]]\ncode = "T"\ngroup = "NOPE"\n',
     TemplateError("[[template]] #1: unknown group 'NOPE'", 3)),
    ('[setup]\nfax = "EMAIL"\n', TemplateError("[setup]: unknown key 'fax'", 2)),
    ('[setup]\nemail = "NOPE"\n', TemplateError("[setup]: email names unknown template 'NOPE'", 2)),
    ('[[rule]]\ntemplate = "EMAIL"\nkind = "phone_call"\n',
     TemplateError("[[rule]] #1: kind = 'phone_call': expected one of email, meeting, call", 3)),
    ('[[rule]]\ntemplate = "EMAIL"\nhas_attachments = "yes"\n',
     TemplateError("[[rule]] #1: has_attachments must be true or false, not 'yes'", 3)),
    ('[[group]]\ncode = "A"\n[[template]]\ncode = "T"\ngroup = "A"\nunit_cost = -1\n',
     TemplateError("[[template]] #1: unit_cost must be between 0 and 9999999999, not -1", 6)),
    ('[[group]]\ncode = "A"\n[[group]]\ncode = "a"\n',
     TemplateError("[[group]] #2: duplicate code 'A'", 4)),
    ('[[rule]]\npriority = 1\n', TemplateError("[[rule]] #1: template is missing", 1)),
    ('[actions]\nx = 1\n',
     TemplateError("unknown table or key 'actions'; expected one of group, template, setup,"
                   " rule", 1)),
    ('[[group]]\ncode = "TOOLONGCODE1"\n',
     TemplateError("[[group]] #1: code is longer than 10 characters", 2)),
]


@pytest.mark.parametrize(("text", "error"), BAD, ids=[e.message[:40] for _, e in BAD])
def test_each_error_is_named_with_its_line(text: str, error: TemplateError) -> None:
    errors = validate_templates_toml(text, known_templates={"EMAIL"}, known_groups={"EMAIL"})
    assert errors == [error]
    assert str(error).startswith(f"line {error.line}: ")


def test_every_error_is_reported_at_once() -> None:
    text = '[[rule]]\ntemplate = "X"\n\n[[rule]]\ntemplate = "Y"\nsubject = "("\n'
    assert [(e.line, e.message.split(":")[0]) for e in validate_templates_toml(text)] == [
        (2, "[[rule]] #1"), (5, "[[rule]] #2"), (6, "[[rule]] #2")]


def _snapshot(db: Session) -> tuple[object, ...]:
    return tuple(len(db.scalars(sa.select(m)).all()) for m in (
        InteractionGroup, InteractionTemplate, TemplateSetup, MatchRule))


def test_import_upserts_and_replaces_rules(db: Session) -> None:
    seed_defaults(db)
    result = import_templates(db, GOOD)
    assert (result.groups, result.templates, result.setup, result.rules) == (
        ["SALES"], ["QUOTE"], ["email=QUOTE"], 2)
    quote = db.get(InteractionTemplate, "QUOTE")
    assert quote is not None
    assert (quote.unit_cost, quote.unit_duration_min) == (Decimal("1.50"), Decimal(10))
    rules = db.scalars(sa.select(MatchRule).order_by(MatchRule.position)).all()
    assert [(r.template_code, r.priority, r.from_domain) for r in rules] == [
        ("QUOTE", 10, "fabrikam.com"), ("CALL", 100, None)]
    setup = db.get(TemplateSetup, "meeting")
    assert setup is not None
    assert setup.template_code == "MEETING"  # setup keys the file does not name stay
    import_templates(db, '[[rule]]\ntemplate = "EMAIL"\n')
    assert db.scalars(sa.select(MatchRule.template_code)).all() == ["EMAIL"]
    import_templates(db, '[[group]]\ncode = "SALES"\ndescription = "Renamed"\n')
    assert len(db.scalars(sa.select(MatchRule)).all()) == 1  # no `rule` key: rules stay
    import_templates(db, "rule = []\n")
    assert db.scalars(sa.select(MatchRule)).all() == []


def test_a_bad_import_writes_nothing(db: Session) -> None:
    seed_defaults(db)
    before = _snapshot(db)
    with pytest.raises(TemplatesImportError, match=r"line 32: \[\[rule\]\] #2: unknown template"
                                                   r" 'NOPE'; nothing was imported"):
        import_templates(db, GOOD.replace('template = "CALL"', 'template = "NOPE"'))
    assert _snapshot(db) == before
    assert db.get(InteractionGroup, "SALES") is None


def test_export_then_import_round_trips(db: Session) -> None:
    seed_defaults(db)
    import_templates(db, GOOD)
    exported = export_templates(db)
    assert validate_templates_toml(exported) == []  # self-contained: no database needed
    db.execute(sa.delete(MatchRule))
    db.execute(sa.delete(TemplateSetup))
    quote = db.get(InteractionTemplate, "QUOTE")
    assert quote is not None
    quote.unit_cost, quote.description = Decimal(99), "changed"
    import_templates(db, exported)
    assert export_templates(db) == exported
    assert 'subject = "(?i)quote\\\\s+(?P<document_no>SQ-\\\\d+)"' in exported
