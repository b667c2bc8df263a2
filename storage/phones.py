"""Contacts' phone numbers: normalised to E.164 (`phonenumbers`), one contact per number.

The contacts CSV's `phone` and `mobile` columns (`storage/contacts_csv.py`) are stored here,
as E.164 (`+4930123456`); a number written without a country code is read in
`default_region` (`[sync] default_region`, an ISO 3166 code such as `DE`), and refused when
there is none. Call capture matches a PSTN party by its number (`numbers_to_contacts`).
Microsoft masks the last digits of external numbers in some countries (`+49301234XXXX`):
such a number can never match (`is_masked`).
"""

from __future__ import annotations

import re

import phonenumbers
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.errors import InterlogError
from storage.models import Base
from storage.vocabulary import PhoneKind, check_in

KINDS = tuple(PhoneKind)
_MASK = re.compile(r"[xX*]")


class PhoneProblem(ValueError):
    """A number that is not a valid phone number (the message says why)."""


class ContactPhone(Base):
    """A contact's phone or mobile number, E.164; a number belongs to one contact."""

    __tablename__ = "contact_phones"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(sa.String(20), unique=True)  # E.164
    kind: Mapped[str] = mapped_column(sa.String(8), default=PhoneKind.PHONE)

    __table_args__ = (check_in("kind", PhoneKind),)

    def __repr__(self) -> str:
        return f"ContactPhone({self.number!r}, {self.kind!r}, contact={self.contact_id!r})"


def check_region(region: str | None) -> str | None:
    """`[sync] default_region` upper-cased (None when unset); `InterlogError` naming it when
    it is not a region phone numbers are known for."""
    value = (region or "").strip().upper()
    if not value:
        return None
    if value not in phonenumbers.SUPPORTED_REGIONS:
        raise InterlogError(f"[sync] default_region = {region!r} is not a region code such as "
                            "DE, US or MX (ISO 3166 alpha-2)")
    return value


def is_masked(number: str) -> bool:
    """Whether Microsoft masked the number's last digits (`+49301234XXXX`)."""
    return bool(_MASK.search(number))


def normalize(text: str, default_region: str | None = None) -> str:
    """`text` as E.164; `default_region` reads a national number. Raises `PhoneProblem`."""
    value = text.strip()
    if not value:
        raise PhoneProblem("is empty")
    region = (default_region or "").strip().upper() or None
    if not value.startswith(("+", "00")) and region is None:
        raise PhoneProblem("has no country code (write +CC…, or set [sync] default_region)")
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise PhoneProblem(f"is not a phone number ({exc._msg})") from None
    if not phonenumbers.is_valid_number(parsed):
        raise PhoneProblem("is not a valid phone number")
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


def party_number(text: str, default_region: str | None = None) -> str | None:
    """A number as Graph reports it (a call party, a PSTN row) → E.164, kept as it is when
    masked, None when it is not a phone number at all."""
    value = text.strip()
    if not value:
        return None
    if is_masked(value):
        return value
    try:
        return normalize(value if value.startswith(("+", "00")) or default_region
                         else "+" + value, default_region)
    except PhoneProblem:
        return None


def numbers_to_contacts(session: Session) -> dict[str, int]:
    """E.164 number → contact id, for every stored number."""
    rows = session.execute(sa.select(ContactPhone.number, ContactPhone.contact_id))
    return {number: contact_id for number, contact_id in rows}


def replace_phones(session: Session, contact_id: int, numbers: dict[str, str]) -> None:
    """Make `numbers` (E.164 → kind) the contact's numbers (the caller has freed them)."""
    session.execute(sa.delete(ContactPhone).where(ContactPhone.contact_id == contact_id))
    session.add_all(ContactPhone(contact_id=contact_id, number=n, kind=k)
                    for n, k in numbers.items())
