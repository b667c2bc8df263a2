"""Why an item is not logged: the reasons a sync run counts (never a silent drop)."""

from __future__ import annotations

import re

from connector.items import Address

# Reasons (the keys of `PageOutcome.skipped`); `malformed:<why>` covers unparseable items.
DRAFT = "draft"
INTERNAL_ONLY = "internal_only"
EXCLUDED = "excluded"
AUTOMATED = "automated"
PRIVATE = "private"
CANCELED_WHEN_FIRST_SEEN = "canceled_when_first_seen"
SERIES_MASTER = "series_master"
NO_CONTACT = "no_contact"
DELETED_ENTRY = "deleted_entry"  # a user deleted the entry (a tombstone): never logged again

# Outlook sensitivities treated as private: "private", and "personal" (mail only: a message
# its sender marked as not business). "confidential" is a business marking and is logged.
PRIVATE_SENSITIVITIES = frozenset({"private", "personal"})

PRIVATE_SUBJECT = "Private"

# Mail read without Outlook's sensitivity (Mail.ReadBasic.All does not return extended
# properties): `[sync] unknown_privacy` decides — "log" as normal mail, "redact" as private
# mail under `private_items = "redact"` (subject `Private`, no subject rules).
UNKNOWN_SENSITIVITY = "unknown"

# Local parts of automated senders: no-reply, do-not-reply, mailer-daemon, postmaster,
# bounces (also VERP forms like bounces+123@…), and notification / newsletter robots.
_AUTOMATED = re.compile(
    r"^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|mailer[-_.]?daemon|postmaster|bounces?"
    r"|notifications?|newsletters?|auto[-_.]?(?:reply|responder|confirm))(?:[-+_.].*)?$"
)


def malformed(why: str) -> str:
    return f"malformed:{why}"


def is_automated(address: Address) -> bool:
    """A robot sender by its local part (mail headers are not in the delta page)."""
    return _AUTOMATED.match(address.local_part) is not None


def is_private(sensitivity: str) -> bool:
    return sensitivity.strip().lower() in PRIVATE_SENSITIVITIES


def is_unknown(sensitivity: str) -> bool:
    return sensitivity.strip().lower() == UNKNOWN_SENSITIVITY
