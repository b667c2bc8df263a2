"""The app on waitress in a background thread, stopped cleanly (tests and benchmarks)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import waitress
from waitress import wasyncore


@contextmanager
def running(app: Any, *, host: str = "127.0.0.1", port: int = 0,
            threads: int = 8) -> Iterator[str]:
    """Serve `app` while the block runs; yields its base URL (`port=0` picks a free one)."""
    server: Any = waitress.create_server(app, host=host, port=port, threads=threads)
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.effective_port}"
    finally:
        # Close every socket from inside the server's own loop, which then ends. The loop may
        # run the thunk (closing the trigger's pipe) before `pull_trigger` writes to that pipe,
        # when a response has just woken it: the write's EBADF then means it is done already.
        with suppress(OSError):
            server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        thread.join(timeout=10)
        server.task_dispatcher.shutdown()
