"""The per-day totals (storage/aggregates.py) beside a full recount from the entries."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.aggregates import FIGURES, KEYS, PERIOD, EntryDayTotal
from storage.models import Contact, InteractionLogEntry

CENTS = Decimal("0.01")
Key = tuple[Any, ...]


def _figures(values: list[Any]) -> tuple[Any, ...]:
    count, cost, minutes, *rest = values
    return (int(count), Decimal(str(cost)).quantize(CENTS),
            Decimal(str(minutes)).quantize(CENTS), *map(int, rest))


def stored(session: Session) -> dict[Key, tuple[Any, ...]]:
    """The table's figures keyed by (grain, day, keys), its slots summed, those all zero
    left out."""
    session.flush()
    sums: dict[Key, list[Any]] = defaultdict(lambda: [0, Decimal(0), Decimal(0), 0, 0, 0])
    for row in session.execute(sa.select(EntryDayTotal)).scalars():  # slots summed
        day = row.day if isinstance(row.day, date) else date.fromisoformat(str(row.day))
        key = (row.grain, day, *(getattr(row, k) for k in KEYS[row.grain]))
        for i, name in enumerate(FIGURES):
            sums[key][i] += Decimal(str(getattr(row, name)))
    found = {key: _figures(values) for key, values in sums.items()}
    return {key: figures for key, figures in found.items() if any(figures)}


def _period(day: date, period: str) -> date:
    """The first day of `day`'s period ("day", "month", "year")."""
    return {"day": day, "month": day.replace(day=1), "year": date(day.year, 1, 1)}[period]


def recount(session: Session) -> dict[Key, tuple[Any, ...]]:
    """The same rows computed in Python from the active entries."""
    session.flush()
    sums: dict[Key, list[Any]] = defaultdict(lambda: [0, Decimal(0), Decimal(0), 0, 0, 0])
    e = InteractionLogEntry
    rows = session.execute(sa.select(e, Contact.type).join(Contact, Contact.id == e.contact_id)
                           .where(e.canceled.is_(False)))
    for entry, contact_type in rows:
        at: datetime = entry.occurred_at
        company = entry.contact_company_no or (entry.contact_no if contact_type == "company"
                                               else "")
        every = {"contact_id": entry.contact_id, "contact_no": entry.contact_no,
                 "company_no": company, "template_code": entry.template_code,
                 "group_code": entry.group_code,
                 "information_flow": entry.information_flow or "",
                 "salesperson_code": entry.salesperson_code, "user_upn": entry.user_upn or ""}
        for grain, names in KEYS.items():
            figures = sums[(grain, _period(at.date(), PERIOD[grain]), *(every[n] for n in names))]
            figures[0] += 1
            figures[1] += Decimal(str(entry.cost))
            figures[2] += Decimal(str(entry.duration_min))
            figures[3] += entry.attempt_failed
            figures[4] += not entry.attempt_failed
            figures[5] += entry.initiated_by == "us"
    return {key: _figures(values) for key, values in sums.items()}


def assert_totals_match(session: Session) -> None:
    """The table holds exactly what a recount of the entries gives."""
    assert stored(session) == recount(session)
