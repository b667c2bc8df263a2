"""Storage fixtures: the default templates and a few contacts, on both back-ends."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from storage.contacts_csv import import_contacts_csv
from storage.models import Contact
from storage.seed import seed_defaults

CONTACTS_CSV = """no,type,name,company_no,email,email2,domains
CT1,company,Fabrikam Inc.,,info@fabrikam.com,,fabrikam.com;fabrikam.de
CT2,person,José Pérez,CT1,jose@fabrikam.com,JPerez@Gmail.com,
CT3,person,Josefina Ruiz,CT1,josefina@fabrikam.com,,
CT4,person,Anna Berg,,anna@example.org,,
CT5,person,Anna Bergström,,annab@example.org,,
"""


@dataclass
class World:
    fabrikam: Contact
    jose: Contact
    josefina: Contact
    anna: Contact
    anna_b: Contact


@pytest.fixture
def world(db: Session) -> World:
    seed_defaults(db)
    import_contacts_csv(db, CONTACTS_CSV)
    by_no = {c.no: c for c in db.query(Contact)}
    return World(by_no["CT1"], by_no["CT2"], by_no["CT3"], by_no["CT4"], by_no["CT5"])
