"""The metadata every table is on, and the tables declared as SQLAlchemy Core `Table`s that
`storage/models.py` maps its classes onto.

The interaction log's table is declared here rather than by its model's class: `interlog
entries list` reads it with Core alone, without importing or configuring the ORM (a quarter
of its start-up, issue 16); the users' table too, for the configuration's checks of its
`[[user]]`s. `InteractionLogEntry` maps these columns, so a query may name either
(`InteractionLogEntry.cost` is `ENTRIES.c.cost`). Datetimes are naive UTC, as in every
table.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa

from storage.vocabulary import (
    CorrespondenceType,
    EntrySource,
    Evaluation,
    InformationFlow,
    InitiatedBy,
    check_in,
)

METADATA = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def utcnow() -> datetime:
    """Now, as the naive UTC datetime every table stores."""
    return datetime.now(UTC).replace(tzinfo=None)


def _text(name: str, length: int, default: str = "") -> sa.Column[str]:
    """A text column never NULL, "" unless given."""
    return sa.Column(name, sa.String(length), nullable=False, default=default)


def _amount(name: str, precision: int) -> sa.Column[Decimal]:
    return sa.Column(name, sa.Numeric(precision, 2), nullable=False, default=Decimal("0"))


# A salesperson: mailbox owner, bot user, or both. Declared here so that the configuration's
# checks of its `[[user]]`s (`storage/user_values.py`) read the columns' lengths without the
# ORM (`entries list` loads the configuration, issue 16).
USERS = sa.Table(
    "users", METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("upn", sa.String(254), nullable=False, unique=True),  # lower-case
    _text("salesperson_code", 20),
    sa.Column("aad_object_id", sa.String(64), unique=True),
    sa.Column("admin", sa.Boolean, nullable=False, default=False),
    _text("time_zone", 64),  # IANA; "": the server's
)


# One row per contact per interaction. `entry_no` increases and is never reused.
ENTRIES = sa.Table(
    "interaction_log_entries", METADATA,
    sa.Column("entry_no", sa.Integer, primary_key=True, autoincrement=True),
    # Indexes (migration 0019 dropped those another one made redundant): every one is one
    # more write for each entry captured.
    sa.Column("contact_id", sa.ForeignKey("contacts.id"), nullable=False),
    sa.Column("contact_no", sa.String(20), nullable=False),
    sa.Column("contact_company_no", sa.String(20)),
    sa.Column("contact_name", sa.String(100), nullable=False),
    sa.Column("occurred_at", sa.DateTime, nullable=False, index=True),  # naive UTC
    sa.Column("template_code", sa.ForeignKey("interaction_templates.code"), nullable=False),
    sa.Column("group_code", sa.String(10), nullable=False, index=True),
    sa.Column("information_flow", sa.String(8)),
    sa.Column("initiated_by", sa.String(4)),
    _text("subject", 250),
    _amount("duration_min", 10),
    _amount("cost", 12),
    _text("correspondence_type", 10),
    sa.Column("canceled", sa.Boolean, nullable=False, default=False),
    sa.Column("canceled_reason", sa.String(100)),
    sa.Column("attempt_failed", sa.Boolean, nullable=False, default=False),
    _text("evaluation", 14),
    # NAV's comment lines, each a line of its own ("\n" between them); who added each and
    # when is in the audit trail (`note` rows).
    sa.Column("note", sa.Text, nullable=False, default=""),
    sa.Column("source", sa.String(8), nullable=False),
    sa.Column("user_upn", sa.String(254), index=True),
    _text("salesperson_code", 20),
    sa.Column("segment_no", sa.String(20)),
    sa.Column("logged_segment_id", sa.ForeignKey("logged_segments.id"), index=True),
    sa.Column("document_type", sa.String(40)),
    sa.Column("document_no", sa.String(40)),
    sa.Column("internet_message_id", sa.String(500)),
    sa.Column("ical_uid", sa.String(500)),
    sa.Column("web_link", sa.Text),
    sa.Column("created_at", sa.DateTime, nullable=False, default=utcnow),
    # One entry per contact per message / meeting, however many mailboxes hold it.
    sa.UniqueConstraint("internet_message_id", "contact_id"),
    sa.UniqueConstraint("ical_uid", "contact_id"),
    # A contact's latest entries by date (the bot's `show`), a call's contacts' entries
    # about its time (connector/calls/write.py).
    sa.Index("ix_entries_contact_date", "contact_id", "occurred_at"),
    # A company's entries in a date range (its persons': NAV's roll-up, EntryFilter).
    sa.Index("ix_entries_company_date", "contact_company_no", "occurred_at"),
    # Pages by entry number of a contact's, a company's, a template's entries (issue 14);
    # each also serves its first column alone.
    sa.Index("ix_entries_contact_no", "contact_id", "entry_no"),
    sa.Index("ix_entries_company_no", "contact_company_no", "entry_no"),
    sa.Index("ix_entries_template_no", "template_code", "entry_no"),
    # The canceled entries' partial index: `canceled_entries_index` below.
    check_in("information_flow", InformationFlow),
    check_in("initiated_by", InitiatedBy),
    check_in("correspondence_type", CorrespondenceType),
    check_in("evaluation", Evaluation),
    check_in("source", EntrySource),
    sqlite_autoincrement=True,
)

# A page of a date range by entry number, day by day (storage/entry_days.py): each UTC day's
# entries in number order. PostgreSQL only (`occurred_at` is naive UTC, so its date is
# immutable); SQLite reads its pages by entry number.
sa.Index("ix_entries_day_no", sa.cast(ENTRIES.c.occurred_at, sa.Date),
         ENTRIES.c.entry_no).ddl_if(dialect="postgresql")


def canceled_entries_index() -> sa.Index:
    """The canceled entries by number (their page, `delete-canceled`): only the few canceled
    ones, so an active entry written costs this index nothing.

    Declared by `storage/all_models.py` (the whole schema: migrations, their checks), not
    when this module is imported: SQLAlchemy checks a `postgresql_…` keyword by importing its
    PostgreSQL dialect, ~60 ms of start-up for every command on SQLite."""
    return sa.Index("ix_entries_canceled_no", ENTRIES.c.entry_no,
                    postgresql_where=sa.text("canceled IS true"),
                    sqlite_where=sa.text("canceled IS 1"))
