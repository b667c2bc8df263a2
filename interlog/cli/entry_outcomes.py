"""`interlog entries evaluate | note`: an interaction's outcome, given afterwards.

NAV's "Evaluate Interaction" (one of five values, on any entry: captured or canceled ones
too) and its comment lines (`note` adds lines, never replaces them). Both are all or
nothing and audited (`evaluate`, `note`) under the CLI's actor.
"""

from __future__ import annotations

import click

from interlog.cli.common import AppContext, cli_actor, pass_app
from storage.outcomes import EVALUATIONS

EVALUATION = click.Choice(EVALUATIONS)


@click.command("evaluate")
@click.argument("entry_nos", metavar="N...", nargs=-1, type=int, required=True)
@click.option("--evaluation", type=EVALUATION, required=True,
              help="very_positive, positive, neutral, negative or very_negative.")
@pass_app
def evaluate(app: AppContext, entry_nos: tuple[int, ...], evaluation: str) -> None:
    """Evaluate entries N… (all or nothing): very_positive … very_negative."""
    from storage.entries import evaluate_entries

    with app.transaction() as session:
        done = evaluate_entries(session, entry_nos, evaluation, actor=cli_actor())
        names = ", ".join(f"#{e.entry_no}" for e in done)
    click.echo(f"Evaluated {names}: {evaluation}.")


@click.command("note")
@click.argument("entry_no", metavar="N", type=int)
@click.argument("text", metavar="TEXT")
@pass_app
def note(app: AppContext, entry_no: int, text: str) -> None:
    """Add TEXT to the note of entry N: each of its lines is a note line after the others."""
    from storage.entries import note_entries

    with app.transaction() as session:
        [entry] = note_entries(session, [entry_no], text, actor=cli_actor())
        lines = len(entry.note.splitlines())
    click.echo(f"Noted #{entry_no}: its note has {lines} line{'' if lines == 1 else 's'}.")
