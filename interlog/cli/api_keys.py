"""`interlog api-keys create|list|revoke`: keys for `/api/v1`, shown once, stored hashed."""

from __future__ import annotations

import click

from interlog.cli.common import AppContext, pass_app, print_table
from storage.api_models import create_api_key, list_api_keys, revoke_api_key
from storage.audit import audit


@click.group("api-keys")
def api_keys() -> None:
    """Keys that other systems (an ERP) send as `Authorization: Bearer KEY` to /api/v1."""


@api_keys.command("create")
@click.argument("name")
@pass_app
def create(app: AppContext, name: str) -> None:
    """Create a key named NAME and print it once (only its hash is stored)."""
    from interlog.cli.common import cli_actor

    with app.transaction() as session:
        new = create_api_key(session, name)
        audit(session, cli_actor(), "api_key_create", None, name=new.name)
    click.echo(new.key)
    click.echo(f"API key {new.name!r} created. Store it now: it is not shown again.", err=True)


@api_keys.command("list")
@pass_app
def list_(app: AppContext) -> None:
    """The keys, with when they were created and last used (never the keys themselves)."""
    with app.transaction() as session:
        rows = [
            (k.name, f"{k.hint}…", k.created_at.isoformat(" ", "seconds"),
             k.last_used_at.isoformat(" ", "seconds") if k.last_used_at else "never",
             "revoked" if k.revoked_at else "active")
            for k in list_api_keys(session)
        ]
    print_table("API keys", ["name", "starts with", "created (UTC)", "last used", "status"], rows)


@api_keys.command("revoke")
@click.argument("name")
@pass_app
def revoke(app: AppContext, name: str) -> None:
    """Revoke the key named NAME: calls with it get 401 from now on."""
    from interlog.cli.common import cli_actor

    with app.transaction() as session:
        revoke_api_key(session, name)
        audit(session, cli_actor(), "api_key_revoke", None, name=name)
    click.echo(f"API key {name!r} revoked.")
