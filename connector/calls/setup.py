"""What a calls round loads once: configured users, contacts' numbers, the CALL template."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from connector.calls.items import PstnCall
from connector.calls.plan import CallContext
from connector.capture.context import CaptureContext, ContactInfo, TemplateInfo
from connector.sync.env import SyncEnv
from storage.errors import NotFound
from storage.models import Contact, TemplateSetup, User
from storage.phones import ContactPhone, check_region, party_number
from storage.vocabulary import SetupKind


def call_context(env: SyncEnv, rows: Iterable[PstnCall]) -> CallContext:
    """Users (UPN and Entra object id), contacts by number, and the users' own numbers (the
    user side of the PSTN rows: never listed as unmatched)."""
    region = check_region(env.settings.sync.default_region)
    with Session(env.db) as session:
        users = session.execute(sa.select(User.upn, User.aad_object_id)).all()
        company = aliased(Contact)
        phones = session.execute(
            sa.select(ContactPhone.number, Contact.id, Contact.no, Contact.name, company.no)
            .join(Contact, ContactPhone.contact_id == Contact.id)
            .outerjoin(company, Contact.company_id == company.id)).all()
    configured = {u.lower() for u, _ in users} | {m.lower() for m in env.settings.sync.mailboxes}
    own = {n for n in (party_number(r.user_number, region) for r in rows) if n}
    return CallContext(
        capture=env.ctx,
        upn_by_object_id={oid.lower(): upn.lower() for upn, oid in users if oid},
        configured=frozenset(configured),
        contacts_by_number={number: ContactInfo(cid, no, name, cno)
                            for number, cid, no, name, cno in phones},
        default_region=region, own_numbers=own)


def phone_template(session: Session, ctx: CaptureContext) -> TemplateInfo:
    """The setup's `phone_call` template (`NotFound` naming the fix when there is none)."""
    code = session.scalar(sa.select(TemplateSetup.template_code).where(
        TemplateSetup.kind == SetupKind.PHONE_CALL.value))
    template = ctx.templates.get(code or "")
    if template is None:
        raise NotFound("the template setup names no template for 'phone_call'; run "
                       "`interlog init` or `interlog setup`")
    return template
