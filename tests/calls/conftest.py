"""The calls tests' world: the emulator's tenant of calls (a token required) and a seeded
database on each back-end (tests/support/calls.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from emulator import EmulatorServer, EmulatorSettings
from tests.support.calls import NOW, TENANT, Calls, dataset, settings
from tests.support.seed import seed
from tests.support.sync import TOKEN


@pytest.fixture
def calls(clean_engine: Engine) -> Iterator[Calls]:
    emu_settings = EmulatorSettings(require_token=TOKEN, clock=lambda: NOW)
    with EmulatorServer.start(TENANT, settings=emu_settings) as emu:
        config = settings(emu.base_url)
        seed(clean_engine, dataset(config))
        yield Calls(emu, config, clean_engine)
