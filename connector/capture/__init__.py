"""Capture domain: Graph messages and events → interaction log entries.

The engine builds a `CaptureContext` once per run and calls `capture_page` once per delta
page, in the transaction in which it then saves the stream cursor.
"""

from connector.capture.context import CaptureContext, build_capture_context
from connector.capture.outcome import PageOutcome
from connector.capture.writer import capture_page

__all__ = ["CaptureContext", "PageOutcome", "build_capture_context", "capture_page"]
