"""Setting up match rules one at a time (the CLI's and the Templates page's forms): add,
edit (a condition given as "" is cleared) and remove, each audited (`rule_add`,
`rule_edit`, `rule_remove`). A whole rule list comes from a templates file
(`storage/templates_io.py`). Functions take a `Session` and never commit.
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.audit import audit
from storage.errors import NotFound
from storage.models import MatchRule
from storage.setup import get_template
from storage.setup_values import RULE_OPTIONAL, changes, checked, given
from storage.templates_spec import RULE_KEYS, RuleSpec
from storage.templates_toml import rule_spec


def rule_values(rule: MatchRule) -> dict[str, object]:
    """A rule as the templates file spells it (unset conditions left out)."""
    values: dict[str, object] = {"template": rule.template_code, "priority": rule.priority}
    values |= {k: v for k in sorted(RULE_OPTIONAL) if (v := getattr(rule, k)) is not None}
    return values


def _rule_spec_values(spec: RuleSpec) -> dict[str, object]:
    values: dict[str, object] = {"template": spec.template, "priority": spec.priority}
    values |= {k: v for k in sorted(RULE_OPTIONAL) if (v := getattr(spec, k)) is not None}
    return values


def _write_rule(session: Session, rule: MatchRule, spec: RuleSpec) -> None:
    get_template(session, spec.template)
    rule.template_code = spec.template
    for key in RULE_KEYS - {"template"}:
        setattr(rule, key, getattr(spec, key))


def get_rule(session: Session, rule_id: int) -> MatchRule:
    rule = session.get(MatchRule, rule_id)
    if rule is None:
        raise NotFound("no rule #{rule_id}", rule_id=rule_id)
    return rule


def add_rule(session: Session, values: Mapping[str, object], *, actor: str) -> MatchRule:
    """A new rule after the others of its priority (the templates file's `[[rule]]` keys)."""
    spec = checked("rule", values, rule_spec)
    get_template(session, spec.template)
    last = session.scalar(sa.select(sa.func.max(MatchRule.position)))
    rule = MatchRule(position=(last + 1) if last is not None else 0)
    _write_rule(session, rule, spec)
    session.add(rule)
    session.flush()
    audit(session, actor, "rule_add", None, rule=rule.id, **_rule_spec_values(spec))
    return rule


def edit_rule(session: Session, rule_id: int, values: Mapping[str, object], *, actor: str
              ) -> MatchRule:
    """Change a rule; a value given as "" clears that condition."""
    rule = get_rule(session, rule_id)
    before = rule_values(rule)
    spec = checked("rule", {**before, **given(values)}, rule_spec)
    _write_rule(session, rule, spec)
    session.flush()
    after = _rule_spec_values(spec)
    audit(session, actor, "rule_edit", None, rule=rule.id,
          changes=changes(before, after) | {k: [v, None] for k, v in before.items()
                                             if k not in after})
    return rule


def remove_rule(session: Session, rule_id: int, *, actor: str) -> None:
    rule = get_rule(session, rule_id)
    values = rule_values(rule)
    session.delete(rule)
    session.flush()
    audit(session, actor, "rule_remove", None, rule=rule_id, **values)
