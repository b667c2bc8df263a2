"""Real servers on free loopback ports, in threads: a Flask app, or a tiny JSON server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server


class LiveApp:
    """A Flask app served by werkzeug on a free port, in a thread, until `stop()`."""

    def __init__(self, app: Flask, ssl_context: Any = None) -> None:
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True,
                                                  ssl_context=ssl_context)
        scheme = "https" if ssl_context else "http"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)


@contextmanager
def live_server(app: Flask, ssl_context: Any = None) -> Iterator[str]:
    """Serve `app` on a free loopback port in a thread; yields its base URL."""
    live = LiveApp(app, ssl_context)
    try:
        yield live.url
    finally:
        live.stop()


class JsonHandler(BaseHTTPRequestHandler):
    """A quiet handler that answers JSON (the local servers of the tests)."""

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Handler(JsonHandler):
    server: JsonServer

    def do_GET(self) -> None:
        body = self.server.routes.get(self.path)
        self._send(200 if body is not None else 404, body or {})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        payload = json.loads(self.rfile.read(length) or b"{}")
        self.server.posted.append((self.path, dict(self.headers.items()), payload))
        self._send(200, {"id": "reply-1"})

class JsonServer(ThreadingHTTPServer):
    """Serves `routes` (path → JSON body) to GET; records every POST in `posted`."""

    routes: dict[str, dict[str, Any]]
    posted: list[tuple[str, dict[str, str], dict[str, Any]]]


@contextmanager
def local_server(routes: dict[str, dict[str, Any]]) -> Iterator[JsonServer]:
    """A real HTTP server on 127.0.0.1: serves `routes` to GET, records every POST."""
    server = JsonServer(("127.0.0.1", 0), _Handler)
    server.routes = routes
    server.posted = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def base_url(server: JsonServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}"
