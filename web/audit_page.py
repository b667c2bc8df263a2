"""The audit trail page (`/audit`): newest first, 50 a page by keyset (`before` an id), filtered
by entry, actor and action (`storage/audit_queries.py`).

Who sees what: an admin every event; a user the events that concern an entry — what the
entry pages already show any signed-in user — but not those that concern no entry (setup,
imports, API keys, `init`), which are an admin's.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, render_template, request

from storage.audit_queries import AuditFilter, audit_events
from storage.values import MAX_FILTER_CHARS
from web.auth import current_user
from web.context import db
from web.filters import BadInput, checked_text
from web.routes import Route, add_routes

PAGE_SIZE = 50
MAX_ID = 2**63 - 1
FIELDS = ("entry", "actor", "action")


def _number(name: str, text: str) -> int | None:
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_ID:
        raise BadInput(name, f"{text!r} is not a whole number")
    return int(text)


def _parse(admin: bool) -> tuple[AuditFilter, int | None, dict[str, str]]:
    unknown = sorted(set(request.args) - {*FIELDS, "before"})
    if unknown:
        raise BadInput(unknown[0], f"unknown filter {unknown[0]!r}; known: {', '.join(FIELDS)}")
    values = {k: checked_text(k, request.args.get(k, ""), MAX_FILTER_CHARS).strip()
              for k in (*FIELDS, "before")}
    filters = AuditFilter(entry_no=_number("entry", values["entry"]),
                          actor=values["actor"] or None,
                          action=values["action"].lower() or None,
                          entry_events_only=not admin)
    shown = {k: v for k, v in values.items() if v and k != "before"}
    return filters, _number("before", values["before"]), shown


def audit_page() -> Any:
    user = current_user()
    ctx: dict[str, Any] = {"rows": [], "error": None, "values": {}, "older": None,
                           "query": "", "first_page": True, "admin": user.admin}
    try:
        filters, before, ctx["values"] = _parse(user.admin)
    except BadInput as exc:
        ctx["error"] = exc
        return render_template("audit.html", **ctx), 400
    rows = audit_events(db(), filters, before=before, limit=PAGE_SIZE + 1)
    ctx["rows"] = rows[:PAGE_SIZE]
    ctx["query"] = urlencode(ctx["values"])
    ctx["first_page"] = before is None
    if len(rows) > PAGE_SIZE:
        ctx["older"] = rows[PAGE_SIZE - 1].id
    return render_template("audit.html", **ctx)


ROUTES: tuple[Route, ...] = (("/audit", "audit", audit_page, ("GET",)),)


def register_routes(bp: Blueprint) -> None:
    add_routes(bp, ROUTES)
