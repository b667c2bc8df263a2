"""Checks every surface applies to the values it is given, before anything is stored or looked up.

One helper per kind of input, shared by the API, the pages' filters, the bot, the
notifications endpoint, the contacts CSV and the templates TOML:

- `text_problem` / `clean_text`: a NUL character (SQLite stores it, PostgreSQL refuses it)
  or a lone surrogate (no UTF-8 encoding exists: both databases fail) is refused;
- `number_problem` / `finite_decimal`: NaN and infinities are refused, and so is anything
  outside the range the column holds.

Each raises `BadValue`, an `InterlogError` naming the field.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

from storage import i18n
from storage.errors import InterlogError

# One address, no display name, no list: what the contacts CSV and "create contact" take.
EMAIL_RE = re.compile(r"^[^@\s,;<>\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
MAX_EMAIL_CHARS = 254
CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f]")  # C0, DEL, C1
MAX_FILTER_CHARS = 254  # a filter value longer than any column it is compared with is refused
MIN_PRIORITY, MAX_PRIORITY = -1_000_000, 1_000_000  # a rule's priority


class BadValue(InterlogError):
    """A value no surface may store or look up; `field` names it, `message` says why.

    `message` is a msgid of the catalog with `{name}` fields from `params` (`{field}` is
    always there), as `InterlogError`'s: `message` and `str()` read in the request's locale."""

    def __init__(self, field: str, message: str, /, **params: object) -> None:
        # An f-string message (no `{field}` in it) is final: never formatted again.
        if params or "{field}" in message:
            params = {"field": field, **params}
        super().__init__(message, **params)
        self.field = field

    @property
    def message(self) -> str:
        """Why, in the locale a surface set (English without one)."""
        return InterlogError.text(self, i18n.CURRENT.get())

    def text(self, locale: str | None) -> str:
        return f"{self.field}: {InterlogError.text(self, locale)}"


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored (a NUL character, a lone surrogate), or None."""
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"contains a lone surrogate (U+{ord(value[exc.start]):04X})"
    return None


def contact_number_problem(no: str) -> str | None:
    """Why `no` cannot be a contact number, or None. A `/` is allowed (the contact page takes
    it), but not a control character, nor an empty, `.` or `..` path segment, which browsers
    and servers rewrite away (`A/../B` would open contact `B`)."""
    problem = text_problem(no)
    if problem is None and CONTROL_RE.search(no):
        problem = "contains a control character"
    if problem is None and any(seg in ("", ".", "..") for seg in no.split("/")):
        problem = "must not start or end with '/', nor hold '//', '/./' or '/../'"
    return problem


def email_problem(address: str) -> str | None:
    """Why `address` is not one well-formed email address, or None."""
    problem = text_problem(address)
    if problem is None and CONTROL_RE.search(address):
        problem = "contains a control character"
    if problem is None and (len(address) > MAX_EMAIL_CHARS or not EMAIL_RE.match(address)):
        problem = "is not one well-formed email address"
    return problem


def clean_text(value: str, field: str) -> str:
    """`value` unchanged, or `BadValue` when it holds a NUL character or a lone surrogate."""
    problem = text_problem(value)
    if problem is not None:
        raise BadValue(field, f"{field} {problem}")
    return value


def number_problem(value: int | float | Decimal, low: Decimal, high: Decimal) -> str | None:
    """Why `value` is not a number between `low` and `high` (NaN, infinite, out of range)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "must be a finite number"
    if isinstance(value, Decimal) and not value.is_finite():
        return "must be a finite number"
    if not low <= Decimal(str(value)) <= high:
        return f"must be between {low} and {high}"
    return None


def finite_decimal(
    value: int | float | Decimal | str, field: str, *, low: Decimal, high: Decimal,
) -> Decimal:
    """`value` as a Decimal with two places, or `BadValue` (not a number, NaN, out of range)."""
    if isinstance(value, bool):
        raise BadValue(field, "{field} must be a number")
    try:
        number = value if isinstance(value, int | float | Decimal) else Decimal(value.strip())
    except InvalidOperation:
        raise BadValue(field, "{field} must be a number, not {value!r}", value=value) from None
    problem = number_problem(number, low, high)
    if problem is not None:
        raise BadValue(field, f"{field} {problem}")
    return Decimal(str(number)).quantize(Decimal("0.01"))


def bounded_int(value: object, field: str, *, low: int, high: int) -> int:
    """`value` as an int between `low` and `high`, or `BadValue`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadValue(field, "{field} must be an integer, not {value!r}", value=value)
    if not low <= value <= high:
        raise BadValue(field, "{field} must be between {low} and {high}", low=low, high=high)
    return value
