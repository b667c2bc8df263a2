"""Imports every models module so that `Base.metadata` knows every table, and declares the
indexes `storage/tables.py` leaves out of its import (`canceled_entries_index`)."""

import storage.aggregates
import storage.api_models
import storage.capture_models
import storage.conversations
import storage.delivery_models
import storage.phones
import storage.sync_models
import storage.worker_models  # noqa: F401
from storage import models, tables  # noqa: F401

tables.canceled_entries_index()
