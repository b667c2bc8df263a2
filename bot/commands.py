"""Chat commands: small functions whose docstring is their help (English, then `es:` Spanish).

A command takes a `CommandContext` and the text after its name, and returns a `Reply`. It
never touches Flask or the Agents SDK. An expected refusal raises `CommandError` (its reply
is shown); storage's `InterlogError` is shown as it is; anything else is a bug, logged by
the runner and answered with an apology and a correlation id.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

from sqlalchemy.orm import Session

from bot.cards import Card
from bot.i18n import language, t
from bot.local_time import UserClock, choose_zone
from storage.contacts import fold
from storage.models import User, utcnow


@dataclass(frozen=True)
class Reply:
    """What the bot answers: text always (the card's summary), an Adaptive Card maybe, and
    the entries the command created or changed (kept with a Teams delivery's answer)."""

    text: str
    card: Card | None = None
    entry_nos: tuple[int, ...] = field(default=())


class CommandError(Exception):
    """A refusal for a known reason: `reply` is shown to the user, nothing is changed."""

    def __init__(self, reply: Reply | str) -> None:
        self.reply = reply if isinstance(reply, Reply) else Reply(reply)
        super().__init__(self.reply.text)


TYPED_AT_KEPT = timedelta(days=7)  # a button pressed later runs as if typed when pressed


@dataclass
class CommandContext:
    """Everything a command may use: no transport objects."""

    session: Session
    user: User | None
    lang: str  # the activity's whole locale (`es-ES`, `es-MX`, `en-US`): words and formats
    actor: str
    aad_object_id: str = ""
    text: str = ""  # the whole command as typed (cleaned), for candidate buttons
    client_time_zone: str | None = None  # the Teams client's zone (clientInfo), as sent
    typed_at: datetime | None = None  # a button's command: when it was typed (naive UTC)
    reference: Any = None  # a personal chat's conversation reference (storage.conversations)

    @cached_property
    def clock(self) -> UserClock:
        """Now, in the user's zone: their Teams client's, else their configured one, else
        the server's. A button's command keeps the moment it was typed (in the last
        `TYPED_AT_KEPT`, never later than now), so its `yesterday` is the day before it was
        typed."""
        configured = self.user.time_zone if self.user is not None else None
        now = utcnow()
        typed = self.typed_at
        recent = typed is not None and now - TYPED_AT_KEPT <= typed <= now
        return UserClock(choose_zone(self.client_time_zone, configured),
                         typed if recent and typed is not None else now)

    def typed_context(self) -> dict[str, str]:
        """What a button that runs this command again carries: when it was typed, and the
        client's zone (a card's invoke may not say it)."""
        context = {"typed_at": self.clock.now_utc.isoformat(timespec="seconds")}
        if self.client_time_zone:
            context["time_zone"] = self.client_time_zone
        return context

    def take_typed_context(self, data: dict[str, Any]) -> None:
        """Read a button's `typed_context` back (ignored when malformed)."""
        zone = data.get("time_zone")
        if isinstance(zone, str) and zone:
            self.client_time_zone = zone
        typed_at = data.get("typed_at")
        if isinstance(typed_at, str):
            try:
                moment = datetime.fromisoformat(typed_at)
            except ValueError:
                return
            if moment.tzinfo is not None:
                moment = moment.astimezone(UTC).replace(tzinfo=None)
            self.typed_at = moment

    def require_user(self) -> User:
        if self.user is None:
            raise CommandError(t(self.lang, "unmapped", aad=self.aad_object_id or "?"))
        return self.user


CommandFn = Callable[[CommandContext, str], Reply]


@dataclass(frozen=True)
class Command:
    name: str
    aliases: tuple[str, ...]
    fn: CommandFn = field(compare=False)
    writes: bool = True  # False: reads only (a redelivery may simply run it again)

    def help(self, lang: str) -> str:
        lines = [line.strip() for line in (self.fn.__doc__ or "").strip().splitlines()]
        spanish = [line[3:].strip() for line in lines if line.startswith("es:")]
        english = [line for line in lines if line and not line.startswith("es:")]
        return " ".join(spanish if language(lang) == "es" and spanish else english)


COMMANDS: dict[str, Command] = {}  # by every alias, folded


def command(name: str, *aliases: str, writes: bool = True) -> Callable[[CommandFn], CommandFn]:
    """Register `fn` under `name` and its aliases (the Spanish words); `writes=False` for a
    command that only reads."""

    def register(fn: CommandFn) -> CommandFn:
        entry = Command(name, (name, *aliases), fn, writes)
        for alias in entry.aliases:
            COMMANDS[fold(alias)] = entry
        return fn

    return register


ORDER = ("log", "show", "cancel", "restore", "templates", "help")


def all_commands() -> list[Command]:
    _load_commands()
    unique = dict.fromkeys(COMMANDS.values())
    return sorted(unique, key=lambda c: ORDER.index(c.name) if c.name in ORDER else len(ORDER))


def help_reply(lang: str, prefix: str = "") -> Reply:
    lines = [t(lang, "help_title")] + [f"- {c.help(lang)}" for c in all_commands()]
    text = "\n".join(lines)
    return Reply(f"{prefix}\n\n{text}" if prefix else text)


def dispatch_text(ctx: CommandContext, text: str) -> Reply:
    """Run the command the text names; unknown words get help and the closest command."""
    _load_commands()
    ctx.text = text
    word, _, args = text.partition(" ")
    if not word:
        return help_reply(ctx.lang)
    found = COMMANDS.get(fold(word))
    if found is None:
        prefix = t(ctx.lang, "unknown_command", word=word)
        close = difflib.get_close_matches(fold(word), list(COMMANDS), n=1, cutoff=0.6)
        if close:
            prefix += " " + t(ctx.lang, "did_you_mean", suggestion=close[0])
        return help_reply(ctx.lang, prefix)
    return found.fn(ctx, args.strip())


def reads_only(text: str, action: dict[str, Any] | None) -> bool:
    """Whether the text (or a card's command button) names a command that writes nothing:
    `show`, `templates`, `help`, or an unknown word (answered with help)."""
    _load_commands()
    if action is not None:
        if action.get("action") != "command" or not isinstance(action.get("text"), str):
            return False
        text = action["text"]
    found = COMMANDS.get(fold(text.partition(" ")[0]))
    return found is None or not found.writes


def dispatch_action(ctx: CommandContext, data: dict[str, Any]) -> Reply:
    """A card button: `{"action": "cancel"|"restore", "entry_no": N}` or a command text."""
    _load_commands()
    action = data.get("action")
    if action in ("cancel", "restore"):
        entry_no = data.get("entry_no")
        if isinstance(entry_no, bool) or not isinstance(entry_no, int | str):
            raise CommandError(t(ctx.lang, "unknown_action"))
        return COMMANDS[action].fn(ctx, str(entry_no))
    if action == "command" and isinstance(data.get("text"), str):
        ctx.take_typed_context(data)
        return dispatch_text(ctx, data["text"])
    if isinstance(action, str) and action in ACTIONS:  # e.g. the outcome card's buttons
        return ACTIONS[action](ctx, data)
    raise CommandError(t(ctx.lang, "unknown_action"))


def _load_commands() -> None:
    """Import the command modules (they register themselves); cheap after the first call."""
    from bot import contact_commands, entry_commands, outcome_commands  # noqa: F401


def _outcome_action(ctx: CommandContext, data: dict[str, Any]) -> Reply:
    from bot.outcome_card import outcome_action

    return outcome_action(ctx, data)


ACTIONS: dict[str, Callable[[CommandContext, dict[str, Any]], Reply]] = {
    "outcome": _outcome_action}  # card buttons with their own handler (`bot/outcome_card.py`)


@command("help", "ayuda", writes=False)
def help_command(ctx: CommandContext, args: str) -> Reply:
    """`help`: this list.
    es: `ayuda`: esta lista.
    """
    return help_reply(ctx.lang)
