"""Fuzz the contacts CSV and templates TOML imports with Hypothesis, on SQLite and PostgreSQL:
each file is imported whole or refused with the import's own error (never another exception,
never a traceback in its message), and a refused file writes nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from hypothesis import event, given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from storage.contacts_csv import COLUMNS, CsvImportError, import_contacts_csv
from storage.models import (
    AuditEvent,
    CompanyDomain,
    Contact,
    ContactEmail,
    InteractionGroup,
    InteractionTemplate,
    MatchRule,
    TemplateSetup,
)
from storage.templates_io import TemplatesImportError, import_templates
from tests.support.fuzz import FUZZ, text, toml_document, toml_tables

ROW = {"no": "P1", "type": "person", "name": "Ann", "company_no": "", "email": "ann@x.example",
       "email2": "", "domains": ""}
rows = st.lists(toml_tables({"row": ROW}).map(lambda t: t.get("row", {})), max_size=4)
CSV_COLUMNS = st.one_of(st.just(list(COLUMNS)), st.lists(st.sampled_from(COLUMNS) | text,
                                                          max_size=8))

GROUP = {"code": "CALLS", "description": "Calls"}
TEMPLATE = {"code": "CALL", "group": "CALLS", "description": "Call", "information_flow": "outbound",
            "initiated_by": "us", "unit_cost": 1.5, "unit_duration_min": 5,
            "correspondence_type": ""}
RULE = {"template": "CALL", "priority": 10, "kind": "email", "direction": "outbound",
        "subject": "(?i)quote", "from_domain": "x.example", "has_attachments": True}
SETUP = {"email": "CALL", "meeting": "CALL", "phone_call": "CALL"}
templates_files = st.builds(
    lambda groups, templates, rules, setup: {
        **({"group": groups} if groups else {}), **({"template": templates} if templates else {}),
        **({"rule": rules} if rules else {}), **setup},
    st.lists(toml_tables({"t": GROUP}).map(lambda t: t.get("t", {})), max_size=2),
    st.lists(toml_tables({"t": TEMPLATE}).map(lambda t: t.get("t", {})), max_size=2),
    st.lists(toml_tables({"t": RULE}).map(lambda t: t.get("t", {})), max_size=2),
    toml_tables({"setup": SETUP}),
)


def _rows(session: Session, *models: Any) -> tuple[int, ...]:
    session.expire_all()
    return tuple(session.scalar(sa.select(sa.func.count()).select_from(m)) or 0 for m in models)


def _csv(columns: list[str], body: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in body:
        writer.writerow([str(row.get(c, "")) for c in columns])
    return out.getvalue()


def _import_or_refuse(db: Session, load: Callable[[Session, str], object], text_: str,
                      refusal: type[Exception], models: tuple[Any, ...]) -> None:
    """Import `text_` inside a savepoint: done, or refused with `refusal` and nothing written."""
    savepoint = db.begin_nested()
    before = _rows(db, *models)
    problem: Exception | None = None
    try:
        load(db, text_)
    except refusal as exc:
        problem = exc
    event("refused" if problem else "imported")
    if problem is not None:
        assert "Traceback" not in str(problem)
        assert _rows(db, *models) == before
    savepoint.rollback()


@FUZZ
@given(columns=CSV_COLUMNS, body=rows)
def test_contacts_csv(db: Session, columns: list[str], body: list[dict[str, Any]]) -> None:
    _import_or_refuse(db, import_contacts_csv, _csv(columns, body), CsvImportError,
                      (Contact, ContactEmail, CompanyDomain, AuditEvent))


@FUZZ
@given(tables=templates_files)
def test_templates_toml(db: Session, tables: dict[str, Any]) -> None:
    _import_or_refuse(db, import_templates, toml_document(tables), TemplatesImportError,
                      (InteractionGroup, InteractionTemplate, MatchRule, TemplateSetup,
                       AuditEvent))
