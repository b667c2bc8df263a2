"""`notify me after calls` / `stop notifying`: the outcome card, turned on and off in chat.

Off by default: a card nobody asked for is a surprise. Turning it on saves the personal
chat's conversation reference too (an app installed before interlog kept them has none),
so it works only in a personal chat with the bot. Only calls and meetings that end after
it was turned on get a card.
"""

from __future__ import annotations

from bot.commands import CommandContext, CommandError, Reply, command
from bot.i18n import MESSAGES, t
from storage.contacts import fold
from storage.conversations import Reference, save_reference, set_cards

WORDS = {
    "en": {
        "cards_on": ("From now on, when a call or meeting with a contact ends, I send you a"
                     " card to record how it went (at most one card every few minutes; several"
                     " together in one). Say `stop notifying` to turn it off."),
        "cards_off": ("I will not send you outcome cards any more. Say `notify me after calls`"
                      " to turn them on again."),
        "cards_personal_only": ("Outcome cards come in a personal chat with me: say"
                                " `notify me after calls` there."),
        "cards_bad": "Say `notify me after calls` or `stop notifying`.",
    },
    "es": {
        "cards_on": ("Desde ahora, cuando termine una llamada o reunión con un contacto, le"
                     " envío una tarjeta para registrar cómo fue (como mucho una cada pocos"
                     " minutos; varias juntas en una). Diga `deja de avisarme` para"
                     " desactivarlo."),
        "cards_off": ("Ya no le enviaré tarjetas de resultado. Diga `avísame después de"
                      " llamadas` para activarlas de nuevo."),
        "cards_personal_only": ("Las tarjetas de resultado llegan en un chat personal conmigo:"
                                " diga ahí `avísame después de llamadas`."),
        "cards_bad": "Diga `avísame después de llamadas` o `deja de avisarme`.",
    },
}
for _lang, _words in WORDS.items():  # the bot's one dictionary (`bot/i18n.py`)
    MESSAGES[_lang].update(_words)

ON_PHRASES = frozenset({"me after calls", "me after calls and meetings", "me after meetings",
                        "despues de llamadas", "despues de las llamadas",
                        "despues de llamadas y reuniones", "despues de reuniones"})
OFF_PHRASES = frozenset({"notifying", "notifying me", "de avisarme"})


def _phrase(args: str) -> str:
    return " ".join(fold(args).replace(".", " ").replace("!", " ").split())


@command("notify", "avisame", "avísame")
def notify(ctx: CommandContext, args: str) -> Reply:
    """`notify me after calls`: a card after each call or meeting with a contact, to record
    how it went.
    es: `avísame después de llamadas`: una tarjeta tras cada llamada o reunión con un contacto.
    """
    ctx.require_user()
    if _phrase(args) not in ON_PHRASES:
        raise CommandError(t(ctx.lang, "cards_bad"))
    reference = ctx.reference
    if not isinstance(reference, Reference):
        raise CommandError(t(ctx.lang, "cards_personal_only"))
    save_reference(ctx.session, reference)
    set_cards(ctx.session, reference.aad_object_id, True)
    return Reply(t(ctx.lang, "cards_on"))


@command("stop", "deja")
def stop(ctx: CommandContext, args: str) -> Reply:
    """`stop notifying`: no more outcome cards.
    es: `deja de avisarme`: no más tarjetas de resultado.
    """
    ctx.require_user()
    if _phrase(args) not in OFF_PHRASES:
        raise CommandError(t(ctx.lang, "cards_bad"))
    set_cards(ctx.session, ctx.aad_object_id, False)
    return Reply(t(ctx.lang, "cards_off"))
