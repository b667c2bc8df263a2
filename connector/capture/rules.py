"""Template rules: the first rule (by priority, then position) whose conditions all hold wins.

Rules are compiled once per run (regexes included); an item is described by `Facts`, and
`choose_template` returns the template, document type and document number for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from connector.frozen import quick_init
from storage.errors import InterlogError
from storage.models import MatchRule
from storage.vocabulary import InformationFlow, ItemKind


@quick_init
@dataclass(frozen=True, slots=True)
class Facts:
    """What a rule may test about a captured item."""

    kind: ItemKind
    direction: InformationFlow
    subject: str  # "" when the item is private and redacted: subject rules cannot see it
    from_domain: str
    participant_domains: frozenset[str]
    categories: frozenset[str]  # lower-case
    has_attachments: bool = False
    online_meeting: bool = False


@dataclass(frozen=True)
class CompiledRule:
    template_code: str
    kind: str | None
    direction: str | None
    subject: re.Pattern[str] | None
    from_domain: str | None
    participant_domain: str | None
    category: str | None  # lower-case
    has_attachments: bool | None
    online_meeting: bool | None
    document_type: str | None
    label: str = ""  # which rule this is, for `interlog explain`: "rule 3, priority 10"

    def match(self, facts: Facts) -> re.Match[str] | bool:
        """False if a condition fails; else the subject match (or True without a regex)."""
        if self.kind is not None and self.kind != facts.kind:
            return False
        if self.direction is not None and self.direction != facts.direction:
            return False
        if self.from_domain is not None and not _domain_in(facts.from_domain, self.from_domain):
            return False
        if self.participant_domain is not None and not any(
            _domain_in(d, self.participant_domain) for d in facts.participant_domains
        ):
            return False
        if self.category is not None and self.category not in facts.categories:
            return False
        if self.has_attachments is not None and self.has_attachments != facts.has_attachments:
            return False
        if self.online_meeting is not None and self.online_meeting != facts.online_meeting:
            return False
        if self.subject is None:
            return True
        return self.subject.search(facts.subject) or False


@quick_init
@dataclass(frozen=True, slots=True)
class Choice:
    template_code: str
    document_type: str | None = None
    document_no: str | None = None
    rule: str | None = None  # the rule's label; None: the setup default for the kind


def _domain_in(domain: str, wanted: str) -> bool:
    """`eu.fabrikam.com` is in `fabrikam.com`; `notfabrikam.com` is not."""
    return domain == wanted or domain.endswith("." + wanted)


def _norm(value: str | None) -> str | None:
    value = (value or "").strip().lower()
    return value or None


def compile_rules(rules: Iterable[MatchRule]) -> list[CompiledRule]:
    """Compile stored rules in the order given; a bad regex is an error naming its rule."""
    compiled = []
    for rule in rules:
        try:
            pattern = re.compile(rule.subject) if rule.subject else None
        except re.error as exc:
            raise InterlogError(
                f"rule {rule.position} (template {rule.template_code}): subject regex"
                f" {rule.subject!r} does not compile: {exc}"
            ) from None
        compiled.append(CompiledRule(
            template_code=rule.template_code,
            kind=_norm(rule.kind),
            direction=_norm(rule.direction),
            subject=pattern,
            from_domain=_norm(rule.from_domain),
            participant_domain=_norm(rule.participant_domain),
            category=_norm(rule.category),
            has_attachments=rule.has_attachments,
            online_meeting=rule.online_meeting,
            document_type=rule.document_type or None,
            label=f"rule {rule.position}, priority {rule.priority}",
        ))
    return compiled


def choose_template(rules: Iterable[CompiledRule], facts: Facts, default_code: str) -> Choice:
    """The first matching rule's template (and document fields), else the setup default."""
    for rule in rules:
        matched = rule.match(facts)
        if matched is False:
            continue
        document_no = None
        if isinstance(matched, re.Match) and "document_no" in matched.re.groupindex:
            document_no = (matched.group("document_no") or "")[:40] or None
        return Choice(rule.template_code, rule.document_type, document_no, rule.label)
    return Choice(default_code)
