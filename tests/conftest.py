"""The root conftest only loads the shared fixtures; they live in `tests/support/plugin.py`."""

from tests.support.databases import pg_database_url  # noqa: F401  (until every folder moves)

pytest_plugins = ["tests.support.plugin"]
