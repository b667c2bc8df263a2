"""Apply a templates file to the database, and export the database as one.

Import upserts groups and templates by code, replaces the setup keys the file names, and
replaces the whole rule list when the file has a `rule` key (`rule = []` clears it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.errors import InterlogError
from storage.models import InteractionGroup, InteractionTemplate, MatchRule, TemplateSetup
from storage.templates_spec import RULE_KEYS, TemplateError, TemplatesFile, TemplateSpec
from storage.templates_toml import parse_templates_toml


class TemplatesImportError(InterlogError):
    """A templates file that cannot be imported; `errors` holds every problem."""

    def __init__(self, errors: list[TemplateError]) -> None:
        self.errors = errors
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        super().__init__(f"{errors[0]}{more}; nothing was imported")


@dataclass
class ApplyResult:
    groups: list[str] = field(default_factory=list)
    templates: list[str] = field(default_factory=list)
    setup: list[str] = field(default_factory=list)
    rules: int | None = None  # None: the rule list was left alone


def known_codes(session: Session) -> tuple[set[str], set[str]]:
    """The group and template codes in the database (for `validate_templates_toml`)."""
    groups = set(session.scalars(sa.select(InteractionGroup.code)))
    templates = set(session.scalars(sa.select(InteractionTemplate.code)))
    return groups, templates


def check_templates(session: Session, text: str) -> TemplatesFile:
    """A templates file checked against the database, or `TemplatesImportError`."""
    groups, templates = known_codes(session)
    parsed, errors = parse_templates_toml(text, known_groups=groups, known_templates=templates)
    if parsed is None:
        raise TemplatesImportError(errors)
    return parsed


def import_templates(session: Session, text: str) -> ApplyResult:
    """Validate a templates file against the database and apply it; all or nothing."""
    return apply_templates(session, check_templates(session, text))


def apply_templates(session: Session, parsed: TemplatesFile) -> ApplyResult:
    """Write a parsed (valid) templates file. Never commits."""
    result = ApplyResult()
    for group in parsed.groups:
        row = session.get(InteractionGroup, group.code) or InteractionGroup(code=group.code)
        row.description = group.description
        session.add(row)
        result.groups.append(group.code)
    session.flush()
    for spec in parsed.templates:
        template = session.get(InteractionTemplate, spec.code)
        if template is None:
            template = InteractionTemplate(code=spec.code)
            session.add(template)
        apply_template_spec(template, spec)
        result.templates.append(spec.code)
    session.flush()
    for kind, code in parsed.setup.items():
        setup = session.get(TemplateSetup, kind) or TemplateSetup(kind=kind)
        setup.template_code = code
        session.add(setup)
        result.setup.append(f"{kind}={code}")
    if parsed.rules is not None:
        session.execute(sa.delete(MatchRule))
        for position, rule in enumerate(parsed.rules):
            values = {k: getattr(rule, k) for k in RULE_KEYS if k != "template"}
            session.add(MatchRule(position=position, template_code=rule.template, **values))
        result.rules = len(parsed.rules)
    session.flush()
    return result


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int):
        return str(value)
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a TOML basic string


def _table(header: str, pairs: list[tuple[str, object]]) -> str:
    body = "".join(f"{key} = {_toml_value(v)}\n" for key, v in pairs if v is not None)
    return f"{header}\n{body}"


def export_templates(session: Session) -> str:
    """Groups, templates, setup and rules in the templates file format (import round-trips)."""
    parts = [_table("[[group]]", [("code", g.code), ("description", g.description)])
             for g in session.scalars(sa.select(InteractionGroup).order_by(InteractionGroup.code))]
    for t in session.scalars(sa.select(InteractionTemplate).order_by(InteractionTemplate.code)):
        parts.append(_table("[[template]]", [
            ("code", t.code), ("group", t.group_code), ("description", t.description),
            ("information_flow", t.information_flow), ("initiated_by", t.initiated_by),
            ("unit_cost", Decimal(t.unit_cost)),
            ("unit_duration_min", Decimal(t.unit_duration_min)),
            ("correspondence_type", t.correspondence_type),
        ]))
    setup = session.scalars(sa.select(TemplateSetup).order_by(TemplateSetup.kind)).all()
    if setup:
        parts.append(_table("[setup]", [(s.kind, s.template_code) for s in setup]))
    rules = session.scalars(sa.select(MatchRule).order_by(MatchRule.position, MatchRule.id))
    keys = sorted(RULE_KEYS - {"template", "priority"})
    rule_parts = [
        _table("[[rule]]", [("template", r.template_code), ("priority", r.priority)]
               + [(k, getattr(r, k)) for k in keys])
        for r in rules
    ]
    parts += rule_parts or ["rule = []\n"]
    return "# interlog templates: groups, templates, setup and match rules\n\n" + "\n".join(
        _order_rule_clear(parts))


def _order_rule_clear(parts: list[str]) -> list[str]:
    """`rule = []` is a top-level key, so it must come before every table header."""
    if parts and parts[-1] == "rule = []\n":
        return [parts[-1], *parts[:-1]]
    return parts


def apply_template_spec(template: InteractionTemplate, spec: TemplateSpec) -> None:
    """Give `template` every field of `spec` (a file's import and the setup's edits)."""
    template.group_code = spec.group
    template.description = spec.description
    template.information_flow = spec.information_flow
    template.initiated_by = spec.initiated_by
    template.unit_cost = spec.unit_cost
    template.unit_duration_min = spec.unit_duration_min
    template.correspondence_type = spec.correspondence_type
