"""The closed vocabularies: every set of words a column may hold, one `StrEnum` each.

Each enum is the one place its words are spelled: the models declare a CHECK constraint
built from it (`check_in`), migration 0008 adds the same constraints to an existing
database, and code that produces or compares the words uses the members. Members are
`str`, so they are stored, printed and serialised as their values.

The words are the contract's (design.md, "Entry" and the templates file): `email` is the
interaction, `mail` only the Graph collection a stream reads (`mailFolders/…/messages`).
"""

from __future__ import annotations

from enum import StrEnum

import sqlalchemy as sa


class EntrySource(StrEnum):
    """Where an interaction log entry came from (`source`)."""

    EMAIL = "email"
    MEETING = "meeting"
    CALL = "call"
    MANUAL = "manual"
    BOT = "bot"
    SEGMENT = "segment"
    API = "api"


class InformationFlow(StrEnum):
    """`information_flow` of a template or an entry; also a rule's `direction`."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


class InitiatedBy(StrEnum):
    US = "us"
    THEM = "them"


class Evaluation(StrEnum):
    """An entry's outcome; `NONE` ("") until someone evaluates it."""

    NONE = ""
    VERY_POSITIVE = "very_positive"
    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"
    VERY_NEGATIVE = "very_negative"


class CorrespondenceType(StrEnum):
    NONE = ""
    HARD_COPY = "hard_copy"
    EMAIL = "email"


class SetupKind(StrEnum):
    """The event kinds of the template setup (`[setup]` keys, NAV's Interaction Template Setup)."""

    EMAIL = "email"
    MEETING = "meeting"
    PHONE_CALL = "phone_call"


class ItemKind(StrEnum):
    """What a captured item is: a rule's `kind`, a captured copy's and a tombstone's `kind`."""

    EMAIL = "email"
    MEETING = "meeting"
    CALL = "call"


class PhoneKind(StrEnum):
    """Which of a contact's numbers (the contacts CSV's `phone` and `mobile` columns)."""

    PHONE = "phone"
    MOBILE = "mobile"


class OfferState(StrEnum):
    """Where an outcome card offered for an entry stands (`outcome_offers.state`)."""

    OFFERING = "offering"  # claimed, about to be sent (a crash here: never sent)
    SENT = "sent"
    FAILED = "failed"  # the Bot Connector refused it (not tried again)


class ContactType(StrEnum):
    PERSON = "person"
    COMPANY = "company"


class StreamKind(StrEnum):
    """The Graph collection a stream reads: a mail folder's messages, or the calendarView."""

    MAIL = "mail"
    CALENDAR = "calendar"


class RunStatus(StrEnum):
    """A sync run's stored status. `abandoned` is only ever shown, never stored
    (`storage.sync_models.SyncRun.shown_status`)."""

    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"
    STOPPED = "stopped"


class StreamStatus(StrEnum):
    """How one stream of one mailbox ended in a run."""

    OK = "ok"
    FAILED = "failed"
    STOPPED = "stopped"  # on a worker's stop request, after a committed page


class SyncTrigger(StrEnum):
    """Why a worker synced a mailbox (`sync_intervals.trigger`)."""

    NOTIFIED = "notified"
    POLL = "poll"
    TAKEOVER = "takeover"
    RETRY = "retry"


class SyncOutcome(StrEnum):
    """How a worker's mailbox sync ended (`sync_intervals.outcome`; NULL while running)."""

    OK = "ok"
    ERROR = "error"
    ABANDONED = "abandoned"
    STOPPED = "stopped"
    LOST = "lost"


class SubscriptionAction(StrEnum):
    """What a lifecycle event asks of a subscription (`pending_action`; NULL: nothing)."""

    RENEW = "renew"
    RECREATE = "recreate"


class DeliveryChannel(StrEnum):
    """How the activity arrived: the Bot Framework endpoint or an outgoing webhook."""

    TEAMS = "teams"
    WEBHOOK = "teams-webhook"


def check_in(column: str, vocabulary: type[StrEnum], name: str | None = None) -> sa.CheckConstraint:
    """`column in (…every word of vocabulary…)`, named `name` (default: the column).

    NULL passes a CHECK, so a nullable column stays nullable. The metadata's naming
    convention turns the name into `ck_<table>_<name>`.
    """
    words = ", ".join(f"'{member.value}'" for member in vocabulary)
    return sa.CheckConstraint(f"{column} in ({words})", name=name or column)
