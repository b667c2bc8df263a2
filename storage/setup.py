"""Setting up without files: add, edit and remove groups, templates and setup keys
(rules: `storage/setup_rules.py`).

The one home of a single group, template, rule or setup key written by hand (the CLI's
`templates add|remove`, `groups add|remove`, the Templates page); a whole file is applied by
`storage/templates_io.py`. Values are checked by the same converters as a templates file
(`storage/setup_values.py`), so a form and a file take and refuse the same things.

A template is in use while entries (of any status), a setup key, a rule or a logged segment
name it; a group while a template does. Removing one in use is refused with `InUse`, which
names what uses it and how many. Every change is audited as an event that concerns no entry
(`group_add`, `template_edit`, `rule_remove`, `setup_set`, …) with its facts as details.
Functions take a `Session` and never commit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage import i18n
from storage.audit import audit
from storage.errors import NotFound, Refused
from storage.models import (
    KINDS,
    InteractionGroup,
    InteractionLogEntry,
    InteractionTemplate,
    LoggedSegment,
    MatchRule,
    TemplateSetup,
)
from storage.setup_values import SetupInputError, changes, checked, given
from storage.templates_io import apply_template_spec
from storage.templates_spec import GroupSpec, TemplateSpec
from storage.templates_toml import group_spec, template_spec


class InUse(Refused):
    """A group or template that something still names: `uses` counts what, by kind."""

    def __init__(self, what: str, code: str, uses: Mapping[str, int],
                 setup_kinds: tuple[str, ...] = ()) -> None:
        self.what, self.code, self.uses = what, code, dict(uses)
        self.setup_kinds = setup_kinds
        message = ("group {code} is used by {uses}; nothing was removed" if what == "group"
                   else "template {code} is used by {uses}; nothing was removed")
        super().__init__(message, code=code, uses=_uses_text(None, uses, setup_kinds))

    def text(self, locale: str | None) -> str:
        """The refusal in `locale`, the counts' words too (`3 movimientos y 1 regla`)."""
        return i18n.translate(locale, self.msgid, code=self.code,
                              uses=_uses_text(locale, self.uses, self.setup_kinds))


USE_WORDS = {"entries": ("{n} entry", "{n} entries"),
             "templates": ("{n} template", "{n} templates"), "rules": ("{n} rule", "{n} rules"),
             "logged_segments": ("{n} logged segment", "{n} logged segments")}


def _uses_text(locale: str | None, uses: Mapping[str, int], setup_kinds: tuple[str, ...]) -> str:
    parts = [i18n.translate(locale, USE_WORDS[k][uses[k] != 1], n=uses[k])
             for k in USE_WORDS if uses.get(k)]
    if setup_kinds:
        defaults = ("the setup default for {kinds}" if len(setup_kinds) == 1
                    else "the setup defaults for {kinds}")
        kinds = i18n.translate(locale, " and ").join(setup_kinds)
        parts.append(i18n.translate(locale, defaults, kinds=kinds))
    last = i18n.translate(locale, " and ")
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + last + parts[-1]


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
        raise NotFound("no interaction group {code!r}", code=code)
    return group


def add_group(session: Session, values: Mapping[str, object], *, actor: str
              ) -> InteractionGroup:
    """A new group (`code`, `description`); an existing code is refused."""
    spec = checked("group", values, group_spec)
    if session.get(InteractionGroup, spec.code) is not None:
        raise Refused("interaction group {code} exists already; nothing was changed",
                      code=spec.code)
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
    spec = checked("group", {**before, **given(values), "code": group.code}, group_spec)
    group.description = spec.description
    session.flush()
    audit(session, actor, "group_edit", None, code=group.code,
          changes=changes(before, _group_values(spec)))
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
        raise NotFound("no interaction template {code!r}", code=code)
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
    apply_template_spec(template, spec)
    session.flush()


def add_template(session: Session, values: Mapping[str, object], *, actor: str
                 ) -> InteractionTemplate:
    """A new template (the templates file's keys); an existing code or unknown group is
    refused."""
    spec = checked("template", values, template_spec)
    if session.get(InteractionTemplate, spec.code) is not None:
        raise Refused("interaction template {code} exists already; nothing was changed",
                      code=spec.code)
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
    merged = {**before, **given(values), "code": template.code}
    spec = checked("template", merged, template_spec)
    get_group(session, spec.group)
    _write_template(session, template, spec)
    audit(session, actor, "template_edit", None, code=template.code,
          changes=changes(before, _spec_values(spec)))
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
