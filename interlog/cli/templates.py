"""`interlog templates import FILE.toml [--dry-run] | export | list [--json] | add | edit | remove`.

`add`, `edit` and `remove` set up one template without a file (`storage/setup.py`: the same
checks as a templates file; a template in use cannot be removed). `import --dry-run` shows
every change the file would make and how its rules would classify the last 30 days'
captured items (`connector/capture/reclassify.py`), and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import sqlalchemy as sa

from interlog.cli.common import (
    AppContext,
    cli_actor,
    pass_app,
    print_json,
    print_table,
    terminal_safe,
)
from storage.audit import audit
from storage.errors import InterlogError
from storage.models import InteractionTemplate, MatchRule, TemplateSetup
from storage.templates_io import export_templates, import_templates

if TYPE_CHECKING:
    from connector.capture.rules import Choice

FLOW = click.Choice(["inbound", "outbound"])
INITIATOR = click.Choice(["us", "them"])
CORRESPONDENCE = click.Choice(["", "hard_copy", "email"])


@click.group("templates")
def templates() -> None:
    """Interaction groups, templates, the template setup and match rules."""


@templates.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True,
              help="Show every change, and how the new rules would classify the last 30 days'"
                   " captured items; change nothing.")
@pass_app
def import_(app: AppContext, file: Path, dry_run: bool) -> None:
    """Import a templates file: upsert groups and templates, set setup keys, replace rules."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InterlogError(f"{file} is not UTF-8 text; nothing was imported") from None
    if dry_run:
        _dry_run(app, file, text)
        return
    with app.transaction() as session:
        result = import_templates(session, text)
        audit(session, cli_actor(), "templates_import", None, file=str(file),
              groups=result.groups, templates=result.templates, setup=result.setup,
              rules=result.rules)
    rules = "rules left as they were" if result.rules is None else f"{result.rules} rules"
    click.echo(f"Imported {file}: {len(result.groups)} groups, {len(result.templates)}"
               f" templates, {len(result.setup)} setup keys, {rules}.")


def _dry_run(app: AppContext, file: Path, text: str) -> None:
    """What importing `text` would change, and the captured items it would classify
    differently; the transaction only reads."""
    from connector.capture.reclassify import PREVIEW_DAYS, preview_rules
    from storage.templates_diff import import_changes
    from storage.templates_io import check_templates

    with app.transaction() as session:
        parsed = check_templates(session, text)
        changes = import_changes(session, parsed)
        looked, items = preview_rules(session, app.settings, parsed)
    click.echo(f"Importing {file} would change:" if changes
               else f"Importing {file} would change nothing.")
    for change in changes:
        click.echo(f"  {terminal_safe(change)}")
    if not items:
        click.echo(f"Of {looked} items captured in the last {PREVIEW_DAYS} days, none would be"
                   " classified differently.")
        return
    print_table(f"{len(items)} of {looked} items captured in the last {PREVIEW_DAYS} days would"
                " be classified differently", ["date", "kind", "subject", "entries", "now",
                                                "would be"],
                [[i.occurred_at.date().isoformat(), i.kind, i.subject, i.entries,
                  _choice(i.before), _choice(i.after)] for i in items])
    click.echo("Nothing was imported. After importing, `interlog entries reclassify` applies"
               " the rules to entries already logged.")


def _choice(choice: Choice) -> str:
    return choice.template_code + (f" {choice.document_no}" if choice.document_no else "")


@templates.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file instead of standard output.")
@pass_app
def export(app: AppContext, output: Path | None) -> None:
    """Print groups, templates, setup and rules as a templates file (import reads it back)."""
    with app.transaction() as session:
        text = export_templates(session)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {output}.", err=True)


@templates.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
@pass_app
def list_(app: AppContext, as_json: bool) -> None:
    """The templates, which event kinds they are the default for, and the rules using them."""
    with app.transaction() as session:
        setup = {s.kind: s.template_code for s in session.scalars(sa.select(TemplateSetup))}
        rule_counts: dict[str, int] = {code: count for code, count in session.execute(
            sa.select(MatchRule.template_code, sa.func.count()).group_by(MatchRule.template_code)
        )}
        rows = [_template_json(t, setup, rule_counts) for t in session.scalars(
            sa.select(InteractionTemplate).order_by(InteractionTemplate.code))]
    if as_json:
        print_json({"templates": rows, "setup": setup})
        return
    print_table("Interaction templates",
                ["code", "group", "description", "flow", "initiated by", "unit cost",
                 "unit min", "default for", "rules"],
                [[r[k] for k in ("code", "group", "description", "information_flow",
                                 "initiated_by", "unit_cost", "unit_duration_min")]
                 + [", ".join(_strings(r["default_for"])), r["rules"]] for r in rows])


def _strings(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _template_json(
    t: InteractionTemplate, setup: dict[str, str], rule_counts: dict[str, int]
) -> dict[str, object]:
    return {
        "code": t.code,
        "group": t.group_code,
        "description": t.description,
        "information_flow": t.information_flow,
        "initiated_by": t.initiated_by,
        "unit_cost": float(t.unit_cost),
        "unit_duration_min": float(t.unit_duration_min),
        "correspondence_type": t.correspondence_type,
        "default_for": sorted(kind for kind, code in setup.items() if code == t.code),
        "rules": rule_counts.get(t.code, 0),
    }


def _template_options[F: Callable[..., Any]](command: F) -> F:
    for option in reversed([
        click.option("--group", "group", metavar="G", default=None,
                     help="The interaction group (a code that exists)."),
        click.option("--description", "description", metavar="D", default=None),
        click.option("--flow", "information_flow", type=FLOW, default=None,
                     help="Information flow: inbound or outbound."),
        click.option("--initiated-by", "initiated_by", type=INITIATOR, default=None,
                     help="us or them."),
        click.option("--unit-cost", "unit_cost", metavar="C", default=None,
                     help="Cost of one interaction (default 0)."),
        click.option("--unit-duration", "unit_duration_min", metavar="MIN", default=None,
                     help="Minutes of one interaction (default 0)."),
        click.option("--correspondence-type", "correspondence_type", type=CORRESPONDENCE,
                     default=None, help="\"\", hard_copy or email."),
    ]):
        command = option(command)
    return command


@templates.command("add")
@click.argument("code")
@_template_options
@pass_app
def add(app: AppContext, code: str, **values: str | None) -> None:
    """Add an interaction template (its group must exist); an existing code is refused."""
    from storage.setup import add_template

    if values["group"] is None:
        raise click.UsageError("Missing option '--group'.")
    with app.transaction() as session:
        template = add_template(session, {"code": code, **values}, actor=cli_actor())
        click.echo(f"Added template {template.code} (group {template.group_code}, unit cost"
                   f" {template.unit_cost}, {template.unit_duration_min} min).")


@templates.command("edit")
@click.argument("code")
@_template_options
@pass_app
def edit(app: AppContext, code: str, **values: str | None) -> None:
    """Change a template's values; entries already logged keep theirs."""
    from storage.setup import edit_template

    with app.transaction() as session:
        template = edit_template(session, code, values, actor=cli_actor())
        click.echo(f"Changed template {template.code}.")


@templates.command("remove")
@click.argument("code")
@pass_app
def remove(app: AppContext, code: str) -> None:
    """Remove a template that no entry, setup key, rule or logged segment names."""
    from storage.setup import remove_template

    with app.transaction() as session:
        remove_template(session, code, actor=cli_actor())
    click.echo(f"Removed template {code.strip().upper()}.")
