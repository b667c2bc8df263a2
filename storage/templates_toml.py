"""The templates file (TOML): `[[group]]`, `[[template]]`, `[setup]` and `[[rule]]`.

`parse_templates_toml` / `validate_templates_toml` are pure: they read text and return every
problem as a `TemplateError` with the line it is on, where that can be found (the web page
shows each error against its line). The specs are in `storage.templates_spec`, line
placing and value conversion in `storage.templates_check`; `storage.templates_io` applies
and exports.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from storage.models import CORRESPONDENCE_TYPES, FLOWS, INITIATORS, KINDS
from storage.templates_check import TableChecker, TableLines
from storage.templates_spec import (
    GROUP_KEYS,
    RULE_KEYS,
    RULE_KINDS,
    TABLES,
    TEMPLATE_KEYS,
    GroupSpec,
    RuleSpec,
    TemplateError,
    TemplatesFile,
    TemplateSpec,
)
from storage.values import MAX_PRIORITY, MIN_PRIORITY


def parse_templates_toml(
    text: str,
    *,
    known_groups: Collection[str] = (),
    known_templates: Collection[str] = (),
) -> tuple[TemplatesFile | None, list[TemplateError]]:
    """The file, or None and every error. Codes in `known_*` exist already (in the database)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [_syntax_error(exc)]
    lines = TableLines(text)
    errors: list[TemplateError] = []
    for key in data:
        if key not in TABLES:
            errors.append(TemplateError(f"unknown table or key {key!r}; expected one of "
                                        + ", ".join(TABLES), lines.table(key)))
    groups = _tables(data, "group", lines, errors, group_spec)
    templates = _tables(data, "template", lines, errors, template_spec)
    rules = _tables(data, "rule", lines, errors, rule_spec)
    setup = _setup(data.get("setup", {}), lines, errors)
    refs = _References(lines, errors, set(known_groups), set(known_templates))
    refs.check(groups, templates, setup, rules)
    parsed = TemplatesFile(tuple(g for _, g in groups), tuple(t for _, t in templates), setup,
                           tuple(r for _, r in rules) if "rule" in data else None)
    errors.sort(key=lambda e: e.line or 0)
    return (None, errors) if errors else (parsed, [])


def _syntax_error(exc: tomllib.TOMLDecodeError) -> TemplateError:
    """tomllib says "… (at line 3, column 7)" (Python 3.14 also has `lineno`)."""
    match = re.search(r"\s*\(at line (\d+), column (\d+)\)$", str(exc))
    if match is None:
        return TemplateError(f"TOML syntax error: {exc}")
    message = str(exc)[: match.start()]
    return TemplateError(f"TOML syntax error: {message} (column {match.group(2)})",
                         int(match.group(1)))


def validate_templates_toml(
    text: str, *, known_groups: Collection[str] = (), known_templates: Collection[str] = ()
) -> list[TemplateError]:
    """Every problem in a templates file (empty: the file is valid)."""
    return parse_templates_toml(text, known_groups=known_groups,
                                known_templates=known_templates)[1]


def _tables[T](
    data: Mapping[str, Any], name: str, lines: TableLines, errors: list[TemplateError],
    convert: Callable[[TableChecker], T | None],
) -> list[tuple[int, T]]:
    """The converted tables of `name`, each with its index in the file."""
    raw = data.get(name, [])
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        errors.append(TemplateError(f"{name} must be an array of tables: [[{name}]]",
                                    lines.table(name)))
        return []
    result = []
    for index, item in enumerate(raw):
        value = convert(TableChecker(lines, errors, name, index, item))
        if value is not None:
            result.append((index, value))
    return result


def group_spec(c: TableChecker) -> GroupSpec | None:
    """A `[[group]]` table (or a form's values) as a spec; problems go to the checker."""
    c.unknown_keys(GROUP_KEYS)
    code = c.code("code")
    description = c.text("description", 100) or ""
    return GroupSpec(code, description) if code else None


def template_spec(c: TableChecker) -> TemplateSpec | None:
    """A `[[template]]` table (or a form's values) as a spec; problems go to the checker."""
    c.unknown_keys(TEMPLATE_KEYS)
    code, group = c.code("code"), c.code("group")
    spec = TemplateSpec(
        code=code or "", group=group or "",
        description=c.text("description", 100) or "",
        information_flow=c.choice("information_flow", FLOWS),
        initiated_by=c.choice("initiated_by", INITIATORS),
        unit_cost=c.amount("unit_cost"),
        unit_duration_min=c.amount("unit_duration_min"),
        correspondence_type=c.choice("correspondence_type", CORRESPONDENCE_TYPES) or "",
    )
    return spec if code and group else None


def rule_spec(c: TableChecker) -> RuleSpec | None:
    """A `[[rule]]` table (or a form's values) as a spec; problems go to the checker."""
    c.unknown_keys(RULE_KEYS)
    template = c.code("template")
    priority = c.integer("priority", 100, MIN_PRIORITY, MAX_PRIORITY)
    subject = c.text("subject", 500)
    if subject is not None:
        try:
            re.compile(subject)
        except re.error as exc:
            c.error("subject", f"subject regex {subject!r} does not compile: {exc}")
    lower = {k: (v.strip().lower() if v else None)
             for k in ("from_domain", "participant_domain")
             for v in [c.text(k, 253)]}
    if template is None:
        return None
    return RuleSpec(
        template=template, priority=priority, kind=c.choice("kind", RULE_KINDS),
        direction=c.choice("direction", FLOWS), subject=subject,
        from_domain=lower["from_domain"], participant_domain=lower["participant_domain"],
        category=c.text("category", 100), has_attachments=c.flag("has_attachments"),
        online_meeting=c.flag("online_meeting"), document_type=c.text("document_type", 40),
    )


def _setup(raw: Any, lines: TableLines, errors: list[TemplateError]) -> dict[str, str]:
    if not isinstance(raw, dict):
        errors.append(TemplateError("setup must be a table: [setup]", lines.table("setup")))
        return {}
    c = TableChecker(lines, errors, "setup", 0, raw)
    c.unknown_keys(KINDS)
    return {kind: code for kind in KINDS if kind in raw
            for code in [c.code(kind)] if code is not None}


@dataclass
class _References:
    """Checks codes against each other: duplicates, unknown groups and templates."""

    lines: TableLines
    errors: list[TemplateError]
    groups: set[str]
    templates: set[str]

    def add(self, message: str, table: str, index: int, key: str) -> None:
        self.errors.append(TemplateError(message, self.lines.key(table, index, key)))

    def check(
        self, groups: list[tuple[int, GroupSpec]], templates: list[tuple[int, TemplateSpec]],
        setup: Mapping[str, str], rules: list[tuple[int, RuleSpec]],
    ) -> None:
        self._duplicates("group", [(i, g.code) for i, g in groups])
        self._duplicates("template", [(i, t.code) for i, t in templates])
        self.groups |= {g.code for _, g in groups}
        self.templates |= {t.code for _, t in templates}
        for index, template in templates:
            if template.group not in self.groups:
                self.add(f"[[template]] #{index + 1}: unknown group {template.group!r}",
                         "template", index, "group")
        for kind, code in setup.items():
            if code not in self.templates:
                self.add(f"[setup]: {kind} names unknown template {code!r}", "setup", 0, kind)
        for index, rule in rules:
            if rule.template not in self.templates:
                self.add(f"[[rule]] #{index + 1}: unknown template {rule.template!r}",
                         "rule", index, "template")

    def _duplicates(self, table: str, codes: list[tuple[int, str]]) -> None:
        seen: set[str] = set()
        for index, code in codes:
            if code in seen:
                self.add(f"[[{table}]] #{index + 1}: duplicate code {code!r}", table, index,
                         "code")
            seen.add(code)
