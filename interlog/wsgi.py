"""The app on waitress: the one server `interlog serve` runs, and the same server in a
background thread, stopped cleanly (tests and benchmarks).

`create_server` is the only place waitress is configured, so what the tests run is what
production runs:

- `max_request_body_size`: waitress's default is 1 GiB, spooled to disk before the app can
  answer 413; a body above `MAX_REQUEST_BODY` is refused by waitress itself (413) as soon as
  its `Content-Length` is read, or as soon as a chunked body grows past it;
- `clear_untrusted_proxy_headers`: waitress deletes `X-Forwarded-*` and `Forwarded` before the
  app runs (no `trusted_proxy` is set). In development mode they are kept, so the
  development-mode check (`connector/surfaces.py`) sees a local proxy and refuses it.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import waitress
from waitress import wasyncore

# Above the app's largest accepted body (Graph notifications, 1 MB; pages and the bot take
# 256 KiB, the API 64 KiB), so each endpoint still answers its own 413 with its own message.
MAX_REQUEST_BODY = 2 * 1024 * 1024
DEVELOPMENT = "INTERLOG_DEVELOPMENT"  # app.config key: `allow_anonymous` is on somewhere


def is_development_app(app: Any) -> bool:
    """Whether `app` (built by `interlog.app.create_app`) runs in development mode."""
    config = getattr(app, "config", None)
    return bool(config.get(DEVELOPMENT)) if config is not None else False


def create_server(app: Any, *, host: str = "", port: int = 0, threads: int = 8,
                  development: bool | None = None, sock: socket.socket | None = None) -> Any:
    """A waitress server for `app` on `host:port`, or on the listening `sock` given (one
    worker of `interlog serve --processes N`, `interlog/prefork.py`); not yet running.

    `development` defaults to what the app says (`is_development_app`). Raises `OSError` or
    `ValueError` when it cannot listen (a port in use, a host that does not resolve).
    """
    if development is None:
        development = is_development_app(app)
    where: dict[str, Any] = {"sockets": [sock]} if sock is not None else {"host": host,
                                                                           "port": port}
    return waitress.create_server(
        app, **where, threads=threads,
        max_request_body_size=MAX_REQUEST_BODY,
        clear_untrusted_proxy_headers=not development,
    )


@contextmanager
def running(app: Any, *, host: str = "127.0.0.1", port: int = 0,
            threads: int = 8) -> Iterator[str]:
    """Serve `app` while the block runs; yields its base URL (`port=0` picks a free one)."""
    server = create_server(app, host=host, port=port, threads=threads)
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
