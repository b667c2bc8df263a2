"""Real-time capture fixtures: the Graph emulator (token required) and the notification
endpoint served live so the emulator can POST to it. Databases come from the plugin
(`clean_engine`: workers commit for real)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from emulator import EmulatorServer, EmulatorSettings
from tests.support.realtime import TOKEN, notification_app
from tests.support.servers import LiveApp


@pytest.fixture
def live_app() -> Iterator[Callable[[Engine], LiveApp]]:
    started: list[LiveApp] = []

    def start(engine: Engine) -> LiveApp:
        started.append(LiveApp(notification_app(engine)))
        return started[-1]

    yield start
    for live in started:
        live.stop()


@pytest.fixture
def emulator() -> Iterator[Callable[..., EmulatorServer]]:
    started: list[EmulatorServer] = []

    def start(data: dict[str, Any], **kwargs: Any) -> EmulatorServer:
        settings = EmulatorSettings(require_token=TOKEN, **kwargs)
        started.append(EmulatorServer.start(data, settings=settings))
        return started[-1]

    yield start
    for emu in started:
        emu.stop()
