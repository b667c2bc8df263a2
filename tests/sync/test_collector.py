"""The garbage collector paused while a page is written (`connector/sync/collector.py`)."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from connector.sync import collector


@pytest.fixture
def enabled() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_pauses_nest_across_threads_and_the_last_one_out_resumes(enabled: None) -> None:
    inside, leave = threading.Event(), threading.Event()

    def other_page() -> None:
        with collector.paused():
            inside.set()
            leave.wait(timeout=30)

    thread = threading.Thread(target=other_page)
    with collector.paused():
        thread.start()
        assert inside.wait(timeout=30)
        assert not gc.isenabled()
    assert not gc.isenabled()  # the other thread's page is still being written
    leave.set()
    thread.join(timeout=30)
    assert gc.isenabled()


def test_it_resumes_after_a_failure_and_leaves_a_disabled_collector_disabled(
    enabled: None,
) -> None:
    with pytest.raises(RuntimeError, match="page failed"), collector.paused():
        raise RuntimeError("page failed")
    assert gc.isenabled()
    gc.disable()
    with collector.paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_a_run_freezes_the_heap_before_it_and_the_last_run_out_unfreezes_it() -> None:
    assert gc.get_freeze_count() == 0
    inside, leave = threading.Event(), threading.Event()

    def other_run() -> None:
        with collector.heap_frozen():
            inside.set()
            leave.wait(timeout=30)

    thread = threading.Thread(target=other_run)
    with collector.heap_frozen():
        frozen = gc.get_freeze_count()
        assert frozen > 0
        thread.start()
        assert inside.wait(timeout=30)
        # The second run freezes nothing more (frozen objects freed meanwhile leave the count).
        assert gc.get_freeze_count() <= frozen
    assert gc.get_freeze_count() > 0  # the other run is still going
    leave.set()
    thread.join(timeout=30)
    assert gc.get_freeze_count() == 0


def test_a_failed_run_unfreezes_the_heap() -> None:
    with pytest.raises(RuntimeError, match="run failed"), collector.heap_frozen():
        raise RuntimeError("run failed")
    assert gc.get_freeze_count() == 0
