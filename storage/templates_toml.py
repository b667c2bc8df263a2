"""The templates file (TOML): `[[group]]`, `[[template]]`, `[setup]` and `[[rule]]`.

`parse_templates_toml` / `validate_templates_toml` are pure: they read text and return every
problem as a `TemplateError` with the line it is on, where that can be found (the web page
shows each error against its line). `storage.templates_io` applies and exports.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from storage.models import CORRESPONDENCE_TYPES, FLOWS, INITIATORS, KINDS

RULE_KINDS = ("email", "meeting")
TABLES = ("group", "template", "setup", "rule")
GROUP_KEYS = {"code", "description"}
TEMPLATE_KEYS = {"code", "group", "description", "information_flow", "initiated_by",
                 "unit_cost", "unit_duration_min", "correspondence_type"}
RULE_KEYS = {"template", "priority", "kind", "direction", "subject", "from_domain",
             "participant_domain", "category", "has_attachments", "online_meeting",
             "document_type"}
MAX_AMOUNT = Decimal("9999999999")


@dataclass(frozen=True)
class TemplateError:
    """One problem in a templates file; `line` is 1-based, or None when it cannot be placed."""

    message: str
    line: int | None = None

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass(frozen=True)
class GroupSpec:
    code: str
    description: str = ""


@dataclass(frozen=True)
class TemplateSpec:
    code: str
    group: str
    description: str = ""
    information_flow: str | None = None
    initiated_by: str | None = None
    unit_cost: Decimal = Decimal("0")
    unit_duration_min: Decimal = Decimal("0")
    correspondence_type: str = ""


@dataclass(frozen=True)
class RuleSpec:
    template: str
    priority: int = 100
    kind: str | None = None
    direction: str | None = None
    subject: str | None = None
    from_domain: str | None = None
    participant_domain: str | None = None
    category: str | None = None
    has_attachments: bool | None = None
    online_meeting: bool | None = None
    document_type: str | None = None


@dataclass(frozen=True)
class TemplatesFile:
    """A valid templates file. `rules` is None when the file has no `rule` key at all."""

    groups: tuple[GroupSpec, ...] = ()
    templates: tuple[TemplateSpec, ...] = ()
    setup: Mapping[str, str] = field(default_factory=dict)
    rules: tuple[RuleSpec, ...] | None = None


class _Lines:
    """Finds the line of the n-th `[[name]]` / `[name]` table, and of a key inside it."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers: list[tuple[str, int]] = []  # (table name, 0-based line)
        pattern = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_-]+)\s*\]\]?\s*(#.*)?$")
        for number, line in enumerate(self.lines):
            match = pattern.match(line)
            if match:
                self.headers.append((match.group(1), number))

    def table(self, name: str, index: int = 0) -> int | None:
        found = [n for table, n in self.headers if table == name]
        return found[index] + 1 if index < len(found) else None

    def key(self, name: str, index: int, key: str) -> int | None:
        start = self.table(name, index)
        if start is None:
            return None
        ends = [n for _, n in self.headers if n >= start]
        end = ends[0] if ends else len(self.lines)
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        for number in range(start, end):
            if pattern.match(self.lines[number]):
                return number + 1
        return start


@dataclass
class _Checker:
    """Collects errors while converting one table's values."""

    lines: _Lines
    errors: list[TemplateError]
    table: str
    index: int
    raw: Mapping[str, Any]

    @property
    def where(self) -> str:
        return f"[{self.table}]" if self.table == "setup" else f"[[{self.table}]] #{self.index + 1}"

    def error(self, key: str | None, message: str) -> None:
        line = (self.lines.key(self.table, self.index, key) if key
                else self.lines.table(self.table, self.index))
        self.errors.append(TemplateError(f"{self.where}: {message}", line))

    def unknown_keys(self, allowed: Collection[str]) -> None:
        for key in self.raw:
            if key not in allowed:
                self.error(key, f"unknown key {key!r}")

    def text(self, key: str, limit: int, *, required: bool = False) -> str | None:
        value = self.raw.get(key)
        if value is None:
            if required:
                self.error(None, f"{key} is missing")
            return None
        if not isinstance(value, str):
            self.error(key, f"{key} must be a string, not {value!r}")
            return None
        if required and not value.strip():
            self.error(key, f"{key} is empty")
            return None
        if len(value) > limit:
            self.error(key, f"{key} is longer than {limit} characters")
            return None
        return value

    def code(self, key: str, *, required: bool = True) -> str | None:
        value = self.text(key, 10, required=required)
        return value.strip().upper() if value is not None else None

    def choice(self, key: str, allowed: Collection[str]) -> str | None:
        value = self.raw.get(key)
        if value is None or value == "":
            return None
        if value not in allowed:
            self.error(key, f"{key} = {value!r}: expected one of {', '.join(allowed)}")
            return None
        return str(value)

    def amount(self, key: str) -> Decimal:
        value = self.raw.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error(key, f"{key} must be a number, not {value!r}")
            return Decimal("0")
        amount = Decimal(str(value))
        if not Decimal("0") <= amount <= MAX_AMOUNT:
            self.error(key, f"{key} must be between 0 and {MAX_AMOUNT}, not {value!r}")
            return Decimal("0")
        return amount.quantize(Decimal("0.01"))

    def flag(self, key: str) -> bool | None:
        value = self.raw.get(key)
        if value is not None and not isinstance(value, bool):
            self.error(key, f"{key} must be true or false, not {value!r}")
            return None
        return value


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
    lines = _Lines(text)
    errors: list[TemplateError] = []
    for key in data:
        if key not in TABLES:
            errors.append(TemplateError(f"unknown table or key {key!r}; expected one of "
                                        + ", ".join(TABLES), lines.table(key)))
    groups = _tables(data, "group", lines, errors, _group)
    templates = _tables(data, "template", lines, errors, _template)
    rules = _tables(data, "rule", lines, errors, _rule)
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
    data: Mapping[str, Any], name: str, lines: _Lines, errors: list[TemplateError],
    convert: Callable[[_Checker], T | None],
) -> list[tuple[int, T]]:
    """The converted tables of `name`, each with its index in the file."""
    raw = data.get(name, [])
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        errors.append(TemplateError(f"{name} must be an array of tables: [[{name}]]",
                                    lines.table(name)))
        return []
    result = []
    for index, item in enumerate(raw):
        value = convert(_Checker(lines, errors, name, index, item))
        if value is not None:
            result.append((index, value))
    return result


def _group(c: _Checker) -> GroupSpec | None:
    c.unknown_keys(GROUP_KEYS)
    code = c.code("code")
    description = c.text("description", 100) or ""
    return GroupSpec(code, description) if code else None


def _template(c: _Checker) -> TemplateSpec | None:
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


def _rule(c: _Checker) -> RuleSpec | None:
    c.unknown_keys(RULE_KEYS)
    template = c.code("template")
    priority = c.raw.get("priority", 100)
    if isinstance(priority, bool) or not isinstance(priority, int):
        c.error("priority", f"priority must be an integer, not {priority!r}")
        priority = 100
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


def _setup(raw: Any, lines: _Lines, errors: list[TemplateError]) -> dict[str, str]:
    if not isinstance(raw, dict):
        errors.append(TemplateError("setup must be a table: [setup]", lines.table("setup")))
        return {}
    c = _Checker(lines, errors, "setup", 0, raw)
    c.unknown_keys(KINDS)
    return {kind: code for kind in KINDS if kind in raw
            for code in [c.code(kind)] if code is not None}


@dataclass
class _References:
    """Checks codes against each other: duplicates, unknown groups and templates."""

    lines: _Lines
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
