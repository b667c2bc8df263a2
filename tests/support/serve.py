"""`interlog serve` itself, as a process on a free loopback port, and raw HTTP to it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
INTERLOG = Path(sys.executable).with_name("interlog")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env() -> dict[str, str]:
    """The test's environment without interlog settings; the working tree on the path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTERLOG_")}
    env["PYTHONPATH"] = str(ROOT)
    return env


def _wait_healthy(url: str, process: subprocess.Popen[bytes], deadline_s: float) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(process.stderr.read().decode())  # type: ignore[union-attr]
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)  # polling with a deadline: the process is starting
    raise AssertionError(f"{url} did not become healthy in {deadline_s} s")


@contextmanager
def interlog_serve(config_text: str, workdir: Path) -> Iterator[str]:
    """Run `interlog --config … serve` with `config_text` until the block ends; yields its URL."""
    config = workdir / "interlog.toml"
    config.write_text(config_text)
    port = free_port()
    process = subprocess.Popen(
        [str(INTERLOG), "--config", str(config), "serve", "--port", str(port), "--threads", "4"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=clean_env(), cwd=workdir)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, process, 60)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def raw_status(url: str, request: bytes, *, timeout: float = 20) -> tuple[int, bytes]:
    """Send `request` bytes as they are; the answer's status code and everything read."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as conn:
        conn.sendall(request)
        reader = conn.makefile("rb")
        status = reader.readline()
        rest = reader.read()
    return int(status.split()[1]), status + rest
