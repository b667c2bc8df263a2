"""What the bot's endpoints share in one app: settings, engine, the command runner, the loop."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy.engine import Engine

from bot.flask_host import LoopThread, TokenSource
from bot.runner import CommandRunner
from bot.settings import BotConfig

if TYPE_CHECKING:
    from bot.teams import TeamsEndpoint

EXTENSION = "interlog.bot"


@dataclass
class BotState:
    settings: BotConfig
    engine: Engine
    token_source: TokenSource | None = None  # None: MSAL with the bot's app id and password
    loop: LoopThread = field(default_factory=LoopThread)
    teams: TeamsEndpoint | None = None  # set when /api/messages is registered

    @cached_property
    def runner(self) -> CommandRunner:
        return CommandRunner(self.engine)


def bot_state() -> BotState:
    """The running app's bot state (inside a request or app context)."""
    found: BotState = current_app.extensions[EXTENSION]
    return found
