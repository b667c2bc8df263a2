"""One entry's page: every field, its outcome (evaluation, attempt failed, note lines), why it
was canceled, its audit trail; and the forms to evaluate it and add a note.

The forms carry the CSRF token like every form of the pages; a user may evaluate and note
their own entries, an admin any (`storage.users.owner_limit`, as cancel and restore). The
writes are `storage.entries.evaluate_entries` / `note_entries`, audited under the user.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from storage.entries import evaluate_entries, note_entries
from storage.errors import InterlogError
from storage.models import AuditEvent, InteractionLogEntry
from storage.outcomes import EVALUATIONS, MAX_NOTE_LINE
from storage.users import can_change_entry, owner_limit
from web.auth import current_user
from web.context import db
from web.i18n import gettext as _
from web.routes import Route, add_routes

MAX_ENTRY_NO = 2**31 - 1
AUDIT_ROWS = 50
LABELS = {"very_positive": "Very positive", "positive": "Positive", "neutral": "Neutral",
          "negative": "Negative", "very_negative": "Very negative", "": "Not evaluated"}


def evaluation_label(value: str) -> str:
    """An evaluation as the pages show it (the `evaluation` template filter), translated."""
    return _(LABELS.get(value, value))


def _entry(entry_no: int) -> InteractionLogEntry:
    entry = db().get(InteractionLogEntry, entry_no)
    if entry is None:
        abort(404)
    return entry


def entry_page(entry_no: int) -> Any:
    entry = _entry(entry_no)
    user = current_user()
    trail = db().execute(
        sa.select(AuditEvent.at, AuditEvent.actor, AuditEvent.action, AuditEvent.details)
        .where(AuditEvent.entry_no == entry_no).order_by(AuditEvent.id).limit(AUDIT_ROWS)
    ).all()
    return render_template(
        "entry.html", e=entry, trail=trail, evaluations=EVALUATIONS, max_line=MAX_NOTE_LINE,
        may_change=can_change_entry(user, entry),
    )


def _change(entry_no: int, action: str) -> Response:
    user = current_user()
    session = db()
    try:
        if action == "evaluate":
            evaluate_entries(session, [entry_no], request.form.get("evaluation", ""),
                             actor=user.actor, owner_upn=owner_limit(user))
        else:
            note_entries(session, [entry_no], request.form.get("note", ""), actor=user.actor,
                         owner_upn=owner_limit(user))
        session.commit()
    except InterlogError as exc:
        session.rollback()
        flash(str(exc), "error")
    else:
        flash(_("Evaluation saved.") if action == "evaluate" else _("Note added."), "ok")
    return redirect(url_for("web.entry", entry_no=entry_no))


def evaluate(entry_no: int) -> Response:
    return _change(entry_no, "evaluate")


def add_note(entry_no: int) -> Response:
    return _change(entry_no, "note")


ENTRY = f"/entries/<int(max={MAX_ENTRY_NO}):entry_no>"
ROUTES: tuple[Route, ...] = (
    (ENTRY, "entry", entry_page, ("GET",)),
    (f"{ENTRY}/evaluate", "evaluate_entry", evaluate, ("POST",)),
    (f"{ENTRY}/note", "note_entry", add_note, ("POST",)),
)


def register_routes(bp: Blueprint) -> None:
    add_routes(bp, ROUTES)
    bp.add_app_template_filter(evaluation_label, "evaluation")
