"""Typed SQLAlchemy models of NAV/BC Relationship Management, plus interlog's own tables.

One `Base` for every table; other modules (`storage/sync_models.py`, …) add theirs to it.
Datetimes are stored as naive UTC (the same on SQLite and PostgreSQL) and converted at the
edges.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.tables import ENTRIES, METADATA, USERS, utcnow
from storage.vocabulary import (
    ContactType,
    CorrespondenceType,
    EntrySource,
    InformationFlow,
    InitiatedBy,
    ItemKind,
    SetupKind,
    check_in,
)

# The words each vocabulary allows, in order (storage/vocabulary.py spells them).
KINDS: tuple[str, ...] = tuple(SetupKind)
FLOWS: tuple[str, ...] = tuple(InformationFlow)
INITIATORS: tuple[str, ...] = tuple(InitiatedBy)
CORRESPONDENCE_TYPES: tuple[str, ...] = tuple(CorrespondenceType)
SOURCES: tuple[str, ...] = tuple(EntrySource)


class Base(DeclarativeBase):
    metadata = METADATA


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    no: Mapped[str] = mapped_column(sa.String(20), unique=True)
    type: Mapped[str] = mapped_column(sa.String(10))  # person | company
    name: Mapped[str] = mapped_column(sa.String(100))
    # Lower-cased, accents removed: what name look-ups compare against.
    search_name: Mapped[str] = mapped_column(sa.String(100), index=True)
    company_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    company: Mapped[Contact | None] = relationship(remote_side=[id])
    emails: Mapped[list[ContactEmail]] = relationship(
        back_populates="contact", cascade="all, delete-orphan", order_by="ContactEmail.position"
    )
    domains: Mapped[list[CompanyDomain]] = relationship(
        back_populates="contact", cascade="all, delete-orphan"
    )

    __table_args__ = (check_in("type", ContactType),)

    @property
    def company_no(self) -> str | None:
        return self.company.no if self.company is not None else None

    def __repr__(self) -> str:
        return f"Contact(no={self.no!r}, type={self.type!r}, name={self.name!r})"


class ContactEmail(Base):
    """Every email address a contact has; each address belongs to one contact."""

    __tablename__ = "contact_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    address: Mapped[str] = mapped_column(sa.String(254), unique=True)  # lower-case
    position: Mapped[int] = mapped_column(default=0)

    contact: Mapped[Contact] = relationship(back_populates="emails")

    def __repr__(self) -> str:
        return f"ContactEmail(address={self.address!r})"


class CompanyDomain(Base):
    """An email domain of a company contact, for matching people who have no contact."""

    __tablename__ = "company_domains"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    domain: Mapped[str] = mapped_column(sa.String(253), unique=True)  # lower-case

    contact: Mapped[Contact] = relationship(back_populates="domains")

    def __repr__(self) -> str:
        return f"CompanyDomain(domain={self.domain!r})"


class User(Base):
    """A salesperson: mailbox owner, bot user, or both, mapped onto `storage.tables.USERS`."""

    __table__ = USERS

    id: Mapped[int]
    upn: Mapped[str]  # lower-case
    salesperson_code: Mapped[str]
    aad_object_id: Mapped[str | None]
    admin: Mapped[bool]
    time_zone: Mapped[str]  # IANA; "": the server's

    def __repr__(self) -> str:
        return f"User(upn={self.upn!r}, salesperson_code={self.salesperson_code!r})"


class InteractionGroup(Base):
    __tablename__ = "interaction_groups"

    code: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    description: Mapped[str] = mapped_column(sa.String(100), default="")

    def __repr__(self) -> str:
        return f"InteractionGroup(code={self.code!r})"


class InteractionTemplate(Base):
    __tablename__ = "interaction_templates"

    code: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    group_code: Mapped[str] = mapped_column(sa.ForeignKey("interaction_groups.code"))
    description: Mapped[str] = mapped_column(sa.String(100), default="")
    information_flow: Mapped[str | None] = mapped_column(sa.String(8))
    initiated_by: Mapped[str | None] = mapped_column(sa.String(4))
    unit_cost: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2), default=Decimal("0"))
    unit_duration_min: Mapped[Decimal] = mapped_column(sa.Numeric(10, 2), default=Decimal("0"))
    correspondence_type: Mapped[str] = mapped_column(sa.String(10), default="")

    group: Mapped[InteractionGroup] = relationship()

    __table_args__ = (
        check_in("information_flow", InformationFlow),
        check_in("initiated_by", InitiatedBy),
        check_in("correspondence_type", CorrespondenceType),
    )

    def __repr__(self) -> str:
        return f"InteractionTemplate(code={self.code!r}, group_code={self.group_code!r})"


class TemplateSetup(Base):
    """The default template per event kind (NAV's Interaction Template Setup)."""

    __tablename__ = "template_setup"

    kind: Mapped[str] = mapped_column(sa.String(12), primary_key=True)
    template_code: Mapped[str] = mapped_column(sa.ForeignKey("interaction_templates.code"))

    __table_args__ = (check_in("kind", SetupKind),)

    def __repr__(self) -> str:
        return f"TemplateSetup(kind={self.kind!r}, template_code={self.template_code!r})"


class MatchRule(Base):
    """Picks a template for a captured email or meeting; lowest priority, then position, wins."""

    __tablename__ = "match_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int]
    template_code: Mapped[str] = mapped_column(sa.ForeignKey("interaction_templates.code"))
    priority: Mapped[int] = mapped_column(default=100)
    kind: Mapped[str | None] = mapped_column(sa.String(12))
    direction: Mapped[str | None] = mapped_column(sa.String(8))
    subject: Mapped[str | None] = mapped_column(sa.String(500))
    from_domain: Mapped[str | None] = mapped_column(sa.String(253))
    participant_domain: Mapped[str | None] = mapped_column(sa.String(253))
    category: Mapped[str | None] = mapped_column(sa.String(100))
    has_attachments: Mapped[bool | None]
    online_meeting: Mapped[bool | None]
    document_type: Mapped[str | None] = mapped_column(sa.String(40))

    __table_args__ = (
        check_in("kind", ItemKind),
        check_in("direction", InformationFlow),
    )

    def __repr__(self) -> str:
        return f"MatchRule(priority={self.priority!r}, template_code={self.template_code!r})"


class Segment(Base):
    __tablename__ = "segments"

    no: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    description: Mapped[str] = mapped_column(sa.String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    lines: Mapped[list[SegmentLine]] = relationship(
        back_populates="segment", cascade="all, delete-orphan", order_by="SegmentLine.id"
    )

    def __repr__(self) -> str:
        return f"Segment(no={self.no!r})"


class SegmentLine(Base):
    __tablename__ = "segment_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    segment_no: Mapped[str] = mapped_column(sa.ForeignKey("segments.no", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contacts.id"))

    segment: Mapped[Segment] = relationship(back_populates="lines")
    contact: Mapped[Contact] = relationship()

    __table_args__ = (sa.UniqueConstraint("segment_no", "contact_id"),)

    def __repr__(self) -> str:
        return f"SegmentLine(segment_no={self.segment_no!r}, contact_id={self.contact_id!r})"


class LoggedSegment(Base):
    __tablename__ = "logged_segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    segment_no: Mapped[str] = mapped_column(sa.String(20), unique=True)
    template_code: Mapped[str] = mapped_column(sa.ForeignKey("interaction_templates.code"))
    description: Mapped[str] = mapped_column(sa.String(100), default="")
    entry_count: Mapped[int] = mapped_column(default=0)
    canceled: Mapped[bool] = mapped_column(default=False)
    user_upn: Mapped[str | None] = mapped_column(sa.String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"LoggedSegment(id={self.id!r}, segment_no={self.segment_no!r})"


class InteractionLogEntry(Base):
    """One row per contact per interaction, mapped onto `storage.tables.ENTRIES` (declared
    there, for reads without the ORM): the annotations below type its columns."""

    __table__ = ENTRIES

    entry_no: Mapped[int]
    contact_id: Mapped[int]
    contact_no: Mapped[str]
    contact_company_no: Mapped[str | None]
    contact_name: Mapped[str]
    occurred_at: Mapped[datetime]
    template_code: Mapped[str]
    group_code: Mapped[str]
    information_flow: Mapped[str | None]
    initiated_by: Mapped[str | None]
    subject: Mapped[str]
    duration_min: Mapped[Decimal]
    cost: Mapped[Decimal]
    correspondence_type: Mapped[str]
    canceled: Mapped[bool]
    canceled_reason: Mapped[str | None]
    attempt_failed: Mapped[bool]
    evaluation: Mapped[str]
    note: Mapped[str]
    source: Mapped[str]
    user_upn: Mapped[str | None]
    salesperson_code: Mapped[str]
    segment_no: Mapped[str | None]
    logged_segment_id: Mapped[int | None]
    document_type: Mapped[str | None]
    document_no: Mapped[str | None]
    internet_message_id: Mapped[str | None]
    ical_uid: Mapped[str | None]
    web_link: Mapped[str | None]
    created_at: Mapped[datetime]

    contact: Mapped[Contact] = relationship()

    def __repr__(self) -> str:
        return (
            f"InteractionLogEntry(entry_no={self.entry_no!r}, contact_no={self.contact_no!r},"
            f" template_code={self.template_code!r}, canceled={self.canceled!r})"
        )


class AuditEvent(Base):
    """Who logged, canceled, restored or deleted which entry, and when."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(sa.String(300))
    action: Mapped[str] = mapped_column(sa.String(20))  # log | cancel | evaluate | note | …
    entry_no: Mapped[int | None] = mapped_column(index=True)  # no FK: deletions stay audited
    details: Mapped[str] = mapped_column(sa.Text, default="")

    def __repr__(self) -> str:
        return f"AuditEvent(action={self.action!r}, entry_no={self.entry_no!r})"
