"""Run the emulator in-process: uvicorn on a free port in a daemon thread (https with
`tls=True`: a certificate from a throw-away CA, `emu.ca_file`, see `emulator/tls.py`)."""

from __future__ import annotations

import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn

from .app import Emulator
from .calls import CallLog
from .settings import EmulatorSettings
from .state import Store
from .tenant import Tenant
from .tls import make_tls


def _listen(host: str, port: int) -> socket.socket:
    """A socket bound to host:port (0: a free port), for uvicorn to serve on."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    return sock


def _wait_started(server: uvicorn.Server, thread: threading.Thread, timeout: float) -> None:
    """Return once `server` accepts connections; RuntimeError when it does not in time."""
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("the Graph emulator did not start")
        time.sleep(0.01)  # polling a flag with a deadline


class EmulatorServer:
    """A running emulator; use as a context manager (`with EmulatorServer.start(...) as emu`)."""

    def __init__(
        self, emulator: Emulator, server: uvicorn.Server, thread: threading.Thread, url: str,
        tls_dir: Path | None = None,
    ):  # fmt: skip
        self.emulator = emulator
        self._server = server
        self._thread = thread
        self._tls_dir = tls_dir
        self.url = url
        self.base_url = f"{url}/v1.0"
        # Entra ID's authority as azure-identity takes it (`authority=`): https only.
        self.authority = url if tls_dir is not None else None
        self.ca_file = str(tls_dir / "ca.pem") if tls_dir is not None else None

    @property
    def state(self) -> Store:
        """The store: add/update/delete messages and events, faults, counters, tokens."""
        return self.emulator.store

    @property
    def calls(self) -> CallLog:
        """The call records and PSTN call log (`emulator/calls.py`): add, update."""
        return self.emulator.calls

    def fire_lifecycle(self, subscription_id: str, event: str) -> None:
        """Send a lifecycle event: reauthorizationRequired, subscriptionRemoved or missed."""
        self.emulator.subscriptions.lifecycle(subscription_id, event)

    @classmethod
    def start(
        cls,
        tenant: Tenant | dict[str, Any] | str | Path,
        *,
        settings: EmulatorSettings | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        ready_timeout: float = 20.0,
        tls: bool = False,
    ) -> EmulatorServer:
        """Start serving; returns once the server accepts connections. With `tls`, over
        https: `authority` is then what azure-identity can be pointed at, `ca_file` the CA
        certificate a client must trust.

        Raises:
            ValueError: for a bad tenant.
            RuntimeError: when the server does not come up within ``ready_timeout``.
        """
        emulator = Emulator(
            tenant if not isinstance(tenant, Path) else str(tenant), settings or EmulatorSettings()
        )
        sock = _listen(host, port)
        bound = sock.getsockname()[1]
        tls_dir = Path(tempfile.mkdtemp(prefix="graph-emulator-tls-")) if tls else None
        files = make_tls(tls_dir) if tls_dir is not None else None
        config = uvicorn.Config(
            emulator.app,
            log_level="warning",
            lifespan="off",
            access_log=False,
            timeout_keep_alive=30,
            ssl_certfile=str(files.cert_file) if files else None,
            ssl_keyfile=str(files.key_file) if files else None,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="graph-emulator", daemon=True
        )
        thread.start()
        _wait_started(server, thread, ready_timeout)
        shown = f"[{host}]" if ":" in host else host
        scheme = "https" if tls else "http"
        return cls(emulator, server, thread, f"{scheme}://{shown}:{bound}", tls_dir)

    def stop(self) -> None:
        """Stop serving and the notification thread."""
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self.emulator.subscriptions.notifier.stop()
        if self._tls_dir is not None:
            shutil.rmtree(self._tls_dir, ignore_errors=True)

    def __enter__(self) -> EmulatorServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
