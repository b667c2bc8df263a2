"""A tiny OpenID Connect provider over HTTPS (self-signed) for the sign-in tests.

It serves discovery, an authorize endpoint that signs in whoever the test chose (no
login form), and a token endpoint that returns an ID token with the nonce MSAL sent.
MSAL reaches it with `requests`, which trusts the certificate through REQUESTS_CA_BUNDLE.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Flask, jsonify, redirect, request
from werkzeug.wrappers import Response

from tests.support.servers import live_server

TENANT = "tenant-x"


@dataclass
class FakeIdp:
    base: str
    ca_file: Path
    account: dict[str, Any] = field(default_factory=dict)  # claims for the next sign-in
    nonces: dict[str, str] = field(default_factory=dict)  # code -> nonce
    token_requests: int = 0

    @property
    def authority(self) -> str:
        return f"{self.base}/{TENANT}/v2.0"


def _self_signed(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = directory / "idp.pem", directory / "idp.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def _jwt(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.sig"


def _app(idp: FakeIdp) -> Flask:
    app = Flask("fake-idp")

    @app.get(f"/{TENANT}/v2.0/.well-known/openid-configuration")
    def discovery() -> Response:
        return jsonify({"issuer": idp.authority,
                        "authorization_endpoint": f"{idp.base}/{TENANT}/authorize",
                        "token_endpoint": f"{idp.base}/{TENANT}/token"})

    @app.get(f"/{TENANT}/authorize")
    def authorize() -> Response:
        code = f"code-{len(idp.nonces)}"
        idp.nonces[code] = request.args.get("nonce", "")
        query = urlencode({"code": code, "state": request.args["state"]})
        return redirect(f"{request.args['redirect_uri']}?{query}")

    @app.post(f"/{TENANT}/token")
    def token() -> Response:
        idp.token_requests += 1
        nonce = idp.nonces.pop(request.form.get("code", ""), None)
        if nonce is None:
            return jsonify({"error": "invalid_grant"}), 400  # type: ignore[return-value]
        now = int(time.time())
        claims = {"iss": idp.authority, "iat": now, "nbf": now, "exp": now + 3600,
                  "nonce": nonce, "tid": TENANT, "sub": "subject", **idp.account}
        return jsonify({"access_token": "at", "token_type": "Bearer", "expires_in": 3600,
                        "id_token": _jwt(claims)})

    return app


@contextmanager
def fake_idp(directory: Path) -> Iterator[FakeIdp]:
    """The provider on a free port, its certificate and key written into `directory`."""
    cert_file, key_file = _self_signed(directory)
    idp = FakeIdp(base="", ca_file=cert_file)
    with live_server(_app(idp), ssl_context=(str(cert_file), str(key_file))) as base:
        idp.base = base
        yield idp
