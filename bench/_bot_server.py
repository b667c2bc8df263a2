"""The bot benchmark's server: `interlog`'s app on waitress, in a process of its own.

`bench/bot_bench.py` starts it (with `PYTHONPATH` pointing at another checkout to measure
older code) and drives it from other processes. It seeds a throw-away database, publishes
its own OpenID metadata and signing key on a second local port (so `/api/messages` checks
real RS256 tokens, as in production), prints one JSON line `{"url", "token"}` and serves
until its stdin closes.

A WSGI wrapper times each `/api/messages` call inside the server (from the call to the last
byte of the body); `POST /__bench__/stats` returns those times and the process's CPU time
since the previous call, and starts again. Only APIs that existed before issue 16 are used.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

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
        if environ.get("PATH_INFO") == "/__bench__/stats":
            return self.stats(start_response)
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

    def stats(self, start_response: Callable[..., Any]) -> list[bytes]:
        with self.lock:
            times, self.times = self.times, []
            cpu, self.cpu = time.process_time() - self.cpu, time.process_time()
        body = json.dumps({"times_s": times, "cpu_s": cpu}).encode()
        start_response("200 OK", [("Content-Type", "application/json"),
                                  ("Content-Length", str(len(body)))])
        return [body]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True, help="a database URL (empty: seeded here)")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--pool", type=int, default=0, help="PostgreSQL pool size (0: default)")
    args = parser.parse_args()

    import logging

    from interlog.app import create_app
    from interlog.config import settings_from_dict
    from interlog.wsgi import create_server
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

    app = Timed(create_app(settings, engine=engine, token_source=fake_token_source))
    server = create_server(app, host="127.0.0.1", port=0, threads=args.threads)
    threading.Thread(target=server.run, daemon=True).start()
    print(json.dumps({"url": f"http://127.0.0.1:{server.effective_port}", "token": token(key),
                      "service_url": SERVICE_URL, "aad": AAD, "contacts": CONTACTS}),
          flush=True)
    sys.stdin.read()  # until the benchmark closes our stdin (or ends)


if __name__ == "__main__":
    main()
