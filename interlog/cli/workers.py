"""`interlog worker` (run one worker until SIGTERM) and `interlog workers status`."""

from __future__ import annotations

import logging
import signal
from types import FrameType

import click

from interlog.cli.common import AppContext, pass_app, print_json, print_table


@click.command("worker")
@pass_app
def worker(app: AppContext) -> None:
    """Run a worker: sync notified and due mailboxes, renew subscriptions, until SIGTERM.

    Any number of workers may share a PostgreSQL database (on any number of machines);
    SQLite allows one. SIGTERM or Ctrl-C stops it after the mailbox in hand. The
    configured `[[user]]` rows are seeded first (capture reads salesperson codes from them).
    """
    from interlog.outcome_cards import CardWorker
    from interlog.users import seed_configured_users

    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not one line per Graph request
    logging.getLogger("azure").setLevel(logging.WARNING)  # nor per (cached) token lookup
    logging.getLogger("azure.identity").setLevel(logging.ERROR)  # a refusal is told once
    seed_configured_users(app.engine, app.settings.users, actor="config:worker")
    runner = CardWorker(app.settings, app.engine)  # its cycles send outcome cards too

    def stop(_signum: int, _frame: FrameType | None) -> None:
        runner.request_stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(f"worker {runner.id} started", err=True)
    runner.run()
    click.echo(f"worker {runner.id} stopped", err=True)


@click.group("workers")
def workers() -> None:
    """Watch the workers and the mailbox queue."""


@workers.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def status(app: AppContext, as_json: bool) -> None:
    """Workers, leases, queue depth and lag per mailbox."""
    from connector.realtime.leases import queue_status
    from storage.models import utcnow

    settings = app.settings
    with app.transaction() as session:
        report = queue_status(session, utcnow(), poll_interval=settings.sync.poll_interval,
                              stale_after=settings.worker.lease_seconds)
    if as_json:
        print_json(report)
        return
    print_table("Workers", ["id", "alive", "heartbeat", "mailbox", "syncs"], [
        (w["id"], "yes" if w["alive"] else "no", w["heartbeat_at"], w["current_mailbox"],
         w["syncs_done"]) for w in report["workers"]])
    print_table(f"Mailboxes (queue depth {report['queue_depth']})",
                ["mailbox", "leased by", "due", "waiting s", "lag s", "syncs", "last error"], [
        (m["mailbox"], m["leased_by"], "yes" if m["due"] else "", m["waiting_s"], m["lag_s"],
         m["sync_count"], (m["last_error"] or "")[:60]) for m in report["mailboxes"]])
