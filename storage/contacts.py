"""Contact look-ups: by number, by any email address, or by a name typed by a person."""

from __future__ import annotations

import difflib
import unicodedata

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.dialect import first_object
from storage.errors import AmbiguousContact, UnknownContact
from storage.models import CompanyDomain, Contact, ContactEmail

CLOSE_MATCH_CUTOFF = 0.75


def fold(text: str) -> str:
    """Lower-case, accents removed, spaces collapsed: `José  Pérez` → `jose perez`."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


def by_email(session: Session, address: str) -> Contact | None:
    return session.scalar(
        sa.select(Contact).join(ContactEmail).where(ContactEmail.address == address.lower())
    )


def by_domain(session: Session, domain: str) -> Contact | None:
    return session.scalar(
        sa.select(Contact).join(CompanyDomain).where(CompanyDomain.domain == domain.lower())
    )


def resolve_contact(session: Session, ref: str) -> Contact:
    """The one contact `ref` names: a number, an email address, or a name.

    Names match exactly first, then by unique prefix, then by a close spelling, all ignoring
    case and accents. Several matches raise `AmbiguousContact` with the candidates; none
    raises `UnknownContact` with close names, if any.
    """
    ref = ref.strip()
    contact = first_object(session, Contact, "no", lambda q: q.where(  # every bot command
        Contact.no == sa.bindparam("no")), {"no": ref.upper()})
    if contact is None and "@" in ref:
        contact = by_email(session, ref)
        if contact is None:
            raise UnknownContact(ref)
    if contact is not None:
        return contact
    return _by_name(session, ref)


def _by_name(session: Session, ref: str) -> Contact:
    key = fold(ref)
    if not key:
        raise UnknownContact(ref)
    for stmt in (
        sa.select(Contact).where(Contact.search_name == key),
        sa.select(Contact).where(Contact.search_name.startswith(key, autoescape=True)),
        sa.select(Contact).where(Contact.search_name.contains(" " + key, autoescape=True)),
    ):
        found = list(session.scalars(stmt.order_by(Contact.no).limit(11)))
        if len(found) == 1:
            return found[0]
        if found:
            raise AmbiguousContact(ref, found[:10])
    close = _close_names(session, key)
    if len(close) == 1 and difflib.SequenceMatcher(None, key, close[0].search_name).ratio() > 0.85:
        return close[0]
    if close:
        raise AmbiguousContact(ref, close) if len(close) > 1 else UnknownContact(ref, close)
    raise UnknownContact(ref)


def _close_names(session: Session, key: str) -> list[Contact]:
    rows = session.execute(sa.select(Contact.search_name, Contact.id)).all()
    names = {name: cid for name, cid in rows}
    hits = difflib.get_close_matches(key, list(names), n=5, cutoff=CLOSE_MATCH_CUTOFF)
    if not hits:
        return []
    by_id = {c.id: c for c in session.scalars(sa.select(Contact).where(Contact.id.in_(
        [names[h] for h in hits])))}
    return [by_id[names[h]] for h in hits]
