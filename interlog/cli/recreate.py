"""`interlog entries recreate N [--date D] [--user UPN]`: NAV's "Create Interaction" from an
entry — a new manual entry copied from entry N (`storage/entry_recreate.py` says what is
copied), dated now, or on the day or at the moment `--date` gives."""

from __future__ import annotations

from datetime import date, datetime

import click

from interlog.cli.common import AppContext, cli_actor, pass_app


class DayOrMoment(click.ParamType):
    """`YYYY-MM-DD` (that day, at the current UTC time of day) or an ISO 8601 date-time (local
    time unless it has an offset), as `log --at` reads it."""

    name = "DATE"

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> datetime:
        from interlog.cli.log import MOMENT
        from storage.entry_recreate import on_day

        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        if len(text) == 10:
            try:
                return on_day(date.fromisoformat(text))
            except ValueError:
                self.fail(f"{value!r} is not a date (YYYY-MM-DD)", param, ctx)
        return MOMENT.convert(text, param, ctx)


@click.command("recreate")
@click.argument("entry_no", metavar="N", type=int)
@click.option("--date", "when", type=DayOrMoment(), default=None,
              help="YYYY-MM-DD (at the current time of day) or an ISO 8601 date-time."
                   " Default: now.")
@click.option("--user", "user_upn", default=None,
              help="UPN of the salesperson (default: entry N's user).")
@pass_app
def recreate(app: AppContext, entry_no: int, when: datetime | None,
             user_upn: str | None) -> None:
    """Re-create entry N's interaction: a new manual entry, same contact and template."""
    from storage.entry_recreate import recreate_entry

    with app.transaction() as session:
        entry = recreate_entry(session, entry_no, actor=cli_actor(), user_upn=user_upn,
                               occurred_at=when)
        summary = (f"Logged #{entry.entry_no} from #{entry_no}: {entry.template_code} with"
                   f" {entry.contact_name} ({entry.contact_no}) on"
                   f" {entry.occurred_at:%Y-%m-%d %H:%M} UTC, {entry.duration_min} min, cost"
                   f" {entry.cost}.")
    click.echo(summary)
