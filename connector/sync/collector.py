"""The cyclic garbage collector paused while a page is written.

Writing a page allocates some hundred thousand short-lived objects (items, plans, rows) that
reference counting frees; the cyclic collector, triggered by those allocations, scans them
again and again, and in a long-running process each of its full passes walks the whole heap.
Measured on a 10,000-message first sync (BENCHMARKS.md, issue 16): a few per cent of the
process's CPU in a fresh process, ~20% by its second sync in the same process (a worker).
Paused for the page's transaction only, it runs as usual between pages, so cyclic garbage
waits at most one page. Pauses nest across threads (the last one out resumes it), and a
collector someone else disabled stays disabled.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_paused = 0  # pauses in progress
_resume = False  # whether the last pause out enables the collector again


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection inside the block (reference counting goes on)."""
    global _paused, _resume
    with _lock:
        if _paused == 0:
            _resume = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _lock:
            _paused -= 1
            if _paused == 0 and _resume:
                gc.enable()
