"""Contacts CSV import: `no,type,name,company_no,email,email2,domains[,phone,mobile]`, upsert
by `no`.

`phone` and `mobile` are optional columns: numbers, stored as E.164 (`storage/phones.py`;
one written without a country code is read in `default_region`, `[sync] default_region`).

Every row is validated before anything is written; the first problem found is raised as an
`InterlogError` naming the line ("line 4: malformed email 'bob@'"), with every problem in
`CsvImportError.errors`. The caller's transaction is left untouched on error.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.contacts import fold
from storage.errors import InterlogError
from storage.models import CompanyDomain, Contact, ContactEmail
from storage.phones import KINDS as PHONE_COLUMNS
from storage.phones import ContactPhone, PhoneProblem, check_region, normalize, replace_phones
from storage.values import EMAIL_RE, contact_number_problem, text_problem
from storage.vocabulary import ContactType

COLUMNS = ("no", "type", "name", "company_no", "email", "email2", "domains")
OPTIONAL = PHONE_COLUMNS  # phone, mobile: may be left out of the file
DOMAIN_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$")
LIMITS = {"no": 20, "name": 100}


class CsvImportError(InterlogError):
    """A contacts CSV that cannot be imported; `errors` holds every "line N: reason"."""

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = list(errors)
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        super().__init__(f"{errors[0]}{more}; nothing was imported")


@dataclass(frozen=True)
class CsvRow:
    line: int
    no: str
    type: str
    name: str
    company_no: str | None
    emails: tuple[str, ...]
    domains: tuple[str, ...]
    phones: tuple[tuple[str, str], ...] = ()  # (E.164, phone | mobile)


@dataclass
class ImportResult:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.added) + len(self.updated)


def read_csv_text(source: str | bytes | os.PathLike[str]) -> str:
    """The CSV as text: a path or bytes are decoded as UTF-8 (with or without a BOM)."""
    if isinstance(source, str):
        return source.removeprefix("\ufeff")
    data = Path(source).read_bytes() if isinstance(source, os.PathLike) else source
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise CsvImportError(
            [f"line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8"]
        ) from None


def parse_contacts_csv(text: str, default_region: str | None = None) -> list[CsvRow]:
    """Rows of a contacts CSV, each checked on its own and against the others in the file."""
    reader = csv.reader(io.StringIO(text, newline=""))
    errors: list[str] = []
    try:
        header = next(reader, None)
        if header is None:
            raise CsvImportError(["line 1: the file is empty; expected " + ",".join(COLUMNS)])
        index = _header(header, errors)
        rows = []
        start = reader.line_num + 1  # a quoted value may span lines: name the first one
        for fields in reader:
            line, start = start, reader.line_num + 1
            if not any(f.strip() for f in fields):
                continue
            row = _row(line, fields, index, errors, default_region)
            if row is not None:
                rows.append(row)
    except csv.Error as exc:
        raise CsvImportError([f"line {reader.line_num}: {exc}"]) from None
    _cross_check(rows, errors)
    if errors:
        raise CsvImportError(errors)
    return rows


def _header(header: list[str], errors: list[str]) -> dict[str, int]:
    names = [h.strip().lower() for h in header]
    for name in names:
        if name not in COLUMNS + OPTIONAL:
            errors.append(f"line 1: unknown column {name!r}; expected " + ",".join(COLUMNS)
                          + " and optionally " + ",".join(OPTIONAL))
        elif names.count(name) > 1:
            errors.append(f"line 1: column {name!r} appears twice")
    for name in COLUMNS:
        if name not in names:
            errors.append(f"line 1: missing column {name!r}")
    if errors:
        raise CsvImportError(list(dict.fromkeys(errors)))
    return {name: names.index(name) for name in COLUMNS + OPTIONAL if name in names}


def _row(line: int, fields: list[str], index: dict[str, int], errors: list[str],
         default_region: str | None = None) -> CsvRow | None:
    if len(fields) != len(index):
        errors.append(f"line {line}: expected {len(index)} fields, found {len(fields)}")
        return None
    value = {name: fields[i].strip() for name, i in index.items()}
    before = len(errors)
    _unstorable(line, value, errors)
    kind = value["type"].lower()
    if kind not in tuple(ContactType):
        errors.append(f"line {line}: bad type {value['type']!r}; expected person or company")
    for name, limit in LIMITS.items():
        if not value[name]:
            errors.append(f"line {line}: {name} is empty")
        elif len(value[name]) > limit:
            errors.append(f"line {line}: {name} is longer than {limit} characters")
    emails = tuple(e.lower() for e in (value["email"], value["email2"]) if e)
    for email in emails:
        if len(email) > 254 or not EMAIL_RE.match(email):
            errors.append(f"line {line}: malformed email {email!r}")
    domains = tuple(d.strip().lower().removeprefix("@") for d in value["domains"].split(";"))
    domains = tuple(d for d in domains if d)
    if domains and kind == ContactType.PERSON:
        errors.append(f"line {line}: domains are for companies; {value['no']} is a person")
    for domain in domains:
        if len(domain) > 253 or not DOMAIN_RE.match(domain):
            errors.append(f"line {line}: malformed domain {domain!r}")
    for name in ("no", "company_no"):
        problem = contact_number_problem(value[name]) if value[name] else None
        if problem is not None and text_problem(value[name]) is None:  # else named already
            errors.append(f"line {line}: {name} {value[name]!r} {problem}")
    phones = _phones(line, value, errors, default_region)
    if len(errors) > before:
        return None
    company = value["company_no"].upper() or None
    return CsvRow(line, value["no"].upper(), kind, value["name"], company,
                  tuple(dict.fromkeys(emails)), tuple(dict.fromkeys(domains)), phones)


def _phones(line: int, value: dict[str, str], errors: list[str],
            default_region: str | None) -> tuple[tuple[str, str], ...]:
    """The row's `phone` and `mobile` as E.164 (a problem named with the column)."""
    found: dict[str, str] = {}
    for name in OPTIONAL:
        text = value.get(name, "")
        if not text:
            continue
        try:
            found.setdefault(normalize(text, default_region), name)
        except PhoneProblem as exc:
            errors.append(f"line {line}: {name} {text!r} {exc}")
    return tuple(found.items())


def _unstorable(line: int, value: dict[str, str], errors: list[str]) -> None:
    """A NUL character or a lone surrogate in any field: no database stores it as it is."""
    for name, text in value.items():
        problem = text_problem(text)
        if problem is not None:
            errors.append(f"line {line}: {name} {problem}")


def _cross_check(rows: list[CsvRow], errors: list[str]) -> None:
    """Duplicate numbers, addresses and domains within the file."""
    seen: dict[tuple[str, str], CsvRow] = {}
    for row in rows:
        keys = [("no", row.no)] + [("email", e) for e in row.emails]
        keys += [("domain", d) for d in row.domains] + [("phone", n) for n, _ in row.phones]
        for what, key in keys:
            first = seen.setdefault((what, key), row)
            if first is not row:
                owner = f"{first.no} on line {first.line}"
                errors.append(f"line {row.line}: duplicate {what} {key!r} (already {owner})")


def import_contacts_csv(
    session: Session, source: str | bytes | os.PathLike[str], *,
    default_region: str | None = None,
) -> ImportResult:
    """Upsert the contacts of a CSV (text, bytes or a path) by `no`; all or nothing.

    A contact's emails and domains are replaced by the file's. Persons may name a company
    defined anywhere in the same file or already in the database.
    """
    rows = parse_contacts_csv(read_csv_text(source), check_region(default_region))
    existing = _existing(session, [r.no for r in rows])
    errors = _check_against_db(session, rows, existing)
    if errors:
        raise CsvImportError(errors)
    return _write(session, rows, existing)


def _existing(session: Session, nos: list[str]) -> dict[str, Contact]:
    found: dict[str, Contact] = {}
    for start in range(0, len(nos), 500):
        chunk = nos[start : start + 500]
        found.update((c.no, c) for c in session.scalars(sa.select(Contact).where(
            Contact.no.in_(chunk))))
    return found


def _check_against_db(
    session: Session, rows: list[CsvRow], existing: dict[str, Contact]
) -> list[str]:
    errors: list[str] = []
    in_file = {r.no: r for r in rows}
    for row in rows:
        if row.company_no is None or (row.company_no == row.no and row.type == ContactType.COMPANY):
            continue
        target_type = _type_of(session, row.company_no, in_file)
        if target_type is None:
            errors.append(f"line {row.line}: company_no {row.company_no!r} names no contact")
        elif target_type != ContactType.COMPANY:
            errors.append(f"line {row.line}: company_no {row.company_no!r} is a person,"
                          " not a company")
        elif row.type == ContactType.COMPANY:
            errors.append(f"line {row.line}: {row.no} is a company; it cannot belong to"
                          f" company {row.company_no}")
    errors += _owner_conflicts(session, rows, in_file)
    errors += _demoted_companies(session, rows, existing)
    return errors


def _type_of(session: Session, no: str, in_file: dict[str, CsvRow]) -> str | None:
    if no in in_file:
        return in_file[no].type
    return session.scalar(sa.select(Contact.type).where(Contact.no == no))


def _owner_conflicts(session: Session, rows: list[CsvRow], in_file: dict[str, CsvRow]) -> list[str]:
    """Addresses and domains that belong to a contact this file does not replace."""
    errors = []
    for model, column, what in (
        (ContactEmail, ContactEmail.address, "email"),
        (CompanyDomain, CompanyDomain.domain, "domain"),
        (ContactPhone, ContactPhone.number, "phone"),
    ):
        wanted = {v: row for row in rows for v in _values(row, what)}
        values = list(wanted)
        for start in range(0, len(values), 500):
            owners = session.execute(
                sa.select(column, Contact.no).join(Contact, model.contact_id == Contact.id)
                .where(column.in_(values[start : start + 500]))
            ).all()
            for value, owner_no in owners:
                row = wanted[value]
                if owner_no != row.no and owner_no not in in_file:
                    errors.append(f"line {row.line}: {what} {value!r} is already used by"
                                  f" contact {owner_no}")
    return sorted(errors, key=lambda e: int(e.split()[1].rstrip(":")))


def _values(row: CsvRow, what: str) -> tuple[str, ...]:
    if what == "phone":
        return tuple(number for number, _ in row.phones)
    return row.emails if what == "email" else row.domains


def _demoted_companies(
    session: Session, rows: list[CsvRow], existing: dict[str, Contact]
) -> list[str]:
    """A company that becomes a person must not keep people (outside the file) linked to it."""
    errors = []
    in_file = {r.no: r for r in rows}
    for row in rows:
        contact = existing.get(row.no)
        if contact is None or contact.type != ContactType.COMPANY or row.type != ContactType.PERSON:
            continue
        members = session.scalars(sa.select(Contact.no).where(Contact.company_id == contact.id))
        for member in members:
            if member not in in_file:
                errors.append(f"line {row.line}: {row.no} is the company of {member};"
                              " it must stay a company")
                break
    return errors


def _write(session: Session, rows: list[CsvRow], existing: dict[str, Contact]) -> ImportResult:
    result = ImportResult()
    for old in existing.values():  # free every address and domain the file re-assigns
        old.emails.clear()
        old.domains.clear()
    ids = [c.id for c in existing.values()]
    for start in range(0, len(ids), 500):
        session.execute(sa.delete(ContactPhone).where(
            ContactPhone.contact_id.in_(ids[start : start + 500])))
    session.flush()
    contacts = dict(existing)
    for row in sorted(rows, key=lambda r: r.type != ContactType.COMPANY):
        contact = contacts.get(row.no)
        if contact is None:
            contact = Contact(no=row.no, type=row.type, name=row.name, search_name="")
            session.add(contact)
            contacts[row.no] = contact
            result.added.append(row.no)
        else:
            result.updated.append(row.no)
        contact.type, contact.name = row.type, row.name
        contact.search_name = fold(row.name)[:100]
        contact.emails = [ContactEmail(address=e, position=i) for i, e in enumerate(row.emails)]
        contact.domains = [CompanyDomain(domain=d) for d in row.domains]
    session.flush()
    for row in rows:
        if row.phones:
            replace_phones(session, contacts[row.no].id, dict(row.phones))
    for row in rows:
        company: Contact | None = None
        if row.company_no is not None and row.company_no != row.no:
            company = contacts.get(row.company_no) or session.scalar(
                sa.select(Contact).where(Contact.no == row.company_no))
        contacts[row.no].company = company
    session.flush()
    return result
