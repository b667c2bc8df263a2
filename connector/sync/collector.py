"""The cyclic garbage collector paused while a page is written, and kept off the heap that
was there before a sync run.

Writing a page allocates some hundred thousand short-lived objects (items, plans, rows) that
reference counting frees; the cyclic collector, triggered by those allocations, scans them
again and again, and in a long-running process each of its full passes walks the whole heap.
Measured on a 10,000-message first sync (BENCHMARKS.md, issue 16): a few per cent of the
process's CPU in a fresh process, ~20% by its second sync in the same process (a worker).
Paused for the page's transaction only, it runs as usual between pages, so cyclic garbage
waits at most one page. Pauses nest across threads (the last one out resumes it), and a
collector someone else disabled stays disabled.

During a run (`heap_frozen`), what the process held before it (modules, classes, the SDK's
request builders, caches: most of its heap) is moved out of the collector's generations
(`gc.freeze`) and back at the run's end (`gc.unfreeze`): the full collections the run's
allocations trigger then walk what the run made, not the whole process — one full
collection in a fresh process's first sync of 10,000 messages took ~0.13 s of ~2 s of CPU
(issue 16). Both calls only relink lists. Runs overlap (a worker's mailboxes): the first in
freezes, the last out unfreezes; garbage cycles among the frozen objects wait for it.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_paused = 0  # pauses in progress
_resume = False  # whether the last pause out enables the collector again
_runs = 0  # runs in progress with the heap before them frozen


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


@contextmanager
def heap_frozen() -> Iterator[None]:
    """The objects that exist on entry left out of cyclic collections until the last
    overlapping block ends (they are collected as usual after it)."""
    global _runs
    with _lock:
        if _runs == 0:
            gc.freeze()
        _runs += 1
    try:
        yield
    finally:
        with _lock:
            _runs -= 1
            if _runs == 0:
                gc.unfreeze()
