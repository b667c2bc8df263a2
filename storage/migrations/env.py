"""Alembic environment: the engine comes from `storage.db.alembic_config`."""

from __future__ import annotations

from alembic import context

import storage.all_models  # noqa: F401  (registers every table on Base.metadata)
from storage.models import Base


def run_migrations() -> None:
    engine = context.config.attributes["engine"]
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode rebuilds a SQLite table (copy, drop, rename). With foreign keys
            # enforced, dropping a parent table would delete its children's rows (or fail):
            # off for the migration (the pragma is ignored inside a transaction), checked
            # before the commit, and back on for whoever uses the connection next.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                context.configure(
                    connection=connection, target_metadata=Base.metadata, render_as_batch=sqlite
                )
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").first()
                    if broken is not None:
                        raise RuntimeError(f"migration left a broken foreign key: {tuple(broken)}")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


run_migrations()
