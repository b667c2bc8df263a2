"""`interlog log`: a manual interaction log entry for one contact."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import click

from interlog.cli.common import AppContext, cli_actor, pass_app
from storage.contacts import resolve_contact
from storage.entries import MAX_AMOUNT, Interaction, log_interaction
from storage.outcomes import EVALUATIONS
from storage.values import BadValue, finite_decimal


class DecimalType(click.ParamType):
    """A decimal number from 0 to `high` (minutes, amounts), checked by the same helper as
    every other surface (`storage.values.finite_decimal`: no NaN, no infinity, in range)."""

    name = "number"

    def __init__(self, high: Decimal) -> None:
        self.high = high

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> Decimal:
        if isinstance(value, Decimal):
            return value
        field = f"--{param.name}" if param is not None and param.name else "value"
        try:
            return finite_decimal(str(value), field, low=Decimal(0), high=self.high)
        except BadValue as exc:
            self.fail(exc.message, param, ctx)


class MomentType(click.ParamType):
    """An ISO 8601 date-time; one without an offset is local time. Converted to naive UTC."""

    name = "ISO8601"

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            moment = datetime.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(f"{value!r} is not an ISO 8601 date-time (e.g. 2025-03-14T15:30)",
                      param, ctx)
        if not 1900 <= moment.year <= 9998:  # checked first: converting would overflow
            self.fail(f"{value!r} is out of range (years 1900 to 9998)", param, ctx)
        if moment.tzinfo is None:
            moment = moment.astimezone()  # the machine's local time zone
        return moment.astimezone(UTC).replace(tzinfo=None, microsecond=0)


MINUTES = DecimalType(MAX_AMOUNT)  # the duration column, Numeric(10, 2)
AMOUNT = DecimalType(MAX_AMOUNT)  # a cost: what every surface accepts
MOMENT = MomentType()


@click.command("log")
@click.option("--contact", "ref", required=True, help="Contact number, email address or name.")
@click.option("--template", "template_code", required=True, help="Interaction template code.")
@click.option("--subject", default=None, help="Default: the template's description.")
@click.option("--duration", type=MINUTES, default=None,
              help="Minutes (default: the template's unit duration).")
@click.option("--flow", type=click.Choice(["inbound", "outbound"]), default=None,
              help="Information flow (default: the template's).")
@click.option("--initiated-by", type=click.Choice(["us", "them"]), default=None,
              help="Who started it (default: the template's).")
@click.option("--failed", is_flag=True, help="A failed attempt to reach the contact.")
@click.option("--at", "at", type=MOMENT, default=None,
              help="When (ISO 8601; local time unless it has an offset). Default: now.")
@click.option("--user", "user_upn", default=None, help="UPN of the salesperson.")
@click.option("--evaluation", type=click.Choice(EVALUATIONS), default=None,
              help="The outcome: very_positive, positive, neutral, negative or very_negative.")
@click.option("--note", default=None,
              help="A note (NAV's comment); each line of it is a note line.")
@click.option("--cost", type=AMOUNT, default=None,
              help="What it cost (default: the template's unit cost).")
@pass_app
def log(app: AppContext, ref: str, template_code: str, subject: str | None,
        duration: Decimal | None, flow: str | None, initiated_by: str | None, failed: bool,
        at: datetime | None, user_upn: str | None, evaluation: str | None, note: str | None,
        cost: Decimal | None) -> None:
    """Log one interaction (a call, a visit, …) for a contact; prints the entry number."""
    interaction = Interaction(
        template_code=template_code, subject=subject, occurred_at=at, duration_min=duration,
        cost=cost, information_flow=flow, initiated_by=initiated_by, attempt_failed=failed,
        source="manual", user_upn=user_upn, evaluation=evaluation or "", note=note,
    )
    with app.transaction() as session:
        contact = resolve_contact(session, ref)
        entry = log_interaction(session, contact, interaction, actor=cli_actor())
        outcome = "".join(f", {part}" for part in (
            "attempt failed" if entry.attempt_failed else "", entry.evaluation) if part)
        summary = (f"Logged #{entry.entry_no}: {entry.template_code} with {contact.name}"
                   f" ({contact.no}), {entry.duration_min} min, cost {entry.cost}{outcome}.")
    click.echo(summary)
