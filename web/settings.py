"""The settings the pages and the API need, as typed objects of their own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from connector.settings import GraphSettings, Secret, ServerSettings


@dataclass(frozen=True)
class WebSettings:
    allow_anonymous: bool = False
    client_id: str = ""
    client_secret: Secret = Secret()
    authority: str = ""
    secret_key: Secret = Secret()


class WebConfig(Protocol):
    """What the web reads of the configuration (`interlog.config.Settings` is one).

    Not the users: who may sign in, and who is an admin, comes from the users table
    (`storage/users.py`), which `[[user]]` seeds.
    """

    @property
    def web(self) -> WebSettings: ...

    @property
    def graph(self) -> GraphSettings: ...

    @property
    def server(self) -> ServerSettings: ...
