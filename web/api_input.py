"""The bodies of `POST /api/v1/interactions` (checked field by field into an `Interaction`)
and of `…/evaluate` and `…/note` (an entry's outcome afterwards).

Every problem is a `BadInput` naming the field; a body that validates carries only values an
entry may hold (lengths as the columns, a duration in range, a real date).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from storage.entries import Interaction
from storage.outcomes import EVALUATIONS, check_evaluation, note_lines
from storage.values import BadValue, finite_decimal
from web.filters import BadInput, checked_text

STRINGS = {"template": 10, "subject": 250, "document_type": 40, "document_no": 40}
FIELDS = ("contact", "template", "subject", "date", "duration_min", "document_type",
          "document_no", "cost", "attempt_failed", "evaluation", "note")
MAX_DURATION = Decimal("99999999")
MAX_COST = Decimal("99999999")
IDEMPOTENCY_MAX = 200


@dataclass(frozen=True)
class InteractionRequest:
    contact: str
    interaction: Interaction
    body_hash: str


def _string(name: str, value: Any, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadInput(name, f"{name} must be a string")
    value = checked_text(name, value).strip()
    if len(value) > limit:
        raise BadInput(name, f"{name} is longer than {limit} characters")
    return value or None


def _contact(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        raise BadInput("contact", "contact is required: a contact number or an email address")
    if isinstance(value, int):
        if value < 0:
            raise BadInput("contact", "contact number must not be negative")
        return str(value)
    text = _string("contact", value, 254)
    if text is None:
        raise BadInput("contact", "contact is required: a contact number or an email address")
    return text


def parse_when(value: Any) -> datetime | None:
    """`YYYY-MM-DD` (midnight UTC) or an ISO 8601 date-time (an offset converts to UTC)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadInput("date", "date must be a string (YYYY-MM-DD or ISO 8601 date-time)")
    try:
        if len(value) == 10:
            moment = datetime.combine(date.fromisoformat(value), datetime.min.time())
        else:
            moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadInput("date", f"date {checked_text('date', value)!r} is not a date "
                               "(YYYY-MM-DD) or ISO 8601 date-time") from None
    # Checked before converting: an offset near year 1 or 9999 would overflow the conversion.
    if not 1900 <= moment.year <= 9998:
        raise BadInput("date", f"date {value!r} is out of range (years 1900 to 9998)")
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def _amount(name: str, value: Any, high: Decimal, what: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadInput(name, f"{name} must be {what}")
    try:
        return finite_decimal(value, name, low=Decimal(0), high=high)
    except BadValue as exc:
        raise BadInput(exc.field, exc.message) from None


def _flag(name: str, value: Any) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise BadInput(name, f"{name} must be true or false")
    return value


def evaluation_of(value: Any, *, required: bool = False) -> str:
    """An `evaluation` field: one of the five values (absent or null: none, unless required)."""
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise BadInput("evaluation", "evaluation must be one of " + ", ".join(EVALUATIONS))
    try:
        return check_evaluation(checked_text("evaluation", value))
    except BadValue as exc:
        raise BadInput(exc.field, exc.message) from None


def note_of(value: Any) -> str:
    """A `note` field: text whose lines become note lines (storage.outcomes.note_lines)."""
    if not isinstance(value, str):
        raise BadInput("note", "note must be a string")
    try:
        note_lines(value)
    except BadValue as exc:
        raise BadInput(exc.field, exc.message) from None
    return value


def outcome_field(body: Any, name: str) -> Any:
    """The one field `name` of the body of `…/evaluate` or `…/note`."""
    if not isinstance(body, dict) or set(body) != {name}:
        raise BadInput(name, f'the body must be a JSON object with "{name}" only')
    return body[name]


def body_hash(body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def parse_interaction(body: Any) -> InteractionRequest:
    """Check a decoded JSON body; only `contact` and `template` are required."""
    if not isinstance(body, dict):
        raise BadInput("body", "the body must be a JSON object")
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise BadInput(unknown[0], f"unknown field {unknown[0]!r}; known: {', '.join(FIELDS)}")
    contact = _contact(body.get("contact"))
    strings = {name: _string(name, body.get(name), limit) for name, limit in STRINGS.items()}
    template = strings.pop("template")
    if template is None:
        raise BadInput("template", "template is required: an interaction template code")
    note = body.get("note")
    interaction = Interaction(
        template_code=template.upper(),
        occurred_at=parse_when(body.get("date")),
        duration_min=_amount("duration_min", body.get("duration_min"), MAX_DURATION,
                             "a number of minutes"),
        cost=_amount("cost", body.get("cost"), MAX_COST, "an amount"),
        attempt_failed=_flag("attempt_failed", body.get("attempt_failed")),
        evaluation=evaluation_of(body.get("evaluation")),
        note=None if note is None else note_of(note),
        source="api",
        **strings,  # type: ignore[arg-type]
    )
    return InteractionRequest(contact=contact, interaction=interaction, body_hash=body_hash(body))


def idempotency_key(value: str | None) -> str | None:
    if value is None:
        return None
    if not 1 <= len(value) <= IDEMPOTENCY_MAX or not value.isascii() or not value.isprintable():
        raise BadInput("Idempotency-Key",
                       f"Idempotency-Key must be 1 to {IDEMPOTENCY_MAX} printable ASCII characters")
    return value
