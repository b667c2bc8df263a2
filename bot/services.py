"""What every blueprint of the app shares: settings, the engine, the command runner."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from flask import current_app
from sqlalchemy.engine import Engine

from bot.flask_host import LoopThread, TokenSource
from bot.runner import CommandRunner
from connector.config import Settings

EXTENSION = "interlog"


@dataclass
class Services:
    settings: Settings
    engine: Engine
    token_source: TokenSource | None = None  # None: MSAL with the bot's app id and password
    loop: LoopThread = field(default_factory=LoopThread)

    @cached_property
    def runner(self) -> CommandRunner:
        return CommandRunner(self.settings, self.engine)


def services() -> Services:
    """The running app's services (inside a request or app context)."""
    found: Services = current_app.extensions[EXTENSION]
    return found
