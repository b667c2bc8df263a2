"""Issue 12, item 10: the contacts CSV takes a contact number with `/` (its page is reachable)
but refuses one with a control character or a `.`, `..` or empty path segment, naming the
line; nothing is written (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.contacts_csv import CsvImportError, import_contacts_csv
from storage.models import Contact

HEADER = "no,type,name,company_no,email,email2,domains\n"


@pytest.mark.parametrize(("no", "company"), [
    ("A/../B", ""), ("A/./B", ""), ("/A", ""), ("A/", ""), ("A//B", ""), ("A\x1bB", ""),
    ("A\x7fB", ""), ("A\x85B", ""), ("A\tB", ""), ("P1", "CO/../X"), ("P1", "CO\x1b"),
])
def test_numbers_that_break_a_page_or_a_terminal_are_refused(db: Session, no: str,
                                                             company: str) -> None:
    text = HEADER + f'CO,company,Fabrikam,,,,\n"{no}",person,Ann,"{company}",,,\n'
    with pytest.raises(CsvImportError, match=r"line 3: (no|company_no) ") as caught:
        import_contacts_csv(db, text)
    assert len(caught.value.errors) == 1, caught.value.errors
    assert db.scalar(sa.select(sa.func.count()).select_from(Contact)) == 0


def test_a_number_with_a_slash_is_imported(db: Session) -> None:
    import_contacts_csv(db, HEADER + "CO/1,company,Fabrikam,,,,\nab/2,person,Ann,CO/1,,,\n")
    found = {c.no: c.company_no for c in db.scalars(sa.select(Contact))}
    assert found == {"CO/1": None, "AB/2": "CO/1"}
