"""Mailboxes and their mail folders (the containers the store fills)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from .collection import Collection
from .limits import MailboxGate
from .render import from_immutable
from .tenant import WELL_KNOWN_FOLDERS


@dataclass
class Folder:
    """A mail folder and its messages in change order."""

    id: str
    display_name: str
    well_known: str | None
    items: Collection = field(default_factory=Collection)

    def json(self) -> dict[str, Any]:
        """Graph's mailFolder JSON."""
        live = sum(1 for _ in self.items.live())
        return {
            "id": self.id,
            "displayName": self.display_name,
            "parentFolderId": None,
            "childFolderCount": 0,
            "unreadItemCount": 0,
            "totalItemCount": live,
            "isHidden": False,
        }


class Mailbox:
    """One user's mail folders and calendar."""

    def __init__(self, user: dict[str, Any]) -> None:
        self.user = user
        self.id: str = user["id"]
        self.upn: str = user["userPrincipalName"].lower()
        self.folders: dict[str, Folder] = {}
        self.aliases: dict[str, str] = {}
        self.message_folder: dict[str, str] = {}
        self.sources: dict[str, dict[str, Any]] = {}
        self.instances_of: dict[str, list[str]] = {}
        self.calendar = Collection()
        self.epoch = 0
        self.gate = MailboxGate()
        for name, display in WELL_KNOWN_FOLDERS.items():
            self.add_folder(name, display, well_known=name)

    def add_folder(self, key: str, display: str, *, well_known: str | None = None) -> Folder:
        """Create a folder (its id derived from mailbox and key)."""
        digest = hashlib.sha1(f"{self.id}/{key}".encode()).hexdigest()[:28]
        folder_id = f"AQMkA{digest}" if well_known else key
        folder = Folder(folder_id, display, well_known)
        self.folders[folder_id] = folder
        self.aliases[key.lower()] = folder_id
        return folder

    def folder(self, key: str) -> Folder | None:
        """A folder by id or well-known name."""
        folder_id = key if key in self.folders else self.aliases.get(key.lower())
        return self.folders.get(folder_id) if folder_id else None

    def resolve_id(self, item_id: str) -> str:
        """Accept both the regular and the immutable form of an item id."""
        if item_id in self.message_folder or item_id in self.calendar.entries:
            return item_id
        return from_immutable(item_id) or item_id
