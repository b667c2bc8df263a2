"""Adaptive Cards (schema 1.5) for the bot's replies.

Buttons are `Action.Execute` (Teams' Universal Actions: the card is replaced in place) with
an `Action.Submit` fallback for older clients; both carry the same data,
`{"action": "cancel" | "restore" | "command", ...}`, which the bot reads either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.i18n import number, t
from bot.local_time import UserClock
from storage.links import outlook_link
from storage.models import Contact, InteractionLogEntry, InteractionTemplate

CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"

Card = dict[str, Any]


def card(body: list[dict[str, Any]], actions: Sequence[dict[str, Any]] = ()) -> Card:
    result: Card = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": VERSION, "body": body}
    if actions:
        result["actions"] = list(actions)
    return result


def title(text: str) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "weight": "Bolder", "size": "Medium", "wrap": True}


def text_block(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **extra}


def button(label: str, data: dict[str, Any]) -> dict[str, Any]:
    """A button that works in every client: Execute, falling back to Submit."""
    return {
        "type": "Action.Execute",
        "title": label,
        "verb": str(data["action"]),
        "data": data,
        "fallback": {"type": "Action.Submit", "title": label, "data": data},
    }


def _facts(lang: str, entry: InteractionLogEntry, clock: UserClock | None) -> dict[str, Any]:
    facts = [
        (t(lang, "contact"), f"{entry.contact_name} ({entry.contact_no})"),
        (t(lang, "template"), entry.template_code),
        (t(lang, "subject"), entry.subject or "—"),
        (t(lang, "duration"), t(lang, "minutes", n=number(lang, entry.duration_min))),
        (t(lang, "date"), (clock or UserClock.utc()).show(entry.occurred_at)),
    ]
    if entry.information_flow:
        facts.append((t(lang, "flow"), t(lang, entry.information_flow)))
    if entry.attempt_failed:
        facts.append((t(lang, "failed"), t(lang, "yes")))
    if entry.evaluation:
        facts.append((t(lang, "evaluation"), t(lang, entry.evaluation)))
    if entry.note:
        facts.append((t(lang, "note"), entry.note.replace("\n", " · ")))
    return {"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in facts]}


def entry_card(lang: str, headline: str, entry: InteractionLogEntry,
               clock: UserClock | None = None) -> Card:
    """An entry with the button that undoes the last change: Cancel, or Restore; its date
    in the user's zone (`clock`; UTC without one)."""
    if entry.canceled:
        action = button(t(lang, "restore"), {"action": "restore", "entry_no": entry.entry_no})
    else:
        action = button(t(lang, "cancel"), {"action": "cancel", "entry_no": entry.entry_no})
    link = outlook_link(entry.web_link)  # a captured email or meeting: https from Graph only
    opens = [{"type": "Action.OpenUrl", "title": t(lang, "open_outlook"), "url": link}
             ] if link else []
    return card([title(headline), _facts(lang, entry, clock)], [action, *opens])


def entries_card(lang: str, contact: Contact, entries: Sequence[InteractionLogEntry],
                 clock: UserClock | None = None) -> Card:
    """A contact's recent entries, newest first, one line each, labelled with its local date
    and time (in the user's zone: `clock`; UTC without one)."""
    if not entries:
        return card([text_block(t(lang, "show_empty", name=contact.name, no=contact.no))])
    clock = clock or UserClock.utc()
    body: list[dict[str, Any]] = [title(t(lang, "show_title", name=contact.name, no=contact.no))]
    for entry in entries:
        line = (
            f"**#{entry.entry_no}** {clock.show_day(entry.occurred_at)} · {entry.template_code}"
            f" · {entry.subject or '—'} · {t(lang, 'minutes', n=number(lang, entry.duration_min))}"
        )
        body.append(text_block(line, spacing="Small"))
    return card(body)


def templates_card(lang: str, templates: Sequence[InteractionTemplate],
                   defaults: dict[str, str]) -> Card:
    """Every template code with its description; the setup defaults are marked."""
    if not templates:
        return card([text_block(t(lang, "templates_empty"))])
    facts = []
    for template in templates:
        marks = [kind for kind, code in sorted(defaults.items()) if code == template.code]
        suffix = f" ({', '.join(marks)})" if marks else ""
        facts.append({"title": template.code, "value": f"{template.description}{suffix}"})
    return card([title(t(lang, "templates_title")), {"type": "FactSet", "facts": facts}])


def candidates_card(message: str, choices: Sequence[tuple[Contact, str]],
                    context: dict[str, str] | None = None) -> Card:
    """One button per candidate contact, running the command text paired with it; `context`
    (when and in which zone it was typed) goes with each."""
    actions = [button(f"{c.name} ({c.no})", {"action": "command", "text": text, **(context or {})})
               for c, text in choices[:10]]
    return card([text_block(message)], actions)


def without_buttons(content: Card) -> Card:
    """The card as an outgoing webhook may send it: Teams allows only openURL actions there."""
    result = {k: v for k, v in content.items() if k != "actions"}
    opens = [a for a in content.get("actions", ()) if a.get("type") == "Action.OpenUrl"]
    return {**result, "actions": opens} if opens else result
