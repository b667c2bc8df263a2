"""The root conftest only loads the shared fixtures; they live in `tests/support/plugin.py`."""

pytest_plugins = ["tests.support.plugin"]
