"""`log …` and `show REF`: the commands that name a contact."""

from __future__ import annotations

from bot.cards import candidates_card, entries_card, entry_card
from bot.commands import CommandContext, CommandError, Reply, command
from bot.grammar import GrammarError, LogRequest, parse_log
from bot.i18n import t
from storage.contacts import fold, resolve_contact
from storage.entries import (
    EntryFilter,
    Interaction,
    get_template,
    log_interaction,
    query_entries,
    setup_template,
)
from storage.errors import AmbiguousContact, UnknownContact
from storage.models import Contact, InteractionTemplate, utcnow
from storage.upcoming import upcoming_meetings

SHOW_LIMIT = 10


def _contact(ctx: CommandContext, ref: str) -> Contact:
    """The contact `ref` names; several or none → the candidates as buttons, nothing done."""
    try:
        return resolve_contact(ctx.session, ref)
    except AmbiguousContact as exc:
        message = t(ctx.lang, "ambiguous", ref=ref)
        candidates = exc.candidates
    except UnknownContact as exc:
        if not exc.candidates:
            raise CommandError(t(ctx.lang, "unknown", ref=ref)) from None
        message = t(ctx.lang, "unknown_close", ref=ref)
        candidates = exc.candidates
    names = "\n".join(f"- {c.name} ({c.no})" for c in candidates)
    choices = [(c, _with_contact(ctx.text, ref, c.no)) for c in candidates]
    raise CommandError(Reply(f"{message}\n{names}", candidates_card(message, choices)))


def _with_contact(text: str, ref: str, contact_no: str) -> str:
    """`text` with the contact reference (the one after `with`/`con`, else the first)."""
    for keyword in (" with ", " con "):
        at = fold(text).find(f"{keyword}{fold(ref)}")
        if at >= 0 and len(fold(text)) == len(text):
            start = at + len(keyword)
            return text[:start] + contact_no + text[start + len(ref):]
    return text.replace(ref, contact_no, 1)


def _template(ctx: CommandContext, request: LogRequest) -> InteractionTemplate:
    if request.kind is not None:
        return setup_template(ctx.session, request.kind)
    return get_template(ctx.session, request.template_code or "")


@command("log", "registrar")
def log(ctx: CommandContext, args: str) -> Reply:
    """`log call|meeting|email|TEMPLATE with CONTACT [about SUBJECT] [N min] [inbound|outbound] [failed]`: log an interaction.
    es: `registrar llamada|reunión|correo|PLANTILLA con CONTACTO [sobre ASUNTO] [N min] [entrante|saliente] [fallida]`: registra una interacción.
    """  # noqa: E501
    user = ctx.require_user()
    try:
        request = parse_log(args)
    except GrammarError as exc:
        raise CommandError(t(ctx.lang, exc.key, **exc.values)) from None
    template = _template(ctx, request)
    contact = _contact(ctx, request.ref)
    initiated_by = {"outbound": "us", "inbound": "them"}.get(request.flow or "")
    entry = log_interaction(ctx.session, contact, Interaction(
        template_code=template.code,
        subject=request.subject,
        duration_min=request.duration_min,
        information_flow=request.flow,
        initiated_by=initiated_by,
        attempt_failed=request.failed,
        source="bot",
        user_upn=user.upn,
    ), actor=ctx.actor)
    headline = t(ctx.lang, "logged", entry_no=entry.entry_no)
    return Reply(f"{headline}: {contact.name}, {template.code}", entry_card(
        ctx.lang, headline, entry), entry_nos=(entry.entry_no,))


@command("show", "mostrar", writes=False)
def show(ctx: CommandContext, args: str) -> Reply:
    """`show CONTACT`: the contact's last 10 active interactions.
    es: `mostrar CONTACTO`: las 10 últimas interacciones activas del contacto.
    """
    ctx.require_user()
    if not args.strip():
        raise CommandError(t(ctx.lang, "need_ref"))
    contact = _contact(ctx, args.strip())
    entries = query_entries(ctx.session, EntryFilter(contact_id=contact.id, status="active"),
                            limit=SHOW_LIMIT, newest_first=True)
    lines = [f"#{e.entry_no} {e.occurred_at:%Y-%m-%d} {e.template_code} {e.subject}"
             for e in entries]
    key = "show_title" if entries else "show_empty"
    soon = upcoming_meetings(ctx.session, now=utcnow(), contact_id=contact.id, limit=SHOW_LIMIT)
    if soon:  # not in the log until they start
        lines += [t(ctx.lang, "show_upcoming"),
                  *(f"{m.start:%Y-%m-%d %H:%M} UTC {m.subject}" for m in soon)]
    text = "\n".join([t(ctx.lang, key, name=contact.name, no=contact.no), *lines])
    return Reply(text, entries_card(ctx.lang, contact, entries))
