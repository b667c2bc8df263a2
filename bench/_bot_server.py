"""The bot benchmark's server: `interlog`'s app on waitress, in a process of its own.

`bench/bot_bench.py` starts it (with `PYTHONPATH` pointing at another checkout to measure
older code) and drives it from other processes. It seeds a throw-away database, publishes
its own OpenID metadata and signing key on a second local port (so `/api/messages` checks
real RS256 tokens, as in production), prints one JSON line `{"url", "token"}` and serves
until its stdin closes.

A WSGI wrapper times each `/api/messages` call inside the server (from the call to the last
byte of the body). A line `stats` on stdin answers, on stdout, one JSON line with those times
and the CPU time of the process (or of each worker) since the previous `stats`, and starts
again. Only APIs that existed before issue 16 are used, except with `--processes N` (N > 1):
the workers of `interlog serve --processes N` (`interlog/prefork.py`), each answering
`stats` through a file and a pipe when the parent sends it SIGUSR1.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

CONTACTS = 200
AAD = "aad-bench"
APP_ID = "bench-0000-0000-0000-000000000000"
ISSUER = "https://api.botframework.com"
SERVICE_URL = "https://smba.trafficmanager.net/emea/"
KID = "bench-key"


def seed(engine: Engine) -> None:
    from storage.contacts import fold
    from storage.db import upgrade
    from storage.models import Contact, ContactEmail, User
    from storage.seed import seed_defaults

    upgrade(engine)
    with Session(engine) as session, session.begin():
        seed_defaults(session)
        session.add(User(upn="bench@contoso.com", salesperson_code="BE", aad_object_id=AAD))
        for n in range(CONTACTS):
            contact = Contact(no=f"B{n:05d}", type="person", name=f"Bench Person {n}",
                              search_name=fold(f"Bench Person {n}"))
            contact.emails.append(ContactEmail(address=f"p{n}@bench.example"))
            session.add(contact)


def openid_server(key: rsa.RSAPrivateKey) -> tuple[ThreadingHTTPServer, str]:
    """OpenID metadata and a JWKS with `key`'s public half, on a free loopback port."""
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update(kid=KID, use="sig", alg="RS256", endorsements=["msteams"])
    documents: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            data = documents.get(self.path)
            self.send_response(200 if data else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(data or b"{}")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    root = f"http://127.0.0.1:{server.server_address[1]}"
    documents["/openid"] = json.dumps({"issuer": ISSUER, "jwks_uri": f"{root}/keys"}).encode()
    documents["/keys"] = json.dumps({"keys": [jwk]}).encode()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"{root}/openid"


def token(key: rsa.RSAPrivateKey) -> str:
    """A Bot Connector token for the bench app, valid for the run (Teams reuses one ~1 h)."""
    now = int(time.time())
    claims = {"aud": APP_ID, "iss": ISSUER, "nbf": now - 10, "iat": now - 10,
              "exp": now + 3600, "serviceurl": SERVICE_URL}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KID})


class Timed:
    """WSGI wrapper: the time each bot call spends in the server, and a stats endpoint."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.times: list[float] = []
        self.lock = threading.Lock()
        self.cpu = time.process_time()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        started = time.perf_counter()
        result = self.app(environ, start_response)
        try:
            chunks = list(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        elapsed = time.perf_counter() - started
        with self.lock:
            self.times.append(elapsed)
        return chunks

    def take(self) -> dict[str, Any]:
        """The times and CPU seconds since the previous call (and the writers' lock's)."""
        with self.lock:
            times, self.times = self.times, []
            cpu, self.cpu = time.process_time() - self.cpu, time.process_time()
        return {"times_s": times, "cpu_s": cpu, "writer_lock": WriterLockTimes.take()}


class WriterLockTimes:
    """How long SQLite's bot writers hold `bot.writer_lock.WriterLock` (wall and the holding
    thread's CPU), where that module exists: what a second process cannot run beside."""

    held: ClassVar[list[tuple[float, float]]] = []

    @classmethod
    def install(cls) -> None:
        try:
            from bot.writer_lock import WriterLock
        except ImportError:
            return
        enter, leave = WriterLock.__enter__, WriterLock.__exit__
        since = threading.local()

        def timed_enter(lock: Any) -> Any:
            entered = enter(lock)
            since.at = (time.perf_counter(), time.thread_time())
            return entered

        def timed_exit(lock: Any, *exc: Any) -> None:
            wall, cpu = since.at
            cls.held.append((time.perf_counter() - wall, time.thread_time() - cpu))
            leave(lock, *exc)

        WriterLock.__enter__ = timed_enter  # type: ignore[method-assign]
        WriterLock.__exit__ = timed_exit  # type: ignore[method-assign]

    @classmethod
    def take(cls) -> list[tuple[float, float]]:
        held, cls.held = cls.held, []
        return held


def serve_here(app: Timed, threads: int) -> None:
    """One process (as `interlog serve`): waitress threads here, `stats` read here."""
    from interlog.wsgi import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=threads)
    threading.Thread(target=server.run, daemon=True).start()
    announce(server.effective_port)
    for _ in sys.stdin:  # each line: `stats`
        print(json.dumps(app.take()), flush=True)


def serve_forked(app: Timed, engine: Engine, threads: int, processes: int) -> None:
    """`interlog serve --processes N`'s workers; `stats` gathered from each (SIGUSR1)."""
    import os
    import signal
    import tempfile

    from interlog import prefork

    sock = prefork.listen("127.0.0.1", 0)
    folder = tempfile.mkdtemp(prefix="botbench-")
    done_r, done_w = os.pipe()

    def dump(signum: int, frame: Any) -> None:  # in a worker's main thread
        path = f"{folder}/{os.getpid()}.json"
        with open(path + ".tmp", "w") as out:
            json.dump(app.take(), out)
        os.replace(path + ".tmp", path)
        os.write(done_w, b"x")

    def in_worker() -> None:
        app.take()
        signal.signal(signal.SIGUSR1, dump)

    signal.signal(signal.SIGUSR1, signal.SIG_IGN)  # until a worker's handler is in place
    workers = prefork.workers(app, engine, sock, threads=threads, processes=processes,
                              say=lambda line: None, in_worker=in_worker)

    def control() -> None:
        for _ in sys.stdin:
            pids = list(workers.started)
            for pid in pids:
                os.kill(pid, signal.SIGUSR1)
            for _ in pids:
                os.read(done_r, 1)
            parts = []
            for pid in pids:
                with open(f"{folder}/{pid}.json") as found:
                    parts.append(json.load(found))
            print(json.dumps({"times_s": [t for p in parts for t in p["times_s"]],
                              "cpu_s": sum(p["cpu_s"] for p in parts),
                              "writer_lock": [h for p in parts for h in p["writer_lock"]],
                              "per_process": [len(p["times_s"]) for p in parts]}), flush=True)
        os.kill(os.getpid(), signal.SIGTERM)  # stdin closed: stop the workers

    announce(sock.getsockname()[1])
    threading.Thread(target=control, daemon=True).start()
    workers.run()


ANNOUNCE: dict[str, Any] = {}


def announce(port: int) -> None:
    print(json.dumps({"url": f"http://127.0.0.1:{port}", **ANNOUNCE}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True, help="a database URL (empty: seeded here)")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--pool", type=int, default=0, help="PostgreSQL pool size (0: default)")
    parser.add_argument("--processes", type=int, default=1,
                        help="as `interlog serve --processes N` (the new code only)")
    args = parser.parse_args()

    import logging

    from interlog.app import create_app
    from interlog.config import settings_from_dict
    from storage.db import make_engine

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "task queue depth" notes
    pool = {"pool_size": args.pool, "max_overflow": 4} if args.pool else {}
    engine = make_engine(args.db, **pool)
    seed(engine)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _, openid_url = openid_server(key)
    settings = settings_from_dict({"bot": {"app_id": APP_ID, "openid_metadata_url": openid_url}},
                                  env={})

    async def fake_token_source(resource: str, scopes: list[str]) -> str:
        return "bench-bot-token"

    WriterLockTimes.install()
    app = Timed(create_app(settings, engine=engine, token_source=fake_token_source))
    ANNOUNCE.update(token=token(key), service_url=SERVICE_URL, aad=AAD, contacts=CONTACTS)
    if args.processes == 1:
        serve_here(app, args.threads)
    else:
        serve_forked(app, engine, args.threads, args.processes)


if __name__ == "__main__":
    main()
