"""`log …` and `show REF`: the commands that name a contact."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import cast

import sqlalchemy as sa

from bot.cards import candidates_card, entries_card, entry_card
from bot.commands import CommandContext, CommandError, Reply, command
from bot.grammar import GrammarError, LogRequest, parse_log
from bot.i18n import t
from storage.contacts import fold, resolve_contact
from storage.entries import (
    EntryFilter,
    Interaction,
    entries_of,
    get_template,
    log_interaction,
    setup_template,
)
from storage.errors import AmbiguousContact, UnknownContact
from storage.models import Contact, InteractionLogEntry, InteractionTemplate
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
    card = candidates_card(message, choices, ctx.typed_context())
    raise CommandError(Reply(f"{message}\n{names}", card))


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


def _occurred_at(ctx: CommandContext, request: LogRequest) -> datetime | None:
    """The UTC moment the words name in the user's zone (None: now); the future is refused,
    since a log records what has happened."""
    clock = ctx.clock
    try:
        local = request.when.resolve(clock.now())
    except GrammarError as exc:  # a day no calendar has (29/2/2026)
        raise CommandError(t(ctx.lang, exc.key, **exc.values)) from None
    if local is None:  # now; a button's command: when it was typed
        return None if ctx.typed_at is None else clock.now_utc.replace(microsecond=0)
    moment = clock.to_utc(local)
    if moment > clock.now_utc:
        raise CommandError(t(ctx.lang, "future", said=" ".join(request.when.said),
                             moment=clock.show(moment), now=clock.show(clock.now_utc)))
    return moment


@command("log", "registrar")
def log(ctx: CommandContext, args: str) -> Reply:
    """`log call|meeting|email|TEMPLATE with CONTACT [yesterday|today|on DATE] [at HH:MM] [about SUBJECT] [N min] [inbound|outbound] [failed|no answer] [very positive|positive|neutral|negative|very negative] [note: TEXT]`: log an interaction (dates and times in your time zone; quotes keep words as written).
    es: `registrar llamada|reunión|correo|PLANTILLA con CONTACTO [ayer|hoy|el FECHA] [a las HH:MM] [sobre ASUNTO] [N min] [entrante|saliente] [fallida|sin respuesta] [muy positiva|positiva|neutral|negativa|muy negativa] [nota: TEXTO]`: registra una interacción (fechas y horas en su zona horaria; las comillas conservan las palabras tal cual).
    """  # noqa: E501
    user = ctx.require_user()
    try:
        request = parse_log(args, lang=ctx.lang)
    except GrammarError as exc:
        raise CommandError(t(ctx.lang, exc.key, **exc.values)) from None
    occurred_at = _occurred_at(ctx, request)
    template = _template(ctx, request)
    contact = _contact(ctx, request.ref)
    initiated_by = {"outbound": "us", "inbound": "them"}.get(request.flow or "")
    entry = log_interaction(ctx.session, contact, Interaction(
        template_code=template.code,
        subject=request.subject,
        occurred_at=occurred_at,
        duration_min=request.duration_min,
        information_flow=request.flow,
        initiated_by=initiated_by,
        attempt_failed=request.failed,
        source="bot",
        user_upn=user.upn,
        evaluation=request.evaluation,
        note=request.note,
    ), actor=ctx.actor)
    headline = t(ctx.lang, "logged", entry_no=entry.entry_no)
    return Reply(f"{headline}: {contact.name}, {template.code}",  # the card has the date
                 entry_card(ctx.lang, headline, entry, ctx.clock), entry_nos=(entry.entry_no,))


def latest_entries(ctx: CommandContext, contact: Contact) -> list[InteractionLogEntry]:
    """The contact's last active entries by date (a call logged today for last week comes
    after this week's), newest first: `entries_of`'s rows (a company's: with its persons')."""
    filters = entries_of(contact, status="active")  # which rows; the statement is built once
    company = filters.company_no is not None
    params = {"company_no": filters.company_no} if company else {"contact_id": filters.contact_id}
    return list(ctx.session.scalars(_latest_statement(company), params))


@cache
def _latest_statement(company: bool) -> sa.Select[InteractionLogEntry]:
    """`latest_entries`'s query, built once for a company's filter and once for a person's,
    the contact bound at each call (building it cost more than running it:
    docs/bot-profile.md)."""
    e = InteractionLogEntry
    if company:
        filters = EntryFilter(company_no=cast(str, sa.bindparam("company_no", type_=sa.String)),
                              status="active")
    else:
        filters = EntryFilter(contact_id=cast(int, sa.bindparam("contact_id", type_=sa.Integer)),
                              status="active")
    return (sa.select(e).where(*filters.where())
            .order_by(e.occurred_at.desc(), e.entry_no.desc()).limit(SHOW_LIMIT))


@command("show", "mostrar", writes=False)
def show(ctx: CommandContext, args: str) -> Reply:
    """`show CONTACT`: the contact's last 10 active interactions, newest first, by date in your time zone.
    es: `mostrar CONTACTO`: las 10 últimas interacciones activas del contacto, por fecha en su zona horaria.
    """  # noqa: E501
    ctx.require_user()
    if not args.strip():
        raise CommandError(t(ctx.lang, "need_ref"))
    contact = _contact(ctx, args.strip())
    entries = latest_entries(ctx, contact)
    clock = ctx.clock
    lines = [f"#{e.entry_no} {clock.show_day(e.occurred_at)} {e.template_code} {e.subject}"
             for e in entries]
    key = "show_title" if entries else "show_empty"
    soon = upcoming_meetings(ctx.session, now=clock.now_utc, contact_id=contact.id,
                             limit=SHOW_LIMIT)
    if soon:  # not in the log until they start
        lines += [t(ctx.lang, "show_upcoming"),
                  *(f"{clock.show(m.start)} {m.subject}" for m in soon)]
    text = "\n".join([t(ctx.lang, key, name=contact.name, no=contact.no), *lines])
    return Reply(text, entries_card(ctx.lang, contact, entries, clock))
