"""Which columns the log page shows: chosen with a small form of checkboxes (no script),
kept in a cookie, so every link of the log (filters, pages, export) stays as it was.

The cookie holds column keys only, joined by "." (which a cookie need not quote, as it
would a comma); anything else in it is ignored. Without it the log shows `DEFAULT`. The
form is a POST with the CSRF token like every form.
"""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, request
from werkzeug.wrappers import Response

from storage.links import outlook_link
from web.auth import safe_next
from web.filters import filter_query
from web.routes import Route, add_routes

COOKIE = "interlog_log_columns"
MAX_AGE = 365 * 24 * 3600
# The log's optional columns (key, English label); the number, date, contact, template,
# subject, duration, cost, status and actions are always shown.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("flow", "Information flow"),
    ("initiated_by", "Initiated by"),
    ("attempt_failed", "Attempt failed"),
    ("evaluation", "Evaluation"),
    ("company", "Company"),
    ("salesperson", "Salesperson"),
    ("group", "Group"),
    ("cancel_reason", "Cancel reason"),
    ("source", "Source"),
    ("user", "User"),
    ("document_no", "Document no."),
)
KEYS = tuple(key for key, _ in COLUMNS)
DEFAULT = ("evaluation", "source", "user", "document_no")
SEPARATOR = "."
NONE = "-"  # the cookie's value when every optional column is off


def chosen_columns() -> frozenset[str]:
    """The columns this browser chose (the cookie), else `DEFAULT`."""
    raw = request.cookies.get(COOKIE)
    if raw is None:
        return frozenset(DEFAULT)
    return frozenset(part for part in raw.split(SEPARATOR) if part in KEYS)


def choose_columns() -> Response:
    """Keep the ticked columns (unknown names are dropped) and go back to the log."""
    picked = [key for key in KEYS if key in request.form.getlist("column")]
    response = redirect(safe_next(request.form.get("next")))
    response.set_cookie(COOKIE, SEPARATOR.join(picked) or NONE, max_age=MAX_AGE, path="/",
                        httponly=True, samesite="Lax",
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
    return response


ROUTES: tuple[Route, ...] = (("/log/columns", "log_columns", choose_columns, ("POST",)),)


def register_routes(bp: Blueprint) -> None:
    add_routes(bp, ROUTES)
    bp.add_app_template_global(chosen_columns, "chosen_columns")
    bp.add_app_template_global(lambda: COLUMNS, "log_columns")
    bp.add_app_template_global(filter_query, "filter_query")
    bp.add_app_template_filter(outlook_link, "outlook_link")
