"""A PostgreSQL log of a useful size in one statement per table (generate_series), for
plans worth checking: companies with persons, entries spread over contacts, templates and
a year."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage import aggregates


def fill_postgresql(session: Session, *, companies: int = 50, persons: int = 10,
                    entries: int = 60_000) -> None:
    """`companies` companies (K0001…) of `persons` persons each (P000001…), and `entries`
    entries over them, the default templates and 2025; then the per-day totals and ANALYZE.
    """
    session.execute(sa.text(
        "INSERT INTO contacts (no, type, name, search_name, created_at)"
        " SELECT 'K' || lpad(g::text, 4, '0'), 'company', 'Company ' || g, 'company ' || g,"
        " now() FROM generate_series(1, :n) g"), {"n": companies})
    session.execute(sa.text(
        "INSERT INTO contacts (no, type, name, search_name, company_id, created_at)"
        " SELECT 'P' || lpad(g::text, 6, '0'), 'person', 'Person ' || g, 'person ' || g,"
        " k.id, now() FROM generate_series(1, :n) g"
        " JOIN contacts k ON k.no = 'K' || lpad((g % :c + 1)::text, 4, '0')"),
        {"n": companies * persons, "c": companies})
    session.execute(sa.text(
        "INSERT INTO interaction_log_entries (contact_id, contact_no, contact_company_no,"
        " contact_name, occurred_at, template_code, group_code, subject, duration_min, cost,"
        " correspondence_type, canceled, attempt_failed, evaluation, note, source,"
        " salesperson_code, created_at)"
        " SELECT c.id, c.no, k.no, c.name,"
        "  timestamp '2025-01-01' + (g * (365 * 86400.0 / :n)) * interval '1 second',"
        "  t.code, t.group_code, 'generated', 1, 1, '', false, false, '', '', 'manual',"
        "  'S' || (g % 20), now()"
        " FROM generate_series(1, :n) g"
        " JOIN (SELECT id, no, name, company_id, row_number() OVER (ORDER BY id) - 1 AS k"
        "       FROM contacts) c ON c.k = (g * 7919) % (SELECT count(*) FROM contacts)"
        " LEFT JOIN contacts k ON k.id = c.company_id"
        " JOIN (SELECT code, group_code, row_number() OVER (ORDER BY code) - 1 AS k"
        "       FROM interaction_templates) t"
        "  ON t.k = g % (SELECT count(*) FROM interaction_templates)"), {"n": entries})
    aggregates.rebuild(session)
    session.execute(sa.text("ANALYZE"))
    session.commit()
