"""`interlog unmatched list`: external addresses (and, from calls, phone numbers) seen in
captured mail, meetings and calls that matched no contact, kept for review instead of
being dropped."""

from __future__ import annotations

import click

from interlog.cli.common import AppContext, pass_app, print_json, print_table
from storage.capture_models import list_unmatched, unmatched_to_json


@click.group("unmatched")
def unmatched() -> None:
    """External addresses that matched no contact (add them as contacts to log them)."""


@unmatched.command("list")
@click.option("--domain", default=None, help="Only addresses of this domain.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most N addresses.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_app
def list_(app: AppContext, domain: str | None, limit: int | None, as_json: bool) -> None:
    """Unmatched addresses, most frequent first, with when and where they were seen."""
    with app.transaction() as session:
        rows = [unmatched_to_json(u) for u in list_unmatched(session, domain=domain, limit=limit)]
    if as_json:
        print_json(rows)
        return
    print_table(
        f"Unmatched addresses ({len(rows)})",
        ["address", "kind", "name", "count", "first seen (UTC)", "last seen (UTC)", "mailbox",
         "example subject"],
        [(r["address"], f"{r['kind']}{' (masked)' if r['masked'] else ''}", r["name"],
          r["count"], str(r["first_seen"]).replace("T", " "),
          str(r["last_seen"]).replace("T", " "), r["mailbox"], r["example_subject"])
         for r in rows],
    )
