"""Capture fixtures: the small tenant seeded into the test's rolled-back session."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from connector.capture import build_capture_context
from storage.users import seed_users
from tests.support.capture import CAPTURE, Capture, make_settings
from tests.support.seed import seed


@pytest.fixture
def make_capture(db: Session) -> Callable[..., Capture]:
    """`make_capture(private_items="redact")`: seed once, then a context for these settings."""
    seed(db, CAPTURE)

    def make(**sync: Any) -> Capture:
        settings = make_settings(**sync)
        seed_users(db, settings.users)  # as a sync command does before it runs
        return Capture(db, build_capture_context(db, settings), settings)

    return make


@pytest.fixture
def cap(make_capture: Callable[..., Capture]) -> Capture:
    return make_capture()
