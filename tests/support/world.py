"""The storage tests' world: the default templates and five contacts (two named alike)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from storage.models import Contact
from tests.support.seed import Dataset, seed

CONTACTS_CSV = """no,type,name,company_no,email,email2,domains
CT1,company,Fabrikam Inc.,,info@fabrikam.com,,fabrikam.com;fabrikam.de
CT2,person,José Pérez,CT1,jose@fabrikam.com,JPerez@Gmail.com,
CT3,person,Josefina Ruiz,CT1,josefina@fabrikam.com,,
CT4,person,Anna Berg,,anna@example.org,,
CT5,person,Anna Bergström,,annab@example.org,,
"""

WORLD = Dataset(defaults=True, contacts_csv=CONTACTS_CSV)


@dataclass
class World:
    fabrikam: Contact
    jose: Contact
    josefina: Contact
    anna: Contact
    anna_b: Contact


def make_world(session: Session) -> World:
    """Seed `WORLD` into the session; its contacts by name."""
    seed(session, WORLD)
    by_no = {c.no: c for c in session.query(Contact)}
    return World(by_no["CT1"], by_no["CT2"], by_no["CT3"], by_no["CT4"], by_no["CT5"])
