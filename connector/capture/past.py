"""A contact added later gets its past: logged from the data capture kept, with no Graph request.

When contacts are added (`interlog contacts import`, "create contact" on the unmatched
list), the mail and meetings capture has already read for their addresses, or for an
address in their company domains, are planned again with the current context (so the new
contact matches) and written through the same code as a delta page
(`connector/capture/kept.py`). Only what lies inside the capture windows is logged: mail
received within `backfill_days`, meetings that started within `calendar_past_days` and
have started by now (one still to come is upcoming, and logged when it starts). A meeting
canceled in Outlook or deleted by its organizer once it had been logged gives a canceled
entry, as it gave the contacts it had then; one canceled while still upcoming (its copy
stays `pending`, with `canceled_at`), nothing. The new contact's
addresses leave the unmatched list. The caller owns the transaction; nothing here commits.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import replace
from datetime import datetime
from itertools import groupby
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from connector.capture import changes
from connector.capture.context import CaptureContext, build_capture_context
from connector.capture.entries import new_entries, plan_item
from connector.capture.kept import decoded, write_kept
from connector.capture.outcome import PageOutcome
from connector.capture.participants import Plan
from connector.capture.state import PageState, chunks, load_state
from connector.settings import ConnectorSettings
from storage import dialect
from storage.capture_models import CapturedAddress, CapturedItem, UnmatchedAddress
from storage.entry_writes import cancel_where, insert_entry_values
from storage.models import CompanyDomain, Contact, ContactEmail, InteractionLogEntry, utcnow
from storage.vocabulary import ItemKind

type Reach = tuple[frozenset[str], frozenset[str]]  # (email addresses, company domains)


def reach(session: Session) -> Reach:
    """Every contact's email addresses and company domains (lower-case): what capture can
    match. Taken before an import, so that only what the import adds gets its past."""
    addresses = frozenset(a.lower() for a in session.scalars(sa.select(ContactEmail.address)))
    domains = frozenset(d.lower() for d in session.scalars(sa.select(CompanyDomain.domain)))
    return addresses, domains


def log_new_reach(
    session: Session, settings: ConnectorSettings, before: Reach, *,
    now: Callable[[], datetime] = utcnow,
) -> PageOutcome:  # fmt: skip
    """`log_past` for the addresses and domains contacts have now and did not have `before`
    (a contacts import, a contact created from the unmatched list): re-importing the same
    contacts every night costs two SELECTs. Nothing is built when there is nothing new or
    capture kept no data yet."""
    addresses, domains = (now_ - was for now_, was in zip(reach(session), before, strict=True))
    if not (addresses or domains) or not session.execute(
        sa.select(sa.exists().where(CapturedItem.item.is_not(None)))
    ).scalar():
        return PageOutcome()
    ctx = build_capture_context(session, settings, now=now)
    return log_past(session, ctx, addresses=addresses, domains=domains,
                    contact_nos=_owners(session, addresses, domains))


def _owners(session: Session, addresses: Iterable[str], domains: Iterable[str]) -> set[str]:
    """The numbers of the contacts owning these addresses and domains."""
    nos: set[str] = set()
    for batch in chunks(sorted(addresses)):
        nos |= set(session.scalars(sa.select(Contact.no).join(ContactEmail).where(
            sa.func.lower(ContactEmail.address).in_(batch))))
    for batch in chunks(sorted(domains)):
        nos |= set(session.scalars(sa.select(Contact.no).join(CompanyDomain).where(
            sa.func.lower(CompanyDomain.domain).in_(batch))))
    return nos


def log_past(
    session: Session, ctx: CaptureContext, *, addresses: Collection[str],
    domains: Collection[str], contact_nos: Collection[str],
) -> PageOutcome:  # fmt: skip
    """Log the kept items inside the capture windows that involve `addresses` or an address
    in `domains` (a company domain, with its subdomains, when companies match by domain) for
    the contacts `contact_nos`; then drop those addresses from the unmatched list. A meeting
    canceled after it had started gives them a canceled entry, as it gave everyone else. The
    figures of what was written."""
    domains = set(domains) if ctx.sync.match_company_by_domain else set()
    total = PageOutcome()
    rows = _kept_items(session, ctx, set(addresses), domains)
    last = session.scalar(sa.select(sa.func.max(InteractionLogEntry.entry_no))) or 0
    total += write_kept(session, ctx, [(r[0], r[1], r[3]) for r in rows if not r[6]])
    total.entries_created += _log_moved_ahead(session, ctx, [r for r in rows if r[6]])
    canceled = sorted({str(r[4]) for r in rows if r[5] is not None})
    total.entries_canceled += _cancel_new(session, canceled, contact_nos, after=last)
    _forget_unmatched(session, set(addresses), domains)
    total.skipped = +total.skipped
    return total


def _cancel_new(
    session: Session, keys: list[str], contact_nos: Collection[str], *, after: int
) -> int:
    """Cancel the contacts' entries just logged (numbered above `after`) of meetings canceled
    after they started, with the reason their other entries got (else: canceled in Outlook)."""
    e = InteractionLogEntry
    canceled = 0
    for key in keys:
        reason = session.scalar(sa.select(e.canceled_reason).where(
            e.ical_uid == key, e.canceled.is_(True)).limit(1)) or changes.CANCELED_IN_OUTLOOK
        mine = sa.and_(e.ical_uid == key, e.contact_no.in_(list(contact_nos)), e.entry_no > after)
        canceled += len(cancel_where(session, mine, actor="sync:contact-added", reason=reason))
    return canceled


def _log_moved_ahead(session: Session, ctx: CaptureContext, rows: list[Any]) -> int:
    """A logged meeting moved into the future keeps its entries' date until the new start
    has passed, and then they all move (`due.py`): the new contacts' entries take that date
    too, so that they move with the others. Returns how many were logged."""
    created = 0
    for mailbox, group in groupby(rows, key=lambda r: str(r[1])):
        group_rows = list(group)
        due_at = {str(r[2]): r[7] for r in group_rows}
        plans = [p for r in group_rows if (item := decoded(r[0], r[3])) is not None
                 and isinstance(p := plan_item(ctx, mailbox, item), Plan)]
        state = load_state(session, mailbox, mail_keys=set(),
                           meeting_keys={p.key for p in plans}, removed_ids=set())
        dated = [d for p in plans if (d := _at_logged_date(p, state, due_at.get(p.graph_id)))]
        created += len(insert_entry_values(session, new_entries(ctx, dated, state),
                                           actor=f"sync:{mailbox}"))
    return created


def _at_logged_date(plan: Plan, state: PageState, due_at: datetime | None) -> Plan | None:
    """The plan dated as its meeting's entries are (or, when nobody had an entry, as it was
    when last read started); None when it never started."""
    first = next(iter(state.meeting_entries.get(plan.key, [])), None)
    if first is not None:
        return replace(plan, occurred_at=first.occurred_at, duration_min=first.duration_min,
                       subject=first.subject)
    return None if due_at is None else replace(plan, occurred_at=due_at)


def _kept_items(
    session: Session, ctx: CaptureContext, addresses: set[str], domains: set[str]
) -> list[Any]:
    """(id, mailbox, graph id, item, key, canceled at, pending, due at) of the kept copies in the
    windows involving the addresses: messages, meetings that have started, and logged
    meetings moved into the future."""
    ca, ci = CapturedAddress, CapturedItem
    (mail_from, meetings_from), now = ctx.windows(), ctx.now()
    in_window = sa.or_(
        sa.and_(ci.kind == ItemKind.EMAIL.value, ci.occurred_at >= mail_from),
        sa.and_(ci.kind == ItemKind.MEETING.value, ci.occurred_at >= meetings_from,
                ci.occurred_at <= now, ci.pending.is_(False)),  # canceled while pending: never
        sa.and_(ci.kind == ItemKind.MEETING.value, ci.pending.is_(True),  # `_log_moved_ahead`
                ci.canceled_at.is_(None), ci.occurred_at > now,
                sa.or_(ci.due_at.is_not(None),
                       sa.exists().where(InteractionLogEntry.ical_uid == ci.key))),
    )
    ids: set[int] = set()
    for batch in chunks(sorted(addresses)):
        ids |= set(session.scalars(sa.select(ca.captured_item_id)
                                   .where(dialect.one_of(session, ca.address, batch))))
    for domain in sorted(domains):
        ids |= set(session.scalars(sa.select(ca.captured_item_id).where(
            sa.or_(ca.domain == domain, ca.domain.endswith(f".{domain}", autoescape=True)))))
    rows: list[Any] = []
    for id_batch in chunks(sorted(ids)):
        rows += session.execute(sa.select(ci.id, ci.mailbox, ci.graph_id, ci.item, ci.key,
                                          ci.canceled_at, ci.pending, ci.due_at).where(
            ci.id.in_(id_batch), ci.item.is_not(None), in_window)).all()
    rows.sort(key=lambda r: (r[1], r[2]))  # by mailbox, then graph id: one lock order
    return rows


def _forget_unmatched(session: Session, addresses: set[str], domains: Iterable[str]) -> None:
    """The addresses now matched leave the unmatched list (and so do their domains')."""
    u = UnmatchedAddress
    for batch in chunks(sorted(addresses)):
        session.execute(sa.delete(u).where(u.address.in_(batch)))
    for domain in sorted(domains):
        session.execute(sa.delete(u).where(sa.or_(
            u.domain == domain, u.domain.endswith(f".{domain}", autoescape=True))))

