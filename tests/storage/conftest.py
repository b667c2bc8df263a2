"""Storage fixtures: the default templates and a few contacts, on both back-ends."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.support.world import World, make_world


@pytest.fixture
def world(db: Session) -> World:
    return make_world(db)
