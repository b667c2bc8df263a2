"""`interlog explain QUERY [--json]`: why an email, meeting or call was or was not logged."""

from __future__ import annotations

import click

from connector.capture.explain import NOT_KEPT, Decision, explain
from interlog.cli.common import AppContext, pass_app, print_json, print_table


@click.command("explain")
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of decisions.")
@pass_app
def explain_(app: AppContext, query: str, as_json: bool) -> None:
    """Why an item was or was not logged, for each mailbox's copy of it.

    QUERY is an internetMessageId, an iCalUId, an email address (the items it took part
    in) or words of a subject. Each copy is planned again with the rules and contacts as
    they are now, from the data capture kept (no Graph request): logged (entry numbers,
    template, the rule that chose it) or skipped (the reason, the participant and the
    setting behind it).
    """
    with app.transaction() as session:
        decisions = explain(session, app.settings, query)
    if as_json:
        print_json([d.to_json() for d in decisions])
        return
    if not decisions:
        click.echo(NOT_KEPT)
        return
    print_table(
        f"Why ({len(decisions)})",
        ["mailbox", "subject", "decision", "why", "entries", "template"],
        [(d.mailbox, d.subject, d.decision, _why(d), " ".join(str(n) for n in d.entries),
          f"{d.template} ({d.rule})" if d.template and d.rule else d.template or "")
         for d in decisions],
    )


def _why(decision: Decision) -> str:
    """The reason, with the participant and the setting behind it."""
    return "; ".join(part for part in (decision.reason, decision.participant, decision.setting)
                     if part)
