"""One contact's entries and totals, like NAV's Contact Statistics: a company's include those
of its persons (NAV's roll-up, `storage.entries.entries_of`).

The totals and the breakdowns are read from the per-day totals (storage/aggregates.py) and
the entries are paged by entry number (`before=`/`after=`), so the page costs the same for
a contact with ten entries and a company with a hundred thousand."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, render_template

from storage.entry_queries import entries_of, entry_page, totals
from storage.models import Contact, utcnow
from storage.stats import breakdown
from storage.upcoming import upcoming_meetings
from storage.values import text_problem
from storage.vocabulary import ContactType
from web.context import db
from web.filters import BadInput
from web.pages import cursor_arg

RECENT = 100


def register_routes(bp: Blueprint) -> None:
    @bp.get("/contacts/<path:no>")  # a contact number may hold '/' (storage.values)
    def contact(no: str) -> Any:
        if text_problem(no) is not None:  # a NUL or a lone surrogate: no contact has it
            abort(404)
        try:
            after, before = cursor_arg("after"), cursor_arg("before")
        except BadInput as exc:
            abort(400, description=str(exc))
        session = db()
        found = session.scalar(sa.select(Contact).where(Contact.no == no.upper()))
        if found is None:
            abort(404)
        filters = entries_of(found)
        company = found.type == ContactType.COMPANY
        page = entry_page(session, filters, RECENT, after=after, before=before)
        return render_template(
            "contact.html", contact=found, totals=totals(session, filters), company=company,
            log_filter={"company": found.no} if company else {"contact": found.no},
            by_group=breakdown(session, filters, "group"),
            by_flow=breakdown(session, filters, "flow"),
            entries=page.entries, newer=page.newer, older=page.older,
            recent=RECENT, upcoming=upcoming_meetings(session, now=utcnow(), contact_id=found.id),
        )
