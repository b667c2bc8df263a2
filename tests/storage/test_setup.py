"""Setting up without files (storage/setup.py, templates_diff.py): add, edit and remove groups,
templates, rules and setup keys; what is in use cannot be removed; every change audited."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.entries import Interaction, log_interaction
from storage.errors import NotFound, Refused
from storage.models import AuditEvent, InteractionGroup, InteractionTemplate, MatchRule
from storage.setup import (
    InUse,
    add_group,
    add_template,
    edit_group,
    edit_template,
    remove_group,
    remove_template,
    set_setup,
)
from storage.setup_rules import add_rule, edit_rule, remove_rule
from storage.setup_values import SetupInputError
from storage.templates_diff import import_changes
from storage.templates_io import check_templates
from tests.support.world import World

ACTOR = "cli:test"


def _audit(db: Session, action: str) -> list[dict[str, object]]:
    rows = db.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)
                      .order_by(AuditEvent.id))
    return [json.loads(r.details) | {"_actor": r.actor, "_entry": r.entry_no} for r in rows]


def test_a_group_and_template_are_added_edited_and_removed_with_audit(
    db: Session, world: World
) -> None:
    add_group(db, {"code": "sales", "description": "Sales"}, actor=ACTOR)
    template = add_template(db, {"code": "quote", "group": "SALES", "unit_cost": "2.5",
                                 "unit_duration_min": 10, "information_flow": "outbound",
                                 "initiated_by": "us"}, actor=ACTOR)
    assert (template.code, template.group_code, template.unit_cost) == ("QUOTE", "SALES",
                                                                        Decimal("2.50"))
    edit_template(db, "QUOTE", {"unit_cost": "3", "description": "Sales quote"}, actor=ACTOR)
    edit_group(db, "SALES", {"description": "Sales documents"}, actor=ACTOR)
    db.expire_all()
    template = db.get(InteractionTemplate, "QUOTE")
    assert template is not None
    assert (template.unit_cost, template.unit_duration_min, template.description) == (
        Decimal("3.00"), Decimal("10.00"), "Sales quote")
    [added] = _audit(db, "template_add")
    assert (added["code"], added["unit_cost"], added["_actor"], added["_entry"]) == (
        "QUOTE", "2.50", ACTOR, None)
    [edited] = _audit(db, "template_edit")
    assert edited["changes"] == {"unit_cost": ["2.50", "3.00"],
                                 "description": ["", "Sales quote"]}
    assert _audit(db, "group_edit")[0]["changes"] == {"description": ["Sales",
                                                                      "Sales documents"]}
    remove_template(db, "QUOTE", actor=ACTOR)
    remove_group(db, "SALES", actor=ACTOR)
    assert db.get(InteractionTemplate, "QUOTE") is None
    assert db.get(InteractionGroup, "SALES") is None
    assert [a["code"] for a in _audit(db, "template_remove")] == ["QUOTE"]
    assert [a["code"] for a in _audit(db, "group_remove")] == ["SALES"]


def test_a_template_in_use_is_refused_naming_what_uses_it_and_how_many(
    db: Session, world: World
) -> None:
    for _ in range(2):
        log_interaction(db, world.jose, Interaction("CALL", subject="hi"), actor=ACTOR)
    add_rule(db, {"template": "CALL", "kind": "email", "subject": "(?i)call me"}, actor=ACTOR)
    with pytest.raises(InUse) as refused:
        remove_template(db, "call", actor=ACTOR)
    assert refused.value.uses == {"entries": 2, "rules": 1}
    assert refused.value.setup_kinds == ("phone_call",)
    assert str(refused.value) == ("template CALL is used by 2 entries, 1 rule and the setup"
                                  " default for phone_call; nothing was removed")
    with pytest.raises(InUse, match=r"group CALLS is used by 1 template;"):
        remove_group(db, "CALLS", actor=ACTOR)
    assert db.get(InteractionTemplate, "CALL") is not None
    assert _audit(db, "template_remove") == []


def test_a_template_only_a_setup_key_names_is_in_use_until_the_setup_moves(
    db: Session, world: World
) -> None:
    add_template(db, {"code": "CALL2", "group": "CALLS"}, actor=ACTOR)
    set_setup(db, "phone_call", "CALL2", actor=ACTOR)
    with pytest.raises(InUse, match="the setup default for phone_call"):
        remove_template(db, "CALL2", actor=ACTOR)
    set_setup(db, "phone_call", "CALL", actor=ACTOR)
    remove_template(db, "CALL2", actor=ACTOR)
    assert [a["template"] for a in _audit(db, "setup_set")] == [["CALL", "CALL2"],
                                                                ["CALL2", "CALL"]]


def test_bad_values_are_refused_naming_each_and_nothing_is_written(
    db: Session, world: World
) -> None:
    with pytest.raises(SetupInputError) as bad:
        add_template(db, {"code": "X", "group": "CALLS", "unit_cost": "abc",
                          "information_flow": "sideways"}, actor=ACTOR)
    assert any("unit_cost must be a number, not 'abc'" in e for e in bad.value.errors)
    assert any("information_flow = 'sideways'" in e for e in bad.value.errors)
    with pytest.raises(NotFound, match="no interaction group 'NOPE'"):
        add_template(db, {"code": "X", "group": "NOPE"}, actor=ACTOR)
    with pytest.raises(Refused, match="CALL exists already"):
        add_template(db, {"code": "CALL", "group": "CALLS"}, actor=ACTOR)
    with pytest.raises(SetupInputError, match="does not compile"):
        add_rule(db, {"template": "CALL", "subject": "(unclosed"}, actor=ACTOR)
    with pytest.raises(NotFound, match="no interaction template 'NOPE'"):
        add_rule(db, {"template": "NOPE"}, actor=ACTOR)
    assert db.get(InteractionTemplate, "X") is None
    assert db.scalar(sa.select(sa.func.count()).select_from(MatchRule)) == 0
    assert db.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0


def test_rules_are_added_edited_with_a_condition_cleared_and_removed(
    db: Session, world: World
) -> None:
    first = add_rule(db, {"template": "CALL", "priority": "5", "kind": "email",
                          "subject": "(?i)phone", "has_attachments": "false"}, actor=ACTOR)
    second = add_rule(db, {"template": "MEETING", "kind": "meeting"}, actor=ACTOR)
    assert (first.priority, first.has_attachments, second.position) == (5, False, 1)
    edit_rule(db, first.id, {"subject": "", "from_domain": "Fabrikam.com"}, actor=ACTOR)
    db.expire_all()
    rule = db.get(MatchRule, first.id)
    assert rule is not None
    assert (rule.subject, rule.from_domain, rule.kind) == (None, "fabrikam.com", "email")
    [edited] = _audit(db, "rule_edit")
    assert edited["changes"] == {"from_domain": [None, "fabrikam.com"],
                                 "subject": ["(?i)phone", None]}
    remove_rule(db, second.id, actor=ACTOR)
    assert [r.id for r in db.scalars(sa.select(MatchRule))] == [first.id]
    assert _audit(db, "rule_remove")[0]["template"] == "MEETING"


def test_an_import_preview_lists_every_change_and_the_rules_that_would_go(
    db: Session, world: World
) -> None:
    add_rule(db, {"template": "CALL", "kind": "email", "subject": "call"}, actor=ACTOR)
    parsed = check_templates(db, """
[[group]]
code = "SALES"
[[template]]
code = "CALL"
group = "CALLS"
description = "Phone call"
information_flow = "outbound"
initiated_by = "us"
unit_cost = 1.25
unit_duration_min = 5
[[template]]
code = "QUOTE"
group = "SALES"
[setup]
email = "QUOTE"
[[rule]]
template = "QUOTE"
kind = "email"
""")
    got = [str(c) for c in import_changes(db, parsed)]
    assert got == [
        "+ group SALES",
        "~ template CALL: unit_cost 0.00 → 1.25",
        "+ template QUOTE: group = SALES, unit_cost = 0.00, unit_duration_min = 0.00",
        "~ setup email: EMAIL → QUOTE",
        "- rule 1: template CALL, priority 100, kind = 'email', subject = 'call'",
        "+ rule 1: template QUOTE, priority 100, kind = 'email'",
    ]


def test_a_template_named_after_the_check_is_refused_by_the_foreign_key(
    db: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sync that logs an entry with the template between the check and the delete: the
    database refuses the delete, the refusal is recounted, and the transaction goes on."""
    import storage.setup as setup

    log_interaction(db, world.jose, Interaction("CALL", subject="hi"), actor=ACTOR)
    counted = setup.template_uses
    calls: list[str] = []

    def stale_first(session: Session, code: str) -> tuple[dict[str, int], tuple[str, ...]]:
        calls.append(code)
        return ({}, ()) if len(calls) == 1 else counted(session, code)

    monkeypatch.setattr(setup, "template_uses", stale_first)
    with pytest.raises(InUse, match=r"template CALL is used by 1 entry and the setup default"):
        remove_template(db, "CALL", actor=ACTOR)
    assert calls == ["CALL", "CALL"]
    assert db.get(InteractionTemplate, "CALL") is not None
    assert _audit(db, "template_remove") == []
