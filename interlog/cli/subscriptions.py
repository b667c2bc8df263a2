"""`interlog subscriptions ensure|list|delete`: Graph change-notification subscriptions."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import click

from interlog.cli.common import AppContext, pass_app, print_json, print_table
from storage.errors import InterlogError


@click.group("subscriptions")
def subscriptions() -> None:
    """Graph change notifications for the configured mailboxes."""


def _run[T](app: AppContext, work: Callable[[Any], Awaitable[T]]) -> T:
    from azure.core.exceptions import AzureError

    from connector.graph import build_client
    from connector.realtime.subscriptions import SubscriptionManager
    from connector.realtime.worker import maintenance_lock

    async def go() -> T:
        client = build_client(app.settings.graph)
        try:
            return await work(SubscriptionManager(app.settings, app.engine, client))
        finally:
            await client.close()

    # azure-identity also logs a failed token request as a warning, which Python's last-resort
    # handler would print as a second line: the error below says it once.
    logging.getLogger("azure.identity").addHandler(logging.NullHandler())
    with maintenance_lock(app.engine, wait=True):
        try:
            return asyncio.run(go())
        except AzureError as exc:  # the token request (azure-identity) failed: no traceback
            detail = " ".join(str(exc.message or exc).split())
            raise InterlogError(f"could not get a Graph token ({type(exc).__name__}): "
                                f"{detail}") from None


@subscriptions.command("ensure")
@click.option("--mailbox", "mailboxes", multiple=True, help="Only this mailbox (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def ensure(app: AppContext, mailboxes: tuple[str, ...], as_json: bool) -> None:
    """Create missing subscriptions and renew those expiring soon."""
    from connector.realtime.subscriptions import notification_url

    notification_url(app.settings)  # fail early, naming the missing key
    unknown = {m.lower() for m in mailboxes} - {m.lower() for m in app.settings.sync.mailboxes}
    if unknown:
        raise InterlogError(f"mailbox {sorted(unknown)[0]} is not in [sync] mailboxes")
    report = _run(app, lambda mgr: mgr.ensure(list(mailboxes) or None))
    if as_json:
        print_json(report.as_dict())
    else:
        summary = report.as_dict()
        click.echo(", ".join(f"{k} {v}" for k, v in summary.items() if k != "errors"))
        for error in report.errors:
            click.echo(f"error: {error}", err=True)
    if report.errors:
        raise InterlogError(f"{len(report.errors)} subscription(s) could not be set up")


@subscriptions.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def list_(app: AppContext, as_json: bool) -> None:
    """The subscriptions recorded in the database (clientState is never shown)."""
    import sqlalchemy as sa

    from storage.worker_models import GraphSubscription

    with app.transaction() as session:
        rows = list(session.scalars(sa.select(GraphSubscription)
                                    .order_by(GraphSubscription.mailbox,
                                              GraphSubscription.resource)))
    data = [{"id": r.id, "mailbox": r.mailbox, "resource": r.resource,
             "expires_at": r.expires_at, "renewed_at": r.renewed_at,
             "pending_action": r.pending_action} for r in rows]
    if as_json:
        print_json(data)
        return
    print_table("Subscriptions", ["mailbox", "resource", "expires (UTC)", "pending", "id"],
                [(d["mailbox"], d["resource"], d["expires_at"], d["pending_action"], d["id"])
                 for d in data])


@subscriptions.command("delete")
@click.option("--mailbox", "mailboxes", multiple=True, help="This mailbox's (repeatable).")
@click.option("--all", "everything", is_flag=True, help="Every subscription.")
@pass_app
def delete(app: AppContext, mailboxes: tuple[str, ...], everything: bool) -> None:
    """Delete subscriptions in Graph and in the database."""
    if bool(mailboxes) == everything:
        raise click.UsageError("give --mailbox UPN (repeatable) or --all")
    done = _run(app, lambda mgr: mgr.delete(list(mailboxes) or None))
    click.echo(f"deleted {len(done)} subscription(s)")
