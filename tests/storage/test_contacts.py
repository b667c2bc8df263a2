"""Resolving a contact reference: number, any email, exact name, prefix, accents, ambiguity."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from sqlalchemy.orm import Session

from storage.contacts import by_domain, by_email, fold, resolve_contact
from storage.errors import AmbiguousContact, UnknownContact

if TYPE_CHECKING:
    from tests.support.world import World


def test_fold_removes_case_accents_and_extra_spaces() -> None:
    assert fold("  José   PÉREZ ") == "jose perez"


def test_resolve_by_number_and_every_email(db: Session, world: World) -> None:
    assert resolve_contact(db, "ct2") is world.jose
    assert resolve_contact(db, "JOSE@fabrikam.com") is world.jose
    assert resolve_contact(db, "jperez@gmail.com") is world.jose  # the second address
    assert by_email(db, "Info@Fabrikam.com") is world.fabrikam
    assert by_domain(db, "FABRIKAM.DE") is world.fabrikam
    with pytest.raises(UnknownContact):
        resolve_contact(db, "nobody@fabrikam.com")


def test_resolve_by_name_exact_prefix_and_accents(db: Session, world: World) -> None:
    assert resolve_contact(db, "jose perez") is world.jose
    assert resolve_contact(db, "JOSÉ PÉREZ") is world.jose
    assert resolve_contact(db, "josefina") is world.josefina
    assert resolve_contact(db, "Anna Berg") is world.anna  # exact beats the longer prefix
    assert resolve_contact(db, "ruiz") is world.josefina  # a later word of the name
    assert resolve_contact(db, "Fabrikam") is world.fabrikam


def test_ambiguous_name_gives_the_candidates(db: Session, world: World) -> None:
    with pytest.raises(AmbiguousContact) as caught:
        resolve_contact(db, "jose")
    assert {c.no for c in caught.value.candidates} == {"CT2", "CT3"}
    assert "José Pérez (CT2)" in str(caught.value)
    with pytest.raises(AmbiguousContact):
        resolve_contact(db, "anna")


def test_unknown_and_close_names(db: Session, world: World) -> None:
    assert resolve_contact(db, "josefina ruis") is world.josefina  # one close spelling
    with pytest.raises(UnknownContact) as caught:
        resolve_contact(db, "zacharias")
    assert caught.value.candidates == []
    with pytest.raises(UnknownContact):
        resolve_contact(db, "   ")
