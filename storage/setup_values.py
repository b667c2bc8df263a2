"""Form and command-line values for one group, template or rule, checked by the templates
file's own converters (`storage/templates_toml.py`), so a form, the CLI and a file take and
refuse the same things. Used by `storage/setup.py` and `storage/setup_rules.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from storage.errors import InterlogError
from storage.templates_check import TableChecker, TableLines
from storage.templates_spec import RULE_KEYS

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


def checked[T](table: str, values: Mapping[str, object],
                convert: Callable[[TableChecker], T | None]) -> T:
    errors: list[Any] = []
    checker = _FormChecker(TableLines(""), errors, table, 0, _normalized(values))
    spec = convert(checker)
    if errors or spec is None:
        raise SetupInputError([e.message for e in errors] or [f"{table}: incomplete values"])
    return spec


def given(values: Mapping[str, object]) -> dict[str, object]:
    """The values given (None: keep what is there)."""
    return {k: v for k, v in values.items() if v is not None}


def changes(before: Mapping[str, object], after: Mapping[str, object]) -> dict[str, object]:
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
