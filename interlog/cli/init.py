"""`interlog init`: create or upgrade the schema, seed the defaults and the `[[user]]` rows."""

from __future__ import annotations

import click

from interlog.cli.common import AppContext, cli_actor, pass_app
from storage.audit import audit
from storage.db import upgrade
from storage.seed import seed_defaults
from storage.users import seed_users


@click.command("init")
@pass_app
def init(app: AppContext) -> None:
    """Create or upgrade the schema; seed default groups, templates and setup (idempotent)."""
    upgrade(app.engine)
    click.echo(f"Schema is up to date ({app.engine.url.render_as_string(hide_password=True)}).")
    with app.transaction() as session:
        seeded = seed_defaults(session)
        users = seed_users(session, app.settings.users)
        if seeded.changed or users.changed:
            audit(session, cli_actor(), "init", None, groups=seeded.groups,
                  templates=seeded.templates, setup=seeded.setup, users_added=users.added,
                  users_updated=users.updated, users_removed=users.removed)
    for label, items in (("Added groups", seeded.groups), ("Added templates", seeded.templates),
                         ("Added setup", seeded.setup), ("Added users", users.added),
                         ("Updated users", users.updated), ("Removed users", users.removed)):
        if items:
            click.echo(f"{label}: {', '.join(items)}")
    if not (seeded.changed or users.changed):
        click.echo("Nothing to seed: defaults and users are already in place.")
