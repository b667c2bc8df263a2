"""The contacts CSV's phone and mobile columns: E.164, default_region, and bad numbers."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.contacts_csv import CsvImportError, import_contacts_csv
from storage.errors import InterlogError
from storage.models import Contact
from storage.phones import ContactPhone

HEADER = "no,type,name,company_no,email,email2,domains,phone,mobile\n"


def _numbers(db: Session) -> dict[str, tuple[str, str]]:
    rows = db.execute(sa.select(ContactPhone.number, Contact.no, ContactPhone.kind)
                      .join(Contact, ContactPhone.contact_id == Contact.id))
    return {number: (no, kind) for number, no, kind in rows}


def test_numbers_are_stored_as_e164_and_replaced_on_reimport(db: Session) -> None:
    import_contacts_csv(db, HEADER + "P1,person,Hans,,h@x.com,,,030 1234567,0170 1234567\n",
                        default_region="de")
    assert _numbers(db) == {"+49301234567": ("P1", "phone"), "+491701234567": ("P1", "mobile")}
    import_contacts_csv(db, HEADER + "P1,person,Hans,,h@x.com,,,+1 (206) 555-0100,\n")
    assert _numbers(db) == {"+12065550100": ("P1", "phone")}
    import_contacts_csv(db, "no,type,name,company_no,email,email2,domains\n"
                        "P2,person,Ana,,a@x.com,,\n")  # a file without the columns
    assert _numbers(db) == {"+12065550100": ("P1", "phone")}


@pytest.mark.parametrize(("row", "region", "message"), [
    ("P1,person,Hans,,,,,030 1234567,", None,
     "line 2: phone '030 1234567' has no country code"),
    ("P1,person,Hans,,,,,+49 30,", "DE", "line 2: phone '+49 30' is not a valid phone number"),
    ("P1,person,Hans,,,,,,call me", "DE", "line 2: mobile 'call me' is not a phone number"),
    ("P1,person,Hans,,,,,030 1234567,\nP2,person,Eva,,,,,+49301234567,", "DE",
     "line 3: duplicate phone '+49301234567' (already P1 on line 2)"),
])  # fmt: skip
def test_a_bad_number_names_its_line_and_writes_nothing(
    db: Session, row: str, region: str | None, message: str
) -> None:
    with pytest.raises(CsvImportError) as refused:
        import_contacts_csv(db, HEADER + row + "\n", default_region=region)
    assert str(refused.value).startswith(message)
    assert db.scalar(sa.select(sa.func.count()).select_from(Contact)) == 0


def test_a_number_of_another_contact_is_refused(db: Session) -> None:
    import_contacts_csv(db, HEADER + "P1,person,Hans,,,,,+49301234567,\n")
    with pytest.raises(CsvImportError, match="phone '\\+49301234567' is already used by"
                                             " contact P1"):
        import_contacts_csv(db, HEADER + "P2,person,Eva,,,,,+49 30 1234567,\n")


def test_an_unknown_default_region_is_named(db: Session) -> None:
    with pytest.raises(InterlogError, match="default_region = 'Germany' is not a region code"):
        import_contacts_csv(db, HEADER + "P1,person,Hans,,,,,030 1234567,\n",
                            default_region="Germany")
    assert db.scalar(sa.select(sa.func.count()).select_from(Contact)) == 0
