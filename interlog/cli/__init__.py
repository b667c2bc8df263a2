"""The `interlog` admin command line: one module per command group."""

from __future__ import annotations

import click

from interlog.cli import (
    api_keys,
    contacts,
    demo,
    doctor,
    emulator,
    entries,
    explain,
    init,
    log,
    segments,
    serve,
    subscriptions,
    sync,
    templates,
    unmatched,
    workers,
)
from interlog.cli.common import run_main


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="Config file (default: $INTERLOG_CONFIG, then ./interlog.toml).")
@click.option("--db", "db_url", default=None,
              help="Database URL (default: $INTERLOG_DB_URL, then [storage] url).")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, db_url: str | None) -> None:
    """interlog: a true record of every interaction with your business contacts."""
    from interlog.cli.common import AppContext

    ctx.obj = AppContext(config_path=config_path, db_url=db_url)


for module in (init, contacts, templates, log, segments, entries, sync, demo, emulator, serve,
               api_keys, subscriptions, workers, unmatched, doctor, explain):
    module.register(cli)


def main() -> None:
    run_main(cli)
