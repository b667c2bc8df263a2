"""Fixtures: a running emulator, serving a small tenant unless the test passes its own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from emulator import EmulatorServer, EmulatorSettings
from tests.support.builders import small_tenant


@pytest.fixture
def emu_factory() -> Iterator[Any]:
    started: list[EmulatorServer] = []

    def start(tenant: Any = None, **settings: Any) -> EmulatorServer:
        server = EmulatorServer.start(
            tenant if tenant is not None else small_tenant(),
            settings=EmulatorSettings(**settings),
        )
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def emu(emu_factory: Any) -> EmulatorServer:
    server: EmulatorServer = emu_factory()
    return server
