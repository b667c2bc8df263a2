"""`alembic upgrade head` on an empty database gives exactly the models' schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import storage.all_models  # noqa: F401  (every table on Base.metadata)
from storage.db import make_engine, upgrade
from storage.models import Base


def test_upgrade_head_matches_the_models(empty_url: str) -> None:
    engine = make_engine(empty_url)
    try:
        upgrade(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": False})
            diffs = compare_metadata(context, Base.metadata)
        assert diffs == []
        upgrade(engine)  # a second upgrade is a no-op
    finally:
        engine.dispose()
