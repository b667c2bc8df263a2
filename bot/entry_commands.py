"""`cancel N`, `restore N` and `templates`: commands on entries and the template list."""

from __future__ import annotations

import sqlalchemy as sa

from bot.cards import entry_card, templates_card
from bot.commands import CommandContext, CommandError, Reply, command
from bot.grammar import parse_entry_no
from bot.i18n import t
from storage.entries import cancel_entries, restore_entries
from storage.models import InteractionLogEntry, InteractionTemplate, TemplateSetup
from storage.users import can_change_entry, owner_limit


def _own_entry(ctx: CommandContext, args: str) -> tuple[InteractionLogEntry, str | None]:
    """The entry `args` names, if this user may change it; and the owner rule to pass on."""
    user = ctx.require_user()
    entry_no = parse_entry_no(args)
    if entry_no is None:
        raise CommandError(t(ctx.lang, "bad_entry_no"))
    entry = ctx.session.get(InteractionLogEntry, entry_no, with_for_update=True)
    if entry is None:
        raise CommandError(t(ctx.lang, "entry_not_found", entry_no=entry_no))
    if not can_change_entry(user, entry):
        raise CommandError(t(ctx.lang, "not_yours", entry_no=entry_no))
    return entry, owner_limit(user)


@command("cancel", "cancelar")
def cancel(ctx: CommandContext, args: str) -> Reply:
    """`cancel N`: cancel entry #N (your own; admins any). It stays in the log, out of totals.
    es: `cancelar N`: cancela el movimiento #N (los suyos; un administrador, cualquiera).
    """
    entry, owner = _own_entry(ctx, args)
    key = "already_canceled" if entry.canceled else "canceled"
    cancel_entries(ctx.session, [entry.entry_no], actor=ctx.actor, owner_upn=owner,
                   reason="canceled in Teams")
    headline = t(ctx.lang, key, entry_no=entry.entry_no)
    return Reply(headline, entry_card(ctx.lang, headline, entry, ctx.clock),
                 entry_nos=(entry.entry_no,))


@command("restore", "restaurar")
def restore(ctx: CommandContext, args: str) -> Reply:
    """`restore N`: undo the cancel of entry #N (your own; admins any).
    es: `restaurar N`: deshace la cancelación del movimiento #N.
    """
    entry, owner = _own_entry(ctx, args)
    key = "restored" if entry.canceled else "already_active"
    restore_entries(ctx.session, [entry.entry_no], actor=ctx.actor, owner_upn=owner)
    headline = t(ctx.lang, key, entry_no=entry.entry_no)
    return Reply(headline, entry_card(ctx.lang, headline, entry, ctx.clock),
                 entry_nos=(entry.entry_no,))


@command("templates", "plantillas", writes=False)
def templates(ctx: CommandContext, args: str) -> Reply:
    """`templates`: the interaction templates you can log with.
    es: `plantillas`: las plantillas de interacción disponibles.
    """
    rows = list(ctx.session.scalars(sa.select(InteractionTemplate)
                                    .order_by(InteractionTemplate.code)))
    defaults = {s.kind: s.template_code for s in ctx.session.scalars(sa.select(TemplateSetup))}
    lines = [f"{tpl.code}: {tpl.description}" for tpl in rows]
    text = "\n".join([t(ctx.lang, "templates_title"), *lines]) if rows else t(
        ctx.lang, "templates_empty")
    return Reply(text, templates_card(ctx.lang, rows, defaults))
