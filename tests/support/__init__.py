"""Everything the tests share: builders, fakes, seeded databases, live servers, fixtures.

Test modules import from here (`tests.support.*`) and from nothing else under `tests/`;
`tests/test_test_layout.py` checks it. The fixtures live in `tests/support/plugin.py`,
which the root `tests/conftest.py` loads as a pytest plugin.
"""
