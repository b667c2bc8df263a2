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
