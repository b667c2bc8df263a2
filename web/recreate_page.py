"""Re-create an interaction from its entry's page (NAV's "Create Interaction" from a log
entry): a new manual entry copied from it (`storage/entry_recreate.py`), dated today or on
the day the form gives, for the user who asks (in development mode, the entry's own user).

Any signed-in user may: the new entry is their own, as a `log` from Teams would be.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from storage.entry_recreate import on_day, recreate_entry
from storage.errors import InterlogError
from web.auth import current_user
from web.context import clock, db
from web.filters import BadInput, parse_date
from web.i18n import gettext as _
from web.routes import Route, add_routes

MAX_ENTRY_NO = 2**31 - 1


def recreate(entry_no: int) -> Response:
    user = current_user()
    session = db()
    text = request.form.get("date", "").strip()
    try:
        when = on_day(parse_date("date", text), clock().zone) if text else None
        entry = recreate_entry(session, entry_no, actor=user.actor, occurred_at=when,
                               user_upn=None if user.anonymous else user.upn)
        session.commit()
    except (InterlogError, BadInput) as exc:
        session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("web.entry", entry_no=entry_no))
    flash(f"{_('Re-created as')} #{entry.entry_no}.", "ok")
    return redirect(url_for("web.entry", entry_no=entry.entry_no))


ROUTES: tuple[Route, ...] = (
    (f"/entries/<int(max={MAX_ENTRY_NO}):entry_no>/recreate", "recreate_entry", recreate,
     ("POST",)),
)


def register_routes(bp: Blueprint) -> None:
    add_routes(bp, ROUTES)
