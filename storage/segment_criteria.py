"""Which contacts a segment's Add Contacts / Reduce Contacts picks (NAV's segment criteria).

A `ContactCriteria` is read as one query of contact ids: every criterion given must hold
(NAV applies the filters of one Add Contacts together); calling add again with other
criteria adds more (their union). The criteria:

- `contact_ids`: contacts named one by one;
- `company_id`: the persons of a company contact (not the company itself);
- `domain`: contacts with an email address at that domain (exactly: `fabrikam.com` is not
  `sales.fabrikam.com`);
- `entries`: the contacts of the entries an `EntryFilter` selects, the log's own filters.
  "Interacted with in a period" is one of those: the active entries of the period, of a
  template or group if given (`status="active"`, `since`, `until`, `template_code`,
  `group_code`). A saved filter of the log is another: whatever `entries list` or `/log`
  lists with those filters.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import sqlalchemy as sa

from storage.entry_queries import EntryFilter
from storage.errors import InterlogError
from storage.models import Contact, ContactEmail, InteractionLogEntry
from storage.values import email_problem
from storage.vocabulary import ContactType


@dataclass(frozen=True)
class ContactCriteria:
    """What Add Contacts or Reduce Contacts selects; `None` means "any". Not all `None`."""

    contact_ids: tuple[int, ...] | None = None
    company_id: int | None = None
    domain: str | None = None  # checked by `check_domain`: lower-case, no "@"
    entries: EntryFilter | None = None

    def is_empty(self) -> bool:
        return all(v is None for v in (self.contact_ids, self.company_id, self.domain,
                                       self.entries))

    def contact_ids_select(self) -> sa.Select[int]:
        """The ids of the contacts every given criterion selects."""
        if self.is_empty():
            raise InterlogError("give at least one criterion (contacts, company, domain,"
                                " interacted with, or a filter of the log)")
        stmt = sa.select(Contact.id)
        if self.contact_ids is not None:
            stmt = stmt.where(Contact.id.in_(self.contact_ids))
        if self.company_id is not None:
            stmt = stmt.where(Contact.company_id == self.company_id,
                              Contact.type == ContactType.PERSON)
        if self.domain is not None:
            at_domain = sa.select(ContactEmail.contact_id).where(
                ContactEmail.address.endswith("@" + self.domain, autoescape=True))
            stmt = stmt.where(Contact.id.in_(at_domain))
        if self.entries is not None:
            e = InteractionLogEntry
            stmt = stmt.where(Contact.id.in_(sa.select(e.contact_id).where(
                *self.entries.where())))
        return stmt

    def describe(self, contact_nos: tuple[str, ...] = (), company_no: str | None = None
                 ) -> dict[str, object]:
        """The criteria as the audit trail keeps them (numbers, not ids)."""
        details: dict[str, object] = {}
        if contact_nos:
            details["contacts"] = list(contact_nos)
        if company_no is not None:
            details["company"] = company_no
        if self.domain is not None:
            details["domain"] = self.domain
        if self.entries is not None:
            details["entries"] = {k: str(v) for k, v in asdict(self.entries).items()
                                  if v is not None}
        return details


def check_domain(text: str) -> str:
    """An email domain as given (`fabrikam.com`, `@Fabrikam.com`), lower-cased; an
    `InterlogError` naming the problem when it is not one."""
    domain = text.strip().removeprefix("@").lower()
    if not domain or email_problem("x@" + domain) is not None:
        raise InterlogError("domain {text!r} is not an email domain (like fabrikam.com)",
                            text=text)
    return domain

