"""Imports every models module so that `Base.metadata` knows every table."""

from storage import models  # noqa: F401
