"""Teams conversation references and the outcome cards offered through them.

A proactive message (a card nobody asked for) needs where to send it: the conversation
reference Teams gives when the app is installed in a user's personal scope
(`installationUpdate` add, `conversationUpdate` with the bot among `membersAdded`), kept
here per user (`TeamsConversation`) and deleted on uninstall. The same row holds whether
the user wants an outcome card after their calls and meetings (`cards_since`: NULL is
off, the default) and when the last card went (`last_card_at`, the throttle).

`OutcomeOffer` is one row per entry ever offered: the sender inserts it as `offering` in a
transaction of its own **before** it sends, then marks it `sent` (or `failed`). A crash
between the two leaves `offering`: the card is never sent again (at most once). Every
function takes the caller's `Session` and never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage import dialect
from storage.models import Base, InteractionLogEntry, User, utcnow
from storage.vocabulary import EntrySource, OfferState, check_in


class TeamsConversation(Base):
    """A user's personal chat with the bot: where a proactive card goes."""

    __tablename__ = "teams_conversations"

    aad_object_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(sa.String(64), default="")
    service_url: Mapped[str] = mapped_column(sa.String(500))
    conversation_id: Mapped[str] = mapped_column(sa.String(500))
    user_id: Mapped[str] = mapped_column(sa.String(200))  # 29:… (the user, for the bot)
    bot_id: Mapped[str] = mapped_column(sa.String(200))  # 28:…
    channel_id: Mapped[str] = mapped_column(sa.String(40), default="msteams")
    locale: Mapped[str] = mapped_column(sa.String(20), default="")
    installed_at: Mapped[datetime] = mapped_column(default=utcnow)
    cards_since: Mapped[datetime | None]  # outcome cards on since (NULL: off)
    last_card_at: Mapped[datetime | None]


class OutcomeOffer(Base):
    """An entry offered to its salesperson in an outcome card (once, ever)."""

    __tablename__ = "outcome_offers"

    entry_no: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    aad_object_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    offered_at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[str] = mapped_column(sa.String(10), default=OfferState.OFFERING)
    activity_id: Mapped[str] = mapped_column(sa.String(200), default="")

    __table_args__ = (check_in("state", OfferState),)


@dataclass(frozen=True)
class Reference:
    """A conversation reference, as an activity gives it."""

    aad_object_id: str
    service_url: str
    conversation_id: str
    user_id: str
    bot_id: str
    tenant_id: str = ""
    channel_id: str = "msteams"
    locale: str = ""


def save_reference(session: Session, ref: Reference) -> None:
    """Insert or refresh the user's reference (the notification setting is kept)."""
    values = {"aad_object_id": ref.aad_object_id, "tenant_id": ref.tenant_id,
              "service_url": ref.service_url, "conversation_id": ref.conversation_id,
              "user_id": ref.user_id, "bot_id": ref.bot_id, "channel_id": ref.channel_id,
              "locale": ref.locale[:20]}
    fresh = {k: v for k, v in values.items() if k != "aad_object_id"}
    statement = dialect.upsert(session, TeamsConversation).values(
        **values, installed_at=utcnow())
    session.execute(statement.on_conflict_do_update(index_elements=["aad_object_id"],
                                                    set_=fresh))


def forget_reference(session: Session, aad_object_id: str) -> bool:
    """The app was uninstalled: no more cards (its setting goes too). Whether one was kept."""
    t = TeamsConversation
    result = session.execute(sa.delete(t).where(t.aad_object_id == aad_object_id))
    return bool(getattr(result, "rowcount", 0))


def conversation(session: Session, aad_object_id: str) -> TeamsConversation | None:
    return session.get(TeamsConversation, aad_object_id)


def set_cards(session: Session, aad_object_id: str, on: bool, *,
              now: datetime | None = None) -> bool:
    """Turn a user's outcome cards on (from now: nothing that ended before is offered) or
    off. False when the user has no conversation reference."""
    row = session.get(TeamsConversation, aad_object_id, with_for_update=True)
    if row is None:
        return False
    if not on:
        row.cards_since = None
    elif row.cards_since is None:
        row.cards_since = now or utcnow()
    return True


CARD_SOURCES = (EntrySource.MEETING.value, EntrySource.CALL.value)


@dataclass(frozen=True)
class Due:
    """An entry that has ended and may be offered, with where to send it."""

    entry: InteractionLogEntry
    to: TeamsConversation
    time_zone: str


def due_entries(session: Session, now: datetime, *, max_age: timedelta,
                limit: int = 500) -> list[Due]:
    """Captured meetings and calls that have ended (start + duration ≤ now), active, not
    evaluated, not failed, never offered, of users whose cards are on (and that ended after
    they were turned on, within `max_age`), oldest first."""
    e, c, u, o = InteractionLogEntry, TeamsConversation, User, OutcomeOffer
    rows = session.execute(
        sa.select(e, c, u.time_zone)
        .join(u, u.upn == e.user_upn)
        .join(c, c.aad_object_id == u.aad_object_id)
        .outerjoin(o, o.entry_no == e.entry_no)
        .where(e.occurred_at >= now - max_age, e.occurred_at <= now,
               e.source.in_(CARD_SOURCES), e.canceled.is_(False), e.evaluation == "",
               e.attempt_failed.is_(False), c.cards_since.is_not(None), o.entry_no.is_(None))
        .order_by(e.occurred_at, e.entry_no).limit(limit)).all()
    due = []
    for entry, conv, zone in rows:
        ended = entry.occurred_at + timedelta(minutes=float(entry.duration_min))
        if ended <= now and conv.cards_since is not None and ended >= conv.cards_since:
            due.append(Due(entry, conv, zone or ""))
    return due


def claim_offers(session: Session, aad_object_id: str, entry_nos: Sequence[int],
                 now: datetime) -> list[int]:
    """Record `entry_nos` as being offered to the user now (the ones no one claimed
    before) and stamp the user's last card; returns the entries claimed."""
    o = OutcomeOffer
    claimed = []
    for entry_no in entry_nos:
        statement = (dialect.upsert(session, o).values(
            entry_no=entry_no, aad_object_id=aad_object_id, offered_at=now,
            state=OfferState.OFFERING.value, activity_id="")
            .on_conflict_do_nothing(index_elements=["entry_no"]).returning(o.entry_no))
        if session.execute(statement).first() is not None:
            claimed.append(entry_no)
    if claimed:
        session.execute(sa.update(TeamsConversation)
                        .where(TeamsConversation.aad_object_id == aad_object_id)
                        .values(last_card_at=now))
    return claimed


def finish_offers(session: Session, entry_nos: Sequence[int], state: OfferState,
                  activity_id: str = "") -> None:
    """The card holding `entry_nos` went (`sent`, its activity id) or was refused."""
    o = OutcomeOffer
    session.execute(sa.update(o).where(o.entry_no.in_(list(entry_nos)))
                    .values(state=state.value, activity_id=activity_id[:200]))


def offers(session: Session, entry_nos: Sequence[int] | None = None) -> list[OutcomeOffer]:
    """The offers recorded (of `entry_nos`, or all), by entry number."""
    o = OutcomeOffer
    query = sa.select(o).order_by(o.entry_no)
    if entry_nos is not None:
        query = query.where(o.entry_no.in_(list(entry_nos)))
    return list(session.scalars(query))
