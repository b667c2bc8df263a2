"""The configuration's `[[user]]` entries seed the users table when a process starts.

`storage/users.py` answers who is who and who is an admin, from the table only; the config
reaches it here, in a transaction of its own, before anything reads it: when the app is built
(`interlog/app.py` `create_app`, which `interlog serve` runs), and at the start of
`interlog worker` and `interlog sync`. `interlog init` and `interlog demo` seed the table in
their own setup transactions.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.audit import audit
from storage.user_values import UserLike
from storage.users import UserSeedResult, seed_users

log = logging.getLogger(__name__)


def seed_configured_users(engine: Engine, users: Sequence[UserLike], *,
                          actor: str) -> UserSeedResult:
    """Upsert the configured users and commit; a change is audited as `users` by `actor`.

    With no `[[user]]` the database is not touched. Processes that start together (workers
    on one PostgreSQL database) may race to insert the same user: the loser seeds again and
    finds the rows in place.
    """
    if not users:
        return UserSeedResult()
    try:
        return _seed(engine, users, actor)
    except IntegrityError:
        return _seed(engine, users, actor)


def _seed(engine: Engine, users: Sequence[UserLike], actor: str) -> UserSeedResult:
    with Session(engine) as session, session.begin():
        result = seed_users(session, users)
        if result.changed:
            audit(session, actor, "users", None, added=result.added, updated=result.updated,
                  removed=result.removed)
    if result.changed:
        log.info("users from the configuration: added %s; updated %s; removed %s",
                 ", ".join(result.added) or "none", ", ".join(result.updated) or "none",
                 ", ".join(result.removed) or "none")
    return result
