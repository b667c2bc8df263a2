"""`interlog groups add CODE [--description D] | edit CODE --description D | remove CODE | list`.

Interaction groups set up without a file (`storage/setup.py`); a group that a template names
cannot be removed. Every change is audited.
"""

from __future__ import annotations

import click

from interlog.cli.common import AppContext, cli_actor, pass_app, print_json, print_table


@click.group("groups")
def groups() -> None:
    """Interaction groups: add, edit, remove (not while a template names them), list."""


@groups.command("add")
@click.argument("code")
@click.option("--description", metavar="D", default="", help="What the group holds.")
@pass_app
def add(app: AppContext, code: str, description: str) -> None:
    """Add an interaction group; an existing code is refused."""
    from storage.setup import add_group

    with app.transaction() as session:
        group = add_group(session, {"code": code, "description": description},
                          actor=cli_actor())
        click.echo(f"Added group {group.code}.")


@groups.command("edit")
@click.argument("code")
@click.option("--description", metavar="D", required=True, help="The new description.")
@pass_app
def edit(app: AppContext, code: str, description: str) -> None:
    """Change a group's description."""
    from storage.setup import edit_group

    with app.transaction() as session:
        group = edit_group(session, code, {"description": description}, actor=cli_actor())
        click.echo(f"Changed group {group.code}.")


@groups.command("remove")
@click.argument("code")
@pass_app
def remove(app: AppContext, code: str) -> None:
    """Remove a group that no template names."""
    from storage.setup import remove_group

    with app.transaction() as session:
        remove_group(session, code, actor=cli_actor())
    click.echo(f"Removed group {code.strip().upper()}.")


@groups.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_app
def list_(app: AppContext, as_json: bool) -> None:
    """The groups, with the number of templates in each."""
    import sqlalchemy as sa

    from storage.models import InteractionGroup, InteractionTemplate

    with app.transaction() as session:
        counts = dict(session.execute(
            sa.select(InteractionTemplate.group_code, sa.func.count())
            .group_by(InteractionTemplate.group_code)).all())
        rows = [{"code": g.code, "description": g.description,
                 "templates": counts.get(g.code, 0)}
                for g in session.scalars(sa.select(InteractionGroup)
                                         .order_by(InteractionGroup.code))]
    if as_json:
        print_json(rows)
        return
    print_table("Interaction groups", ["code", "description", "templates"],
                [[r["code"], r["description"], r["templates"]] for r in rows])
