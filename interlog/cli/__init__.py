"""The `interlog` admin command line: one module per command group, imported when it runs.

`COMMANDS` is the registry of the top-level commands (see `interlog/cli/lazy.py`): the module
and attribute of each command and the help line `interlog --help` shows for it, so listing
the commands imports none of them (nor SQLAlchemy, alembic, Flask or the Graph SDK).
"""

from __future__ import annotations

import click

from interlog.cli.common import AppContext, run_main
from interlog.cli.lazy import Lazy, LazyGroup

C = "interlog.cli."
COMMANDS: dict[str, Lazy] = {
    "api-keys": Lazy(C + "api_keys", "api_keys",
                     "Keys that other systems (an ERP) send as `Authorization: Bearer KEY` to"
                     " /api/v1."),
    "audit": Lazy(C + "audit", "audit", "The audit trail, newest first: who changed which entry,"
                  " when, and how."),
    "contacts": Lazy(C + "contacts", "contacts", "Contacts: persons and companies, with every"
                     " email address and company domain."),
    "demo": Lazy(C + "demo", "demo", "Generate a tenant, serve it from the Graph emulator, sync"
                 " it into SQLite, summarise."),
    "doctor": Lazy(C + "doctor", "doctor", "Check the app's Graph permissions and that each"
                   " mailbox can be read."),
    "emulator": Lazy(C + "emulator", "emulator", "A local Microsoft Graph (mail and calendar)"
                     " for demos, tests and benchmarks."),
    "entries": Lazy(C + "entries", "entries", "Interaction log entries: list, cancel, restore,"
                    " delete canceled ones."),
    "explain": Lazy(C + "explain", "explain_", "Why an item was or was not logged, for each"
                    " mailbox's copy of it."),
    "groups": Lazy(C + "groups", "groups", "Interaction groups: add, edit, remove (not while a"
                   " template names them), list."),
    "init": Lazy(C + "init", "init", "Create or upgrade the schema; seed default groups,"
                 " templates and setup (idempotent)."),
    "log": Lazy(C + "log", "log", "Log one interaction (a call, a visit, …) for a contact;"
                " prints the entry number."),
    "segments": Lazy(C + "segments", "segments", "Segments: log one interaction for every"
                     " contact of a list."),
    "serve": Lazy(C + "serve", "serve", "Serve the bot, webhooks, notifications, pages and API"
                  " on a production WSGI server."),
    "stats": Lazy(C + "stats", "stats_", "Number, cost, duration, last date interacted and last"
                  " date attempted, per template, group, contact, company, salesperson or month;"
                  " canceled entries left out."),
    "subscriptions": Lazy(C + "subscriptions", "subscriptions", "Graph change notifications for"
                          " the configured mailboxes."),
    "sync": Lazy(C + "sync", "sync", "Sync mailboxes and calendars into interaction log entries"
                 " (one recorded run)."),
    "teams-manifest": Lazy(C + "serve", "teams_manifest", "Write the Teams app package"
                           " (manifest with the bot and its commands, two icons)."),
    "templates": Lazy(C + "templates", "templates", "Interaction groups, templates, the template"
                      " setup and match rules."),
    "unmatched": Lazy(C + "unmatched", "unmatched", "External addresses that matched no contact"
                      " (add them as contacts to log them)."),
    "worker": Lazy(C + "workers", "worker", "Run a worker: sync notified and due mailboxes,"
                   " renew subscriptions, until SIGTERM."),
    "workers": Lazy(C + "workers", "workers", "Watch the workers and the mailbox queue."),
}


@click.group(cls=LazyGroup, lazy=COMMANDS,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="Config file (default: $INTERLOG_CONFIG, then ./interlog.toml).")
@click.option("--db", "db_url", default=None,
              help="Database URL (default: $INTERLOG_DB_URL, then [storage] url).")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, db_url: str | None) -> None:
    """interlog: a true record of every interaction with your business contacts."""
    ctx.obj = AppContext(config_path=config_path, db_url=db_url)


def main() -> None:
    run_main(cli)
