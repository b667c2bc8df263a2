"""What a templates file holds: the key sets, the parsed specs, and `TemplateError`.

`storage.templates_toml` reads the text into these; `storage.templates_io` applies them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from storage.vocabulary import ItemKind

# Capture applies rules to these (calls: docs/calls.md).
RULE_KINDS: tuple[str, ...] = (ItemKind.EMAIL, ItemKind.MEETING, ItemKind.CALL)
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
