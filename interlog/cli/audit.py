"""`interlog audit [--entry N] [--actor A] [--action X] [--limit N | --all] [--json]`: the
audit trail (`storage/audit_queries.py`), newest first — every change of an entry and the
events that concern none (setup, imports, API keys). The CLI is an admin's: it shows all."""

from __future__ import annotations

import click

from interlog.cli.common import AppContext, pass_app

DEFAULT_LIMIT = 50
COLUMNS = ("id", "at (UTC)", "actor", "action", "entry", "details")


@click.command("audit")
@click.option("--entry", "entry_no", type=click.IntRange(min=1), default=None,
              help="Only the events of entry N.")
@click.option("--actor", default=None, help="Only the events of this actor (e.g. cli:ana).")
@click.option("--action", default=None, help="Only this action (log, cancel, evaluate, …).")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help=f"The newest N events (default {DEFAULT_LIMIT}).")
@click.option("--all", "show_all", is_flag=True, help="Every matching event.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of events.")
@pass_app
def audit(app: AppContext, entry_no: int | None, actor: str | None, action: str | None,
          limit: int | None, show_all: bool, as_json: bool) -> None:
    """The audit trail, newest first: who changed which entry, when, and how."""
    from interlog.cli.common import one_line_table, print_json, print_rich
    from storage.audit_queries import AuditFilter, audit_events

    if show_all and limit is not None:
        raise click.UsageError("--limit and --all: choose one")
    filters = AuditFilter(entry_no=entry_no, actor=actor or None,
                          action=action.strip().lower() if action else None)
    with app.transaction() as session:
        rows = audit_events(session, filters,
                            limit=None if show_all else (limit or DEFAULT_LIMIT))
    if as_json:
        print_json([row.to_json() for row in rows])
        return
    print_rich(one_line_table(f"Audit trail ({len(rows)}, newest first)", COLUMNS, [
        (r.id, r.at.isoformat(sep=" ", timespec="seconds"), r.actor, r.action,
         "" if r.entry_no is None else r.entry_no, r.details) for r in rows],
        right=("id", "entry"), keep=("id", "at (UTC)", "actor", "action", "entry")))
