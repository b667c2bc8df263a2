"""The outcome card: after a captured call or meeting with a contact ends, its salesperson
is asked how it went (NAV's five evaluations, "no answer", a note, "not a business
interaction"), and a click records it.

One card holds one entry, or several (a digest, when several ended together). Every
button carries `{"action": "outcome", "entry_no": N, "outcome": …, "entries": [all the
card's entries]}`, so the answer (`outcome_action`) redraws the whole card with what was
chosen. The writes are storage's (`evaluate_entries`, `mark_attempt_failed`,
`note_entries`, `cancel_entries`), audited with the clicker as actor; a click is a
delivery like a typed command, acted on once (`bot/runner.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from bot.cards import Card, button, card, text_block, title
from bot.commands import CommandContext, CommandError, Reply
from bot.i18n import MESSAGES, number, t
from bot.local_time import UserClock
from storage.attempts import mark_attempt_failed
from storage.entries import cancel_entries, evaluate_entries, note_entries
from storage.models import InteractionLogEntry
from storage.outcomes import EVALUATIONS
from storage.users import can_change_entry, owner_limit

ACTION = "outcome"
NO_ANSWER, NOTE, NOT_BUSINESS = "no_answer", "note", "not_business"
OUTCOMES = (*EVALUATIONS, NO_ANSWER, NOTE, NOT_BUSINESS)
CANCEL_REASON = "not a business interaction"
MAX_ENTRIES = 10  # entries in one card (a digest); the rest go in the next card

WORDS = {
    "en": {
        "outcome_title": "How did it go?",
        "outcome_digest": "{n} calls and meetings ended. How did they go?",
        "outcome_no_answer": "No answer",
        "outcome_note": "Add a note",
        "outcome_note_save": "Save note",
        "outcome_note_placeholder": "What was said, what comes next",
        "outcome_not_business": "Not a business interaction",
        "outcome_when": "When",
        "outcome_recorded": "#{entry_no}: {what}",
        "outcome_canceled": "not a business interaction (canceled)",
        "outcome_empty_note": "Write the note first.",
        "phone_call": "Call", "meeting": "Meeting",
    },
    "es": {
        "outcome_title": "¿Cómo le fue?",
        "outcome_digest": "Terminaron {n} llamadas y reuniones. ¿Cómo le fue?",
        "outcome_no_answer": "Sin respuesta",
        "outcome_note": "Agregar nota",
        "outcome_note_save": "Guardar nota",
        "outcome_note_placeholder": "Qué se dijo, qué sigue",
        "outcome_not_business": "No fue una interacción de negocio",
        "outcome_when": "Cuándo",
        "outcome_recorded": "#{entry_no}: {what}",
        "outcome_canceled": "no fue una interacción de negocio (cancelado)",
        "outcome_empty_note": "Escriba primero la nota.",
        "phone_call": "Llamada", "meeting": "Reunión",
    },
}
for _lang, _words in WORDS.items():  # the bot's one dictionary (`bot/i18n.py`)
    MESSAGES[_lang].update(_words)


def _data(entry_no: int, outcome: str, entries: Sequence[int]) -> dict[str, Any]:
    return {"action": ACTION, "entry_no": entry_no, "outcome": outcome, "entries": list(entries)}


def _settled(lang: str, entry: InteractionLogEntry) -> str | None:
    """What was chosen for `entry`, or None while it waits for an answer."""
    if entry.canceled:
        return t(lang, "outcome_canceled")
    if entry.attempt_failed:
        return t(lang, "outcome_no_answer").lower()
    if entry.evaluation:
        return t(lang, entry.evaluation)
    return None


def _heading(lang: str, entry: InteractionLogEntry, clock: UserClock) -> dict[str, Any]:
    kind = t(lang, "phone_call") if entry.source == "call" else t(lang, "meeting")
    facts = [(t(lang, "contact"), f"{entry.contact_name} ({entry.contact_no})"),
             (t(lang, "outcome_when"), clock.show(entry.occurred_at)),
             (t(lang, "duration"), t(lang, "minutes", n=number(lang, entry.duration_min))),
             (t(lang, "subject"), entry.subject or "—")]
    if entry.note:
        facts.append((t(lang, "note"), entry.note.replace("\n", " · ")))
    return {"type": "Container", "separator": True, "items": [
        text_block(f"{kind} #{entry.entry_no}", weight="Bolder"),
        {"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in facts]}]}


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _buttons(lang: str, entry_no: int, nos: Sequence[int]) -> list[dict[str, Any]]:
    """Three rows that fit a chat's width: the five evaluations and "no answer", then "not a
    business interaction" and the note."""
    answers = [button(_capital(t(lang, value)), _data(entry_no, value, nos))
               for value in EVALUATIONS]
    answers.append(button(t(lang, "outcome_no_answer"), _data(entry_no, NO_ANSWER, nos)))
    note_id = f"note_{entry_no}"
    note = {"type": "Action.ShowCard", "title": t(lang, "outcome_note"), "card": card(
        [{"type": "Input.Text", "id": note_id, "isMultiline": True, "maxLength": 2000,
          "placeholder": t(lang, "outcome_note_placeholder")}],
        [button(t(lang, "outcome_note_save"), _data(entry_no, NOTE, nos))])}
    others = [button(t(lang, "outcome_not_business"), _data(entry_no, NOT_BUSINESS, nos)), note]
    return [{"type": "ActionSet", "actions": row} for row in (answers[:3], answers[3:], others)]


def outcome_card(lang: str, entries: Sequence[InteractionLogEntry], clock: UserClock) -> Card:
    """The card asking how `entries` went; an entry already answered shows its answer."""
    nos = [e.entry_no for e in entries]
    heading = (t(lang, "outcome_title") if len(entries) == 1
               else t(lang, "outcome_digest", n=len(entries)))
    body: list[dict[str, Any]] = [title(heading)]
    for entry in entries:
        section = _heading(lang, entry, clock)
        settled = _settled(lang, entry)
        if settled is None:
            section["items"].extend(_buttons(lang, entry.entry_no, nos))
        else:
            section["items"].append(text_block(f"✔ {settled}", weight="Bolder"))
        body.append(section)
    return card(body)


def _entry_nos(data: dict[str, Any]) -> tuple[int, list[int]]:
    entry_no, listed = data.get("entry_no"), data.get("entries")
    if isinstance(entry_no, bool) or not isinstance(entry_no, int):
        raise ValueError("entry_no")
    nos = [n for n in listed if isinstance(n, int) and not isinstance(n, bool)
           ] if isinstance(listed, list) else []
    return entry_no, list(dict.fromkeys([*nos[:MAX_ENTRIES], entry_no]))


def outcome_action(ctx: CommandContext, data: dict[str, Any]) -> Reply:
    """A button of an outcome card: record it, answer with the card as it is now."""
    user = ctx.require_user()
    outcome = data.get("outcome")
    try:
        entry_no, nos = _entry_nos(data)
    except ValueError:
        raise CommandError(t(ctx.lang, "unknown_action")) from None
    if outcome not in OUTCOMES:
        raise CommandError(t(ctx.lang, "unknown_action"))
    entry = ctx.session.get(InteractionLogEntry, entry_no, with_for_update=True)
    if entry is None:
        raise CommandError(t(ctx.lang, "entry_not_found", entry_no=entry_no))
    if not can_change_entry(user, entry):
        raise CommandError(t(ctx.lang, "not_yours", entry_no=entry_no))
    owner, actor, session = owner_limit(user), ctx.actor, ctx.session
    if outcome == NOTE:
        text = data.get(f"note_{entry_no}", data.get("note"))
        if not isinstance(text, str) or not text.strip():
            raise CommandError(t(ctx.lang, "outcome_empty_note"))
        note_entries(session, [entry_no], text, actor=actor, owner_upn=owner)
    elif outcome == NO_ANSWER:
        mark_attempt_failed(session, [entry_no], actor=actor, owner_upn=owner)
    elif outcome == NOT_BUSINESS:
        cancel_entries(session, [entry_no], actor=actor, owner_upn=owner, reason=CANCEL_REASON)
    else:
        evaluate_entries(session, [entry_no], str(outcome), actor=actor, owner_upn=owner)
    session.flush()
    shown = [e for e in session.scalars(sa.select(InteractionLogEntry).where(
        InteractionLogEntry.entry_no.in_(nos)).order_by(InteractionLogEntry.occurred_at,
                                                        InteractionLogEntry.entry_no)
        .execution_options(populate_existing=True)) if can_change_entry(user, e)]
    chosen = next(e for e in shown if e.entry_no == entry_no)
    what = (t(ctx.lang, "note").lower() if outcome == NOTE
            else _settled(ctx.lang, chosen) or "")
    headline = t(ctx.lang, "outcome_recorded", entry_no=entry_no, what=what)
    return Reply(headline, outcome_card(ctx.lang, shown, ctx.clock), entry_nos=(entry_no,))
