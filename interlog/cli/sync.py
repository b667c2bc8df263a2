"""`interlog sync [--mailbox UPN]… [--full] [--json]` and `interlog sync runs [--json]`."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from connector.sync.runs import RunSummary, StreamStats
from interlog.cli.common import AppContext, pass_app, print_json, print_table

log = logging.getLogger("interlog.sync")


class RichProgress:
    """One line per mailbox stream, updated as pages are committed (on a terminal)."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[tuple[str, str], TaskID] = {}

    def stream_started(self, mailbox: str, stream: str) -> None:
        self._tasks[(mailbox, stream)] = self._progress.add_task(
            f"{mailbox} {stream}", total=None, status="", pages=0
        )

    def page_done(self, stats: StreamStats, items: int) -> None:
        o = stats.outcome
        status = f"{o.items_seen} items, {o.entries_created} new entries"
        self._progress.update(self._tasks[(stats.mailbox, stats.stream)], status=status,
                              pages=stats.pages)

    def stream_done(self, stats: StreamStats) -> None:
        task = self._tasks[(stats.mailbox, stats.stream)]
        o = stats.outcome
        status = (f"[red]failed: {stats.error}[/]" if stats.error else
                  f"[green]done[/]: {o.items_seen} items, {o.entries_created} new entries, "
                  f"{stats.graph_requests} requests")
        self._progress.update(task, status=status, total=1, completed=1)


class LogProgress:
    """Plain log lines (not a terminal: cron, systemd, CI)."""

    def stream_started(self, mailbox: str, stream: str) -> None:
        log.info("%s %s: started", mailbox, stream)

    def page_done(self, stats: StreamStats, items: int) -> None:
        log.info("%s %s: page %d, %d items", stats.mailbox, stats.stream, stats.pages, items)

    def stream_done(self, stats: StreamStats) -> None:
        o = stats.outcome
        if stats.error:
            log.error("%s %s: failed: %s", stats.mailbox, stats.stream, stats.error)
        else:
            log.info("%s %s: done: %d items, %d created, %d updated, %d canceled, %d requests",
                     stats.mailbox, stats.stream, o.items_seen, o.entries_created,
                     o.entries_updated, o.entries_canceled, stats.graph_requests)


@contextmanager
def progress_display(console: Console) -> Iterator[RichProgress | LogProgress]:
    """Rich progress bars on a terminal, log lines on stderr otherwise."""
    if not console.is_terminal:
        if not logging.getLogger().handlers:
            logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                                format="%(asctime)s %(levelname)s %(message)s")
            # azure-identity logs every (cached) token lookup, i.e. every Graph request
            logging.getLogger("azure").setLevel(logging.WARNING)
        yield LogProgress()
        return
    columns = (SpinnerColumn(), TextColumn("{task.description}"),
               TextColumn("{task.fields[status]}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        yield RichProgress(progress)


def print_summary(summary: RunSummary) -> None:
    rows = []
    for s in summary.streams:
        o = s.outcome
        rows.append([s.mailbox, s.stream, s.status, o.items_seen, o.entries_created,
                     o.entries_updated, o.entries_canceled, sum(o.skipped.values()),
                     o.unmatched_addresses, s.graph_requests, s.throttled, s.error or ""])
    print_table(f"Sync run {summary.run_id}", ["mailbox", "stream", "status", "items", "created",
                "updated", "canceled", "skipped", "unmatched", "requests", "throttled", "error"],
                rows)
    data = summary.to_json()
    skipped = ", ".join(f"{k} {v}" for k, v in data["skipped"].items()) or "none"
    click.echo(f"{data['items_seen']} items, {data['entries_created']} entries created, "
               f"{data['entries_updated']} updated, {data['entries_canceled']} canceled; "
               f"skipped: {skipped}; {data['unmatched_addresses']} unmatched addresses; "
               f"{data['graph_requests']} Graph requests ({data['throttled']} throttled) "
               f"in {data['seconds']:.1f}s")


def run_sync(app: AppContext, mailboxes: tuple[str, ...], full: bool, as_json: bool,
             trigger: str = "cli") -> RunSummary:
    """Seed the configured `[[user]]` rows (capture reads them), then run one sync."""
    from connector.sync.engine import sync_mailboxes
    from interlog.outcome_cards import send_outcome_cards
    from interlog.users import seed_configured_users

    seed_configured_users(app.engine, app.settings.users, actor="config:sync")
    console = Console(stderr=True)
    with progress_display(console) as progress:
        summary = sync_mailboxes(app.settings, app.engine, list(mailboxes) or None, full=full,
                                 progress=progress, trigger=trigger)
    send_outcome_cards(app.settings, app.engine)  # calls and meetings that just ended
    return summary


@click.group("sync", invoke_without_command=True)
@click.option("--mailbox", "mailboxes", multiple=True, metavar="UPN",
              help="Sync only this mailbox (repeatable; default: [sync] mailboxes).")
@click.option("--full", is_flag=True, help="Ignore stored cursors: read every stream again.")
@click.option("--json", "as_json", is_flag=True, help="Print the run summary as JSON.")
@click.pass_context
def sync(ctx: click.Context, mailboxes: tuple[str, ...], full: bool, as_json: bool) -> None:
    """Sync mailboxes and calendars into interaction log entries (one recorded run)."""
    if ctx.invoked_subcommand is not None:
        return
    app = ctx.find_object(AppContext)
    assert app is not None
    summary = run_sync(app, mailboxes, full, as_json)
    if as_json:
        print_json(summary.to_json())
    else:
        print_summary(summary)
    if not summary.ok:
        click.echo(f"interlog: sync failed for {', '.join(summary.failed_mailboxes)}", err=True)
        ctx.exit(1)


@sync.command("runs")
@click.option("--limit", default=20, show_default=True, help="How many runs to show.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def runs(app: AppContext, limit: int, as_json: bool) -> None:
    """List recent sync runs, newest first."""
    from connector.sync.runs import list_runs, run_to_json

    with app.transaction() as session:
        data: list[dict[str, Any]] = [run_to_json(r, streams=as_json)
                                      for r in list_runs(session, limit)]
    if as_json:
        print_json(data)
        return
    print_table("Sync runs", ["run", "started", "status", "mailboxes", "items", "created",
                "updated", "canceled", "unmatched", "requests", "throttled", "errors", "seconds"],
                [[d["run_id"], d["started_at"], d["status"], d["mailboxes"], d["items_seen"],
                  d["entries_created"], d["entries_updated"], d["entries_canceled"],
                  d["unmatched_addresses"], d["graph_requests"], d["throttled"], d["errors"],
                  d["seconds"]] for d in data])
