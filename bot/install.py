"""The app installed in (or removed from) a user's personal scope: keep or forget where
proactive cards go.

Teams says it twice: an `installationUpdate` (`action` `add` / `remove`, and the
`-upgrade` variants) and a `conversationUpdate` whose `membersAdded` / `membersRemoved`
holds the bot. Either is enough: saving is an upsert, forgetting a delete, so the pair (or
a redelivery) changes nothing more. Only personal conversations are kept (a card to a team
channel would show one salesperson's calls to everyone). The user's outcome-card setting
(off by default) survives an upgrade; an uninstall forgets it with the reference.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.activities import Inbound
from bot.flask_host import activity_tenant
from storage.conversations import Reference, forget_reference, save_reference

log = logging.getLogger(__name__)

INSTALL_TYPES = frozenset({"installationUpdate", "conversationUpdate"})


def reference_of(activity: Inbound, tenant: str | None) -> Reference | None:
    """Where a proactive card to the sender of `activity` goes: its personal chat with the
    bot; None in a team or group chat, or when an id is missing."""
    conversation = activity.conversation
    if conversation.get("conversationType", "personal") != "personal":
        return None
    aad, user_id = activity.sender.get("aadObjectId"), activity.sender.get("id")
    bot_id = activity.recipient.get("id")
    if not (aad and user_id and bot_id and activity.service_url and conversation.get("id")):
        return None
    return Reference(aad_object_id=aad, service_url=activity.service_url,
                     conversation_id=str(conversation["id"]), user_id=user_id, bot_id=bot_id,
                     tenant_id=tenant or "", channel_id=activity.channel_id or "msteams",
                     locale=activity.locale or "")


def _change(activity: Inbound, body: dict[str, Any]) -> bool | None:
    """True: installed; False: removed; None: neither (another member, another action)."""
    if activity.type == "installationUpdate":
        action = body.get("action")
        if isinstance(action, str) and action.startswith("add"):
            return True
        if isinstance(action, str) and action.startswith("remove"):
            return False
        return None
    bot_id = activity.recipient.get("id")

    def has_bot(name: str) -> bool:
        members = body.get(name)
        return isinstance(members, list) and any(
            isinstance(m, dict) and m.get("id") == bot_id for m in members)

    if has_bot("membersAdded"):
        return True
    return False if has_bot("membersRemoved") else None


def handle_install(engine: Engine, activity: Inbound, body: dict[str, Any]) -> None:
    """Save or forget the sender's conversation reference, in a transaction of its own."""
    change = _change(activity, body)
    ref = reference_of(activity, activity_tenant(body))
    aad = activity.sender.get("aadObjectId")
    personal = activity.conversation.get("conversationType", "personal") == "personal"
    if change is None or not personal or (ref is None if change else not aad):
        return
    with Session(engine) as session, session.begin():
        if ref is not None and change:
            save_reference(session, ref)
        elif aad:
            forget_reference(session, aad)
    log.info("Teams app %s for %s", "installed" if change else "removed", aad)
