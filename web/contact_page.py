"""One contact's entries and totals, like NAV's Contact Statistics: a company's include those
of its persons (NAV's roll-up, `storage.entries.entries_of`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, render_template

from storage.entries import EntryFilter, entries_of, query_entries, totals
from storage.models import Contact, InteractionLogEntry, utcnow
from storage.upcoming import upcoming_meetings
from storage.values import text_problem
from storage.vocabulary import ContactType
from web.context import db

RECENT = 100


def _breakdown(filters: EntryFilter, column: Any) -> list[tuple[str, int, Decimal, Decimal]]:
    e = InteractionLogEntry
    rows = db().execute(
        sa.select(column, sa.func.count(), sa.func.coalesce(sa.func.sum(e.cost), 0),
                  sa.func.coalesce(sa.func.sum(e.duration_min), 0))
        .where(*filters.where(), e.canceled.is_(False))
        .group_by(column).order_by(column)
    ).all()
    return [(r[0] or "", r[1], Decimal(r[2]), Decimal(r[3])) for r in rows]


def register_routes(bp: Blueprint) -> None:
    @bp.get("/contacts/<path:no>")  # a contact number may hold '/' (storage.values)
    def contact(no: str) -> Any:
        if text_problem(no) is not None:  # a NUL or a lone surrogate: no contact has it
            abort(404)
        session = db()
        found = session.scalar(sa.select(Contact).where(Contact.no == no.upper()))
        if found is None:
            abort(404)
        filters = entries_of(found)
        e = InteractionLogEntry
        company = found.type == ContactType.COMPANY
        return render_template(
            "contact.html", contact=found, totals=totals(session, filters), company=company,
            log_filter={"company": found.no} if company else {"contact": found.no},
            by_group=_breakdown(filters, e.group_code),
            by_flow=_breakdown(filters, e.information_flow),
            entries=query_entries(session, filters, limit=RECENT, newest_first=True),
            recent=RECENT, upcoming=upcoming_meetings(session, now=utcnow(), contact_id=found.id),
        )
