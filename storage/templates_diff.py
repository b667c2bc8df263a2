"""What importing a templates file would change, before it is applied (`templates import
--dry-run`, the Templates page's preview): groups and templates added or changed, setup keys
changed, and — when the file has rules — the rules that would disappear and those that would
come. Only reads.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.models import InteractionGroup, InteractionTemplate, MatchRule, TemplateSetup
from storage.setup import template_values
from storage.setup_rules import rule_values
from storage.templates_spec import RULE_KEYS, RuleSpec, TemplatesFile, TemplateSpec


@dataclass(frozen=True)
class Change:
    """One change: `action` add | change | remove, of `what` (group, template, setup, rule)."""

    action: str
    what: str
    name: str
    detail: str = ""

    def __str__(self) -> str:
        sign = {"add": "+", "change": "~", "remove": "-"}[self.action]
        return f"{sign} {self.what} {self.name}" + (f": {self.detail}" if self.detail else "")


def import_changes(session: Session, parsed: TemplatesFile) -> list[Change]:
    """Every change `parsed` would make, in the file's order: groups, templates, setup, rules."""
    changes: list[Change] = []
    for group in parsed.groups:
        row = session.get(InteractionGroup, group.code)
        if row is None:
            changes.append(Change("add", "group", group.code, group.description))
        elif row.description != group.description:
            changes.append(Change("change", "group", group.code,
                                  f"description {row.description!r} → {group.description!r}"))
    for spec in parsed.templates:
        template = session.get(InteractionTemplate, spec.code)
        if template is None:
            changes.append(Change("add", "template", spec.code, _template_text(spec)))
            continue
        detail = _differences(template_values(template), _spec_values(spec))
        if detail:
            changes.append(Change("change", "template", spec.code, detail))
    setup = dict(session.execute(sa.select(TemplateSetup.kind, TemplateSetup.template_code)).all())
    for kind, code in parsed.setup.items():
        if setup.get(kind) != code:
            changes.append(Change("change", "setup", kind, f"{setup.get(kind) or '—'} → {code}"))
    if parsed.rules is not None:
        changes += _rule_changes(session, parsed.rules)
    return changes


def _spec_values(spec: TemplateSpec) -> dict[str, object]:
    return {"group": spec.group, "description": spec.description,
            "information_flow": spec.information_flow or "",
            "initiated_by": spec.initiated_by or "", "unit_cost": spec.unit_cost,
            "unit_duration_min": spec.unit_duration_min,
            "correspondence_type": spec.correspondence_type}


def _template_text(spec: TemplateSpec) -> str:
    return ", ".join(f"{k} = {v}" for k, v in _spec_values(spec).items() if v not in ("", None))


def _shown(value: object) -> object:
    return "—" if value in ("", None) else value


def _differences(before: dict[str, object], after: dict[str, object]) -> str:
    return ", ".join(f"{k} {_shown(before.get(k))} → {_shown(v)}" for k, v in after.items()
                     if before.get(k) != v)


def rule_text(values: dict[str, object]) -> str:
    """A rule as one line: its template, priority and conditions."""
    conditions = ", ".join(f"{k} = '{v}'" if isinstance(v, str) else f"{k} = {v}"
                           for k, v in values.items() if k not in ("template", "priority"))
    return (f"template {values['template']}, priority {values['priority']}"
            + (f", {conditions}" if conditions else ", always"))


def _rule_changes(session: Session, rules: tuple[RuleSpec, ...]) -> list[Change]:
    """Rules are an ordered set the file replaces: those gone, then those new."""
    stored = [rule_values(r) for r in session.scalars(
        sa.select(MatchRule).order_by(MatchRule.priority, MatchRule.position, MatchRule.id))]
    wanted = [{"template": r.template, "priority": r.priority}
              | {k: v for k in sorted(RULE_KEYS - {"template", "priority"})
                 if (v := getattr(r, k)) is not None} for r in rules]
    gone = [Change("remove", "rule", str(n), rule_text(v))
            for n, v in enumerate(stored, 1) if v not in wanted]
    new = [Change("add", "rule", str(n), rule_text(v))
           for n, v in enumerate(wanted, 1) if v not in stored]
    return gone + new
