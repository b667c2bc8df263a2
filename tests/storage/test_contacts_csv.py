"""Contacts CSV import: upsert by number, BOM, forward company links, and every bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.contacts_csv import CsvImportError, import_contacts_csv
from storage.models import CompanyDomain, Contact, ContactEmail

HEADER = "no,type,name,company_no,email,email2,domains\n"


def _count(db: Session) -> tuple[int, int, int]:
    return tuple(db.scalar(sa.select(sa.func.count()).select_from(m))  # type: ignore[return-value]
                 for m in (Contact, ContactEmail, CompanyDomain))


def test_import_with_bom_and_company_after_person(db: Session, tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    text = HEADER + ("CT2,person,José Pérez,ct1,Jose@Fabrikam.com,jp@gmail.com,\n"
                     "ct1,Company,Fabrikam,,,,fabrikam.com; @Fabrikam.de\n")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    result = import_contacts_csv(db, path)
    assert (result.added, result.updated) == (["CT1", "CT2"], [])
    jose = db.scalar(sa.select(Contact).where(Contact.no == "CT2"))
    assert jose is not None
    assert (jose.company_no, jose.search_name, [e.address for e in jose.emails]) == (
        "CT1", "jose perez", ["jose@fabrikam.com", "jp@gmail.com"])
    fabrikam = jose.company
    assert fabrikam is not None
    assert sorted(d.domain for d in fabrikam.domains) == ["fabrikam.com", "fabrikam.de"]


def test_reimport_upserts_and_replaces_emails(db: Session) -> None:
    import_contacts_csv(db, HEADER + "C1,company,Old,,a@x.com,,x.com\n"
                                     "P1,person,Ann,C1,ann@x.com,,\n")
    result = import_contacts_csv(db, HEADER + "P2,person,Bob,C1,ann@x.com,,\n"
                                              "P1,person,Ann Smith,,ann@y.com,,\n")
    assert (result.added, result.updated) == (["P2"], ["P1"])
    ann = db.scalar(sa.select(Contact).where(Contact.no == "P1"))
    assert ann is not None
    assert (ann.name, ann.company_no, [e.address for e in ann.emails]) == (
        "Ann Smith", None, ["ann@y.com"])
    bob = db.scalar(sa.select(Contact).join(ContactEmail)
                    .where(ContactEmail.address == "ann@x.com"))
    assert bob is not None
    assert bob.no == "P2"
    assert _count(db) == (3, 3, 1)


def test_an_existing_company_may_be_referenced(db: Session) -> None:
    import_contacts_csv(db, HEADER + "C1,company,Fabrikam,,,,\n")
    import_contacts_csv(db, HEADER + "P1,person,Ann,C1,,,\n")
    ann = db.scalar(sa.select(Contact).where(Contact.no == "P1"))
    assert ann is not None
    assert ann.company_no == "C1"


BAD = [
    ("no,type,name,company_no,email,domains\n", "line 1: missing column 'email2'"),
    ("no,type,name,company_no,email,email2,domains,fax\n", "line 1: unknown column 'fax'"),
    (HEADER + "P1,person,Ann,,,,\nP1,person,Bob,,,,\n", "line 3: duplicate no 'P1'"),
    (HEADER + "P1,person,Ann,C9,,,\n", "line 2: company_no 'C9' names no contact"),
    (HEADER + "P1,person,Ann,,,,\nP2,person,Bob,P1,,,\n", "line 3: company_no 'P1' is a person"),
    (HEADER + "P1,person,Ann,,ann@,,\n", "line 2: malformed email 'ann@'"),
    (HEADER + "P1,person,Ann,,,not an email,\n", "line 2: malformed email 'not an email'"),
    (HEADER + "P1,robot,Ann,,,,\n", "line 2: bad type 'robot'"),
    (HEADER + "P1,person,,,,,\n", "line 2: name is empty"),
    (HEADER + "P1,person,Ann,,,,x.com\n", "line 2: domains are for companies"),
    (HEADER + "C1,company,Co,,,,bad_domain\n", "line 2: malformed domain 'bad_domain'"),
    (HEADER + "P1,person,Ann,,a@x.com,,\nP2,person,Bob,,A@X.com,,\n",
     "line 3: duplicate email 'a@x.com' (already P1 on line 2)"),
    (HEADER + "P1,person,Ann,,,\n", "line 2: expected 7 fields, found 6"),
    (HEADER + "P1,person,\"Ann\n\n\nx,,,,,\n", "line 2: expected 7 fields"),
    ("", "line 1: the file is empty"),
]


@pytest.mark.parametrize(("text", "message"), BAD, ids=[m.split(":")[1][:30] for _, m in BAD])
def test_bad_csv_names_the_line_and_writes_nothing(db: Session, text: str, message: str) -> None:
    import_contacts_csv(db, HEADER + "OLD,person,Old,,old@x.com,,\n")
    before = _count(db)
    with pytest.raises(CsvImportError) as caught:
        import_contacts_csv(db, text + "Z9,person,Late Row,,z9@x.com,,\n" if text else text)
    assert str(caught.value).startswith(message)
    assert "nothing was imported" in str(caught.value)
    assert _count(db) == before


def test_bad_rows_are_all_reported(db: Session) -> None:
    with pytest.raises(CsvImportError) as caught:
        import_contacts_csv(db, HEADER + "P1,robot,A,,,,\nP2,person,B,,b@,,\nP3,person,C,,,,\n")
    assert [e.split(":")[0] for e in caught.value.errors] == ["line 2", "line 3"]
    assert "(and 1 more problems)" in str(caught.value)


def test_email_of_another_contact_in_the_database(db: Session) -> None:
    import_contacts_csv(db, HEADER + "P1,person,Ann,,ann@x.com,,\n")
    before = _count(db)
    with pytest.raises(CsvImportError, match=r"line 3: email 'ann@x.com' is already used by"
                                             r" contact P1"):
        import_contacts_csv(db, HEADER + "P5,person,Eve,,eve@x.com,,\nP2,person,Bob,,ann@x.com,,\n")
    assert _count(db) == before


def test_encoding_problem_names_the_line(db: Session) -> None:
    data = (HEADER + "P1,person,Ann,,,,\nP2,person,Jos").encode() + b"\xe9,,,,\n"
    with pytest.raises(CsvImportError, match="line 3: not UTF-8"):
        import_contacts_csv(db, data)
    assert _count(db) == (0, 0, 0)


def test_a_company_with_members_cannot_become_a_person(db: Session) -> None:
    import_contacts_csv(db, HEADER + "C1,company,Co,,,,\nP1,person,Ann,C1,,,\n")
    with pytest.raises(CsvImportError, match="line 2: C1 is the company of P1"):
        import_contacts_csv(db, HEADER + "C1,person,Co,,,,\n")
