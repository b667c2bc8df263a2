"""Setting up without files: add, edit and remove groups, templates, rules and setup keys.

The one home of a single group, template, rule or setup key written by hand (the CLI's
`templates add|remove`, `groups add|remove`, the Templates page); a whole file is applied by
`storage/templates_io.py`. Values are checked by the same converters as a templates file
(`storage/templates_toml.py`), so a form and a file take and refuse the same things.

A template is in use while entries (of any status), a setup key, a rule or a logged segment
name it; a group while a template does. Removing one in use is refused with `InUse`, which
names what uses it and how many. Every change is audited as an event that concerns no entry
(`group_add`, `template_edit`, `rule_remove`, `setup_set`, …) with its facts as details.
Functions take a `Session` and never commit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.audit import audit
from storage.errors import InterlogError, NotFound, Refused
from storage.models import (
    KINDS,
    InteractionGroup,
    InteractionLogEntry,
    InteractionTemplate,
    LoggedSegment,
    MatchRule,
    TemplateSetup,
)
from storage.templates_check import TableChecker, TableLines
from storage.templates_spec import RULE_KEYS, GroupSpec, RuleSpec, TemplateSpec
from storage.templates_toml import group_spec, rule_spec, template_spec

AMOUNT_KEYS = frozenset({"unit_cost", "unit_duration_min"})
FLAG_KEYS = frozenset({"has_attachments", "online_meeting"})
RULE_OPTIONAL = RULE_KEYS - {"template", "priority"}
TRUE, FALSE = frozenset({"true", "yes", "on", "1"}), frozenset({"false", "no", "off", "0"})


class SetupInputError(InterlogError):
    """Values a group, template or rule cannot take; `errors` holds every problem."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        super().__init__(f"{errors[0]}{more}; nothing was changed")


class InUse(Refused):
    """A group or template that something still names: `uses` counts what, by kind."""

    def __init__(self, what: str, code: str, uses: Mapping[str, int],
                 setup_kinds: tuple[str, ...] = ()) -> None:
        self.what, self.code, self.uses = what, code, dict(uses)
        self.setup_kinds = setup_kinds
        super().__init__(f"{what} {code} is used by {_uses_text(uses, setup_kinds)};"
                         " nothing was removed")


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _uses_text(uses: Mapping[str, int], setup_kinds: tuple[str, ...]) -> str:
    words = {"entries": ("entry", "entries"), "templates": ("template", "templates"),
             "rules": ("rule", "rules"), "logged_segments": ("logged segment", "logged segments")}
    parts = [_plural(uses[k], *words[k]) for k in words if uses.get(k)]
    if setup_kinds:
        defaults = "default" if len(setup_kinds) == 1 else "defaults"
        parts.append(f"the setup {defaults} for {' and '.join(setup_kinds)}")
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


class _FormChecker(TableChecker):
    """The file's converters, with messages that name the thing instead of a table number."""

    @property
    def where(self) -> str:
        return self.table


def _number(value: object) -> object:
    """A number from a form or the command line as the file's converters take it."""
    if isinstance(value, Decimal):
        return float(value)
    if not isinstance(value, str):
        return value
    text = value.strip()
    if not text:
        return 0
    try:
        number = Decimal(text)
    except InvalidOperation:
        return value  # refused by the converter, naming the value
    if not number.is_finite():
        return value
    return int(number) if number == number.to_integral_value() and "." not in text else float(
        number)


def _flag(value: object) -> object:
    if isinstance(value, str):
        lowered = value.strip().lower()
        return True if lowered in TRUE else False if lowered in FALSE else value
    return value


def _normalized(values: Mapping[str, object]) -> dict[str, object]:
    """Form and command-line values as a templates file holds them; None is "not given"."""
    out: dict[str, object] = {}
    for key, value in values.items():
        if value is None or (key in RULE_OPTIONAL | {"priority"} and value == ""):
            continue
        if key in AMOUNT_KEYS or key == "priority":
            value = _number(value)
        elif key in FLAG_KEYS:
            value = _flag(value)
        out[key] = value
    return out


def _checked[T](table: str, values: Mapping[str, object],
                convert: Callable[[TableChecker], T | None]) -> T:
    errors: list[Any] = []
    checker = _FormChecker(TableLines(""), errors, table, 0, _normalized(values))
    spec = convert(checker)
    if errors or spec is None:
        raise SetupInputError([e.message for e in errors] or [f"{table}: incomplete values"])
    return spec


def _given(values: Mapping[str, object]) -> dict[str, object]:
    """The values given (None: keep what is there)."""
    return {k: v for k, v in values.items() if v is not None}


def _changes(before: Mapping[str, object], after: Mapping[str, object]) -> dict[str, object]:
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def _delete(session: Session, row: object, refusal: Callable[[], InUse]) -> None:
    """Delete `row` in a savepoint: a writer that named it after the check (a sync logging an
    entry with the template) makes the foreign key refuse, and the refusal is recounted."""
    try:
        with session.begin_nested():
            session.delete(row)
    except IntegrityError:
        raise refusal() from None


# Groups ---------------------------------------------------------------------------------

def get_group(session: Session, code: str) -> InteractionGroup:
    group = session.get(InteractionGroup, code.strip().upper())
    if group is None:
        raise NotFound(f"no interaction group {code!r}")
    return group


def add_group(session: Session, values: Mapping[str, object], *, actor: str
              ) -> InteractionGroup:
    """A new group (`code`, `description`); an existing code is refused."""
    spec = _checked("group", values, group_spec)
    if session.get(InteractionGroup, spec.code) is not None:
        raise Refused(f"interaction group {spec.code} exists already; nothing was changed")
    group = InteractionGroup(code=spec.code, description=spec.description)
    session.add(group)
    session.flush()
    audit(session, actor, "group_add", None, **_group_values(spec))
    return group


def edit_group(session: Session, code: str, values: Mapping[str, object], *, actor: str
               ) -> InteractionGroup:
    """Change a group's description (its code is its identity)."""
    group = get_group(session, code)
    before = {"code": group.code, "description": group.description}
    spec = _checked("group", {**before, **_given(values), "code": group.code}, group_spec)
    group.description = spec.description
    session.flush()
    audit(session, actor, "group_edit", None, code=group.code,
          changes=_changes(before, _group_values(spec)))
    return group


def group_uses(session: Session, code: str) -> dict[str, int]:
    count = session.scalar(sa.select(sa.func.count()).select_from(InteractionTemplate)
                           .where(InteractionTemplate.group_code == code)) or 0
    return {"templates": count} if count else {}


def remove_group(session: Session, code: str, *, actor: str) -> None:
    """Remove a group no template names; `InUse` otherwise."""
    group = get_group(session, code)
    def refusal() -> InUse:
        return InUse("group", group.code, group_uses(session, group.code))

    if group_uses(session, group.code):
        raise refusal()
    _delete(session, group, refusal)
    audit(session, actor, "group_remove", None, code=group.code,
          description=group.description)


def _group_values(spec: GroupSpec) -> dict[str, object]:
    return {"code": spec.code, "description": spec.description}


# Templates ------------------------------------------------------------------------------

def get_template(session: Session, code: str) -> InteractionTemplate:
    template = session.get(InteractionTemplate, code.strip().upper())
    if template is None:
        raise NotFound(f"no interaction template {code!r}")
    return template


def template_values(t: InteractionTemplate) -> dict[str, object]:
    """A template as the templates file (and the forms) spell its values."""
    return {"code": t.code, "group": t.group_code, "description": t.description,
            "information_flow": t.information_flow or "", "initiated_by": t.initiated_by or "",
            "unit_cost": Decimal(t.unit_cost), "unit_duration_min": Decimal(t.unit_duration_min),
            "correspondence_type": t.correspondence_type}


def _spec_values(spec: TemplateSpec) -> dict[str, object]:
    return {"code": spec.code, "group": spec.group, "description": spec.description,
            "information_flow": spec.information_flow or "",
            "initiated_by": spec.initiated_by or "", "unit_cost": spec.unit_cost,
            "unit_duration_min": spec.unit_duration_min,
            "correspondence_type": spec.correspondence_type}


def _write_template(session: Session, template: InteractionTemplate, spec: TemplateSpec) -> None:
    template.group_code = spec.group
    template.description = spec.description
    template.information_flow = spec.information_flow
    template.initiated_by = spec.initiated_by
    template.unit_cost = spec.unit_cost
    template.unit_duration_min = spec.unit_duration_min
    template.correspondence_type = spec.correspondence_type
    session.flush()


def add_template(session: Session, values: Mapping[str, object], *, actor: str
                 ) -> InteractionTemplate:
    """A new template (the templates file's keys); an existing code or unknown group is
    refused."""
    spec = _checked("template", values, template_spec)
    if session.get(InteractionTemplate, spec.code) is not None:
        raise Refused(f"interaction template {spec.code} exists already; nothing was changed")
    get_group(session, spec.group)
    template = InteractionTemplate(code=spec.code)
    session.add(template)
    _write_template(session, template, spec)
    audit(session, actor, "template_add", None, **_spec_values(spec))
    return template


def edit_template(session: Session, code: str, values: Mapping[str, object], *, actor: str
                  ) -> InteractionTemplate:
    """Change a template's values (not its code). Entries keep what they were logged with."""
    template = get_template(session, code)
    before = template_values(template)
    given = {**before, **_given(values), "code": template.code}
    spec = _checked("template", given, template_spec)
    get_group(session, spec.group)
    _write_template(session, template, spec)
    audit(session, actor, "template_edit", None, code=template.code,
          changes=_changes(before, _spec_values(spec)))
    return template


def template_uses(session: Session, code: str) -> tuple[dict[str, int], tuple[str, ...]]:
    """What names template `code`, by kind (entries, rules, logged segments), and the setup
    kinds whose default it is."""
    def count(column: Any) -> int:
        return session.scalar(sa.select(sa.func.count()).where(column == code)) or 0

    uses = {"entries": count(InteractionLogEntry.template_code),
            "rules": count(MatchRule.template_code),
            "logged_segments": count(LoggedSegment.template_code)}
    kinds = tuple(session.scalars(sa.select(TemplateSetup.kind)
                                  .where(TemplateSetup.template_code == code)
                                  .order_by(TemplateSetup.kind)))
    return {k: v for k, v in uses.items() if v}, kinds


def remove_template(session: Session, code: str, *, actor: str) -> None:
    """Remove a template nothing names; `InUse` otherwise."""
    template = get_template(session, code)
    def refusal() -> InUse:
        return InUse("template", template.code, *template_uses(session, template.code))

    if any(template_uses(session, template.code)):
        raise refusal()
    values = template_values(template)
    _delete(session, template, refusal)
    audit(session, actor, "template_remove", None, **values)


def set_setup(session: Session, kind: str, code: str, *, actor: str) -> None:
    """Make template `code` the default for event kind `kind` (email, meeting, phone_call)."""
    if kind not in KINDS:
        raise SetupInputError([f"setup: unknown kind {kind!r}; expected one of "
                               + ", ".join(KINDS)])
    template = get_template(session, code)
    setup = session.get(TemplateSetup, kind)
    before = setup.template_code if setup is not None else None
    if before == template.code:
        return
    if setup is None:
        setup = TemplateSetup(kind=kind)
        session.add(setup)
    setup.template_code = template.code
    session.flush()
    audit(session, actor, "setup_set", None, kind=kind, template=[before, template.code])


# Rules ----------------------------------------------------------------------------------

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
        raise NotFound(f"no rule #{rule_id}")
    return rule


def add_rule(session: Session, values: Mapping[str, object], *, actor: str) -> MatchRule:
    """A new rule after the others of its priority (the templates file's `[[rule]]` keys)."""
    spec = _checked("rule", values, rule_spec)
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
    spec = _checked("rule", {**before, **_given(values)}, rule_spec)
    _write_rule(session, rule, spec)
    session.flush()
    after = _rule_spec_values(spec)
    audit(session, actor, "rule_edit", None, rule=rule.id,
          changes=_changes(before, after) | {k: [v, None] for k, v in before.items()
                                             if k not in after})
    return rule


def remove_rule(session: Session, rule_id: int, *, actor: str) -> None:
    rule = get_rule(session, rule_id)
    values = rule_values(rule)
    session.delete(rule)
    session.flush()
    audit(session, actor, "rule_remove", None, rule=rule_id, **values)
