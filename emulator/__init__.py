"""A local Microsoft Graph for mail and calendar: the Azurite of interlog."""

from __future__ import annotations

from .app import Emulator
from .server import EmulatorServer
from .settings import EmulatorSettings
from .state import Change, Store
from .tenant import Tenant, load_tenant

__all__ = [
    "Change",
    "Emulator",
    "EmulatorServer",
    "EmulatorSettings",
    "Store",
    "Tenant",
    "load_tenant",
]
