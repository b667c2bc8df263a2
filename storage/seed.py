"""Default groups, templates and setup (what `interlog init` seeds).

Idempotent: running it twice changes nothing the second time, and it never overwrites a
group, template or setup key an admin has already defined. `[[user]]` rows are seeded by
`storage/users.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy.orm import Session

from storage.models import InteractionGroup, InteractionTemplate, TemplateSetup
from storage.vocabulary import CorrespondenceType, InformationFlow, InitiatedBy, SetupKind

_OUT, _US = InformationFlow.OUTBOUND, InitiatedBy.US

DEFAULT_GROUPS: tuple[tuple[str, str], ...] = (
    ("EMAIL", "Email"),
    ("MEETINGS", "Meetings"),
    ("CALLS", "Phone calls"),
    ("DOCS", "Documents sent"),
)

# code, group, description, flow, initiated_by, unit_cost, unit_duration_min, correspondence
DEFAULT_TEMPLATES: tuple[tuple[str, str, str, str, str, str, str, str], ...] = (
    ("EMAIL", "EMAIL", "Email", _OUT, _US, "0", "0", CorrespondenceType.EMAIL),
    ("MEETING", "MEETINGS", "Meeting", _OUT, _US, "0", "30", CorrespondenceType.NONE),
    ("CALL", "CALLS", "Phone call", _OUT, _US, "0", "5", CorrespondenceType.NONE),
)

DEFAULT_SETUP: tuple[tuple[str, str], ...] = (
    (SetupKind.EMAIL, "EMAIL"),
    (SetupKind.MEETING, "MEETING"),
    (SetupKind.PHONE_CALL, "CALL"),
)


@dataclass
class SeedResult:
    """What a seed added (empty lists: nothing to do)."""

    groups: list[str] = field(default_factory=list)
    templates: list[str] = field(default_factory=list)
    setup: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.groups or self.templates or self.setup)


def seed_defaults(session: Session) -> SeedResult:
    """Add the default groups, templates and setup keys that are missing."""
    result = SeedResult()
    for code, description in DEFAULT_GROUPS:
        if session.get(InteractionGroup, code) is None:
            session.add(InteractionGroup(code=code, description=description))
            result.groups.append(code)
    session.flush()
    for code, group, desc, flow, by, cost, duration, corr in DEFAULT_TEMPLATES:
        if session.get(InteractionTemplate, code) is None:
            session.add(InteractionTemplate(
                code=code, group_code=group, description=desc, information_flow=flow,
                initiated_by=by, unit_cost=Decimal(cost), unit_duration_min=Decimal(duration),
                correspondence_type=corr,
            ))
            result.templates.append(code)
    session.flush()
    for kind, template_code in DEFAULT_SETUP:
        if session.get(TemplateSetup, kind) is None:
            session.add(TemplateSetup(kind=kind, template_code=template_code))
            result.setup.append(f"{kind}={template_code}")
    session.flush()
    return result
