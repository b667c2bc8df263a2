"""The log's filters, read from a query string and checked: one parser for pages and API.

An unknown value (a template that does not exist, a malformed date, a status that is not
one of active/canceled/all) raises `BadInput` naming the field; nothing is guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.contacts import resolve_contact
from storage.entries import EntryFilter
from storage.errors import InterlogError
from storage.models import (
    SOURCES,
    Contact,
    InteractionGroup,
    InteractionLogEntry,
    InteractionTemplate,
    User,
)
from storage.outcomes import EVALUATIONS
from storage.values import MAX_FILTER_CHARS, BadValue, clean_text
from web.context import filter_day_zone

FILTER_FIELDS = ("contact", "company", "template", "group", "salesperson", "user", "source",
                 "status", "since", "until", "document_no", "evaluation")
STATUSES = ("all", "active", "canceled")


class BadInput(ValueError):
    """A request value that does not validate; `field` names it."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


def checked_text(field_name: str, value: str, limit: int | None = None) -> str:
    """`value`, or `BadInput` when it holds a NUL or a lone surrogate or exceeds `limit`."""
    try:
        clean_text(value, field_name)
    except BadValue as exc:
        raise BadInput(exc.field, exc.message) from None
    if limit is not None and len(value) > limit:
        raise BadInput(field_name, f"{field_name} is longer than {limit} characters")
    return value


@dataclass(frozen=True)
class ParsedFilters:
    filter: EntryFilter
    values: dict[str, str] = field(default_factory=dict)  # normalised, to echo in links


def filter_query(values: Mapping[str, object], **changes: str) -> str:
    """The query string of the log's filters among `values` (anything else, such as `page`,
    is left out), with `changes` applied: the one home of a link that keeps the filters.
    Values are kept as given, so after a filter error the links carry the same filters
    (and the export shows the same error) instead of silently dropping them."""
    merged = {name: str(values.get(name) or "") for name in FILTER_FIELDS}
    merged.update(changes)
    return urlencode([(name, merged[name]) for name in FILTER_FIELDS if merged[name]])


def parse_date(field_name: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadInput(field_name, f"{text!r} is not a date (YYYY-MM-DD)") from None


def _exists(session: Session, stmt: sa.Select[tuple[int]]) -> bool:
    return session.scalar(stmt.limit(1)) is not None


def _check_code(session: Session, name: str, value: str) -> str:
    model = {"template": InteractionTemplate, "group": InteractionGroup}[name]
    code = value.upper()
    if session.get(model, code) is None:
        raise BadInput(name, f"no interaction {name} {value!r}")
    return code


def _check_person(session: Session, name: str, value: str) -> str:
    e = InteractionLogEntry
    if name == "salesperson":
        known = _exists(session, sa.select(1).where(User.salesperson_code == value)) or _exists(
            session, sa.select(1).where(e.salesperson_code == value))
        if not known:
            raise BadInput(name, f"no salesperson code {value!r}")
        return value
    upn = value.lower()
    known = _exists(session, sa.select(1).where(User.upn == upn)) or _exists(
        session, sa.select(1).where(e.user_upn == upn))
    if not known:
        raise BadInput(name, f"no user {value!r}")
    return upn


def _contact_id(session: Session, value: str) -> tuple[int, str]:
    try:
        contact = resolve_contact(session, value)
    except InterlogError as exc:
        raise BadInput("contact", str(exc)) from None
    return contact.id, contact.no


def _company_no(session: Session, value: str) -> str:
    company = session.scalar(sa.select(Contact).where(Contact.no == value.strip().upper()))
    if company is None or company.type != "company":
        raise BadInput("company", f"no company contact {value!r}")
    return company.no


def _one_of(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise BadInput(name, f"{value!r} is not one of {', '.join(allowed)}")
    return value


def parse_filters(
    session: Session, args: Mapping[str, str], *, allowed_extra: tuple[str, ...] = ()
) -> ParsedFilters:
    """Check every filter in `args` (empty values mean "any") into an `EntryFilter`."""
    unknown = sorted(set(args) - set(FILTER_FIELDS) - set(allowed_extra))
    if unknown:
        raise BadInput(unknown[0], f"unknown filter {unknown[0]!r}; known: "
                       + ", ".join(FILTER_FIELDS))
    for name in args:
        checked_text(name, str(args.get(name, "")), MAX_FILTER_CHARS)
    raw = {k: str(args.get(k, "")).strip() for k in FILTER_FIELDS}
    values = {k: v for k, v in raw.items() if v}
    kwargs: dict[str, object] = {}
    if "contact" in values:
        kwargs["contact_id"], values["contact"] = _contact_id(session, values["contact"])
    if "company" in values:
        kwargs["company_no"] = values["company"] = _company_no(session, values["company"])
    for name in ("template", "group"):
        if name in values:
            kwargs[f"{name}_code"] = values[name] = _check_code(session, name, values[name])
    if "salesperson" in values:
        kwargs["salesperson_code"] = _check_person(session, "salesperson", values["salesperson"])
    if "user" in values:
        kwargs["user_upn"] = values["user"] = _check_person(session, "user", values["user"])
    for name, allowed in (("source", SOURCES), ("evaluation", EVALUATIONS)):
        if name in values:
            kwargs[name] = _one_of(name, values[name], allowed)
    kwargs["status"] = _one_of("status", values.get("status", "all"), STATUSES)
    for name in ("since", "until"):
        if name in values:
            kwargs[name] = parse_date(name, values[name])
    if "since" in kwargs and "until" in kwargs and kwargs["since"] > kwargs["until"]:  # type: ignore[operator]
        raise BadInput("until", "the date range ends before it starts")
    if "document_no" in values:
        kwargs["document_no"] = values["document_no"]
    kwargs["day_zone"] = filter_day_zone()
    return ParsedFilters(filter=EntryFilter(**kwargs), values=values)  # type: ignore[arg-type]
