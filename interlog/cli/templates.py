"""`interlog templates import FILE.toml | export | list [--json]`."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa

from interlog.cli.common import AppContext, cli_actor, pass_app, print_json, print_table
from storage.audit import audit
from storage.errors import InterlogError
from storage.models import InteractionTemplate, MatchRule, TemplateSetup
from storage.templates_io import export_templates, import_templates


@click.group("templates")
def templates() -> None:
    """Interaction groups, templates, the template setup and match rules."""


@templates.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_app
def import_(app: AppContext, file: Path) -> None:
    """Import a templates file: upsert groups and templates, set setup keys, replace rules."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InterlogError(f"{file} is not UTF-8 text; nothing was imported") from None
    with app.transaction() as session:
        result = import_templates(session, text)
        audit(session, cli_actor(), "templates_import", None, file=str(file),
              groups=result.groups, templates=result.templates, setup=result.setup,
              rules=result.rules)
    rules = "rules left as they were" if result.rules is None else f"{result.rules} rules"
    click.echo(f"Imported {file}: {len(result.groups)} groups, {len(result.templates)}"
               f" templates, {len(result.setup)} setup keys, {rules}.")


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


def register(cli: click.Group) -> None:
    """Add this module's commands to the `interlog` group."""
    cli.add_command(templates)
