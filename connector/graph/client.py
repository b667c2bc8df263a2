"""The Graph client, built from `[graph]` settings: credentials, cloud, base URL, middleware.

- Credentials (`connector/graph/credentials.py`): `ClientSecretCredential` or
  `CertificateCredential` (azure-identity, async), or, for emulators on a loopback address
  only, a fixed bearer token (`static_token`). An emulator's own token endpoint is reached by
  the same azure-identity credential through `authority` (+ `ca_file`). One client holds one
  credential and one HTTP pool: a worker keeps its client for its lifetime
  (`connector/realtime/graph_session.py`), so tokens are reused until they near expiry.
- Tokens go to Graph hosts only: the auth provider gets explicit `https://<host>/.default`
  scopes and an allow-list of host names (a request anywhere else goes out unauthenticated).
- The SDK's RetryHandler is left out of the middleware: `connector/retry.py` is the one
  place that retries, so nothing is retried twice and Retry-After ≥ 180 s is honoured.
- Requests are built by the SDK's request builders and sent through its request adapter
  (auth, redirects, telemetry); the raw response comes back (`NativeResponseHandler`) and is
  decoded at the stream boundary — the SDK's model parsing is ~200× slower (docs/sync.md).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from azure.core.exceptions import ClientAuthenticationError
from kiota_abstractions.authentication import AuthenticationProvider
from kiota_abstractions.native_response_handler import NativeResponseHandler
from kiota_abstractions.request_information import RequestInformation
from kiota_abstractions.request_option import RequestOption
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from kiota_http.kiota_client_factory import KiotaClientFactory
from kiota_http.middleware import RetryHandler
from kiota_http.middleware.options.response_handler_option import ResponseHandlerOption
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.graph_request_adapter import options as GRAPH_DEFAULT_OPTIONS
from msgraph_core import GraphClientFactory

from connector.errors import GraphError, classify_transport, error_from_response
from connector.graph.credentials import SharedCredential, make_credential, refusal
from connector.graph.credentials import StaticTokenCredential as StaticTokenCredential
from connector.graph.permissions import (
    UNKNOWN,
    Permissions,
    WhenPermitted,
    permissions_from_token,
)
from connector.settings import ConfigError, GraphSettings

# `cloud` → (Graph host, Entra ID authority host).
CLOUDS: dict[str, tuple[str, str]] = {
    "global": ("graph.microsoft.com", "login.microsoftonline.com"),
    "usgov": ("graph.microsoft.us", "login.microsoftonline.us"),
    "usgov-dod": ("dod-graph.microsoft.us", "login.microsoftonline.us"),
    "china": ("microsoftgraph.chinacloudapi.cn", "login.chinacloudapi.cn"),
}
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
TIMEOUT = httpx.Timeout(60.0, connect=15.0)


@dataclass(frozen=True)
class Endpoint:
    base_url: str  # no trailing slash, e.g. https://graph.microsoft.com/v1.0
    scope: str  # https://<graph host>/.default
    allowed_hosts: tuple[str, ...]
    authority: str  # a host (login.microsoftonline.com) or an emulator's https URL
    ca_file: str | None = None  # an emulator's CA, trusted for base_url and authority


def endpoint_for(graph: GraphSettings) -> Endpoint:
    """Where requests go and which hosts may see a token, from `cloud`, `base_url` and,
    for emulators, `static_token`, `authority` and `ca_file`."""
    if graph.cloud not in CLOUDS:
        raise ConfigError(f"[graph] cloud = {graph.cloud!r}: expected one of {', '.join(CLOUDS)}")
    host, authority = CLOUDS[graph.cloud]
    base = (graph.base_url or f"https://{host}/v1.0").rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"[graph] base_url = {graph.base_url!r} is not an http(s) URL")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK:
        raise ConfigError("[graph] base_url may use http:// only on a loopback address")
    allowed = (host,)
    if graph.static_token or graph.authority:
        if parts.hostname not in LOOPBACK:
            key = "static_token" if graph.static_token else "authority"
            raise ConfigError(f"[graph] {key} is for emulators: base_url must be on "
                              "127.0.0.1 / localhost")  # fmt: skip
        allowed = (parts.hostname,)
    if graph.authority:
        authority = _emulator_authority(graph)
    return Endpoint(base, f"https://{host}/.default", allowed, authority, _ca_file(graph))


def _emulator_authority(graph: GraphSettings) -> str:
    if graph.static_token:
        raise ConfigError("[graph] static_token and authority exclude each other: an emulator "
                          "is reached with either a fixed token or its token endpoint")
    parts = urlsplit(graph.authority)
    if parts.scheme != "https" or parts.hostname not in LOOPBACK:
        raise ConfigError(f"[graph] authority = {graph.authority!r}: an emulator's https:// URL "
                          "on 127.0.0.1 / localhost (azure-identity accepts https only)")
    return graph.authority.rstrip("/")


def _ca_file(graph: GraphSettings) -> str | None:
    if not graph.ca_file:
        return None
    if not graph.authority:
        raise ConfigError("[graph] ca_file is for an emulator's https: set authority too")
    if not Path(graph.ca_file).is_file():
        raise ConfigError(f"[graph] ca_file = {graph.ca_file!r}: no such file")
    return graph.ca_file


def _http_client(base_url: str, ca_file: str | None) -> httpx.AsyncClient:
    """httpx with Graph's default middleware minus RetryHandler (we retry in one place)."""
    options: dict[str, RequestOption] = dict(GRAPH_DEFAULT_OPTIONS)
    middleware = [
        m for m in KiotaClientFactory.get_default_middleware(options)
        if not isinstance(m, RetryHandler)
    ]  # fmt: skip
    middleware.append(GraphClientFactory._get_telemetry_handler(options))
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=32)
    verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=ca_file) if ca_file else True
    client = httpx.AsyncClient(base_url=base_url, timeout=TIMEOUT, limits=limits, verify=verify)
    return GraphClientFactory.create_with_custom_middleware(middleware, client=client)


class GraphClient:
    """The SDK client plus a `send` that returns raw bytes or raises a classified error.

    One HTTP pool and one credential. `permissions` are those of the token the client uses
    (its `roles` claim), read when the first request is sent (`resolve_permissions`) and
    again when the credential hands out a new token; None until then.
    """

    def __init__(
        self, auth: AuthenticationProvider, endpoint: Endpoint, credential: SharedCredential,
    ) -> None:  # fmt: skip
        self.credential = credential
        self._scope = endpoint.scope
        # A token is asked for only when it would be sent (the base URL's host is allowed).
        self._uses_token = urlsplit(endpoint.base_url).hostname in endpoint.allowed_hosts
        self.permissions: Permissions | None = None
        self._permissions_of = ""  # the token `permissions` were read from
        self.http = _http_client(endpoint.base_url, endpoint.ca_file)
        self.adapter = GraphRequestAdapter(auth, client=self.http)
        self.adapter.base_url = endpoint.base_url
        self.sdk = GraphServiceClient(request_adapter=self.adapter)

    async def resolve_permissions(self) -> Permissions:
        """The app's permissions, from the `roles` of the token its credential gives. Asked
        as the SDK's auth provider asks (CAE on), so both use one cached token."""
        if not self._uses_token:
            self.permissions = UNKNOWN
            return self.permissions
        token = (await self.credential.get_token(self._scope, enable_cae=True)).token
        if self.permissions is None or token != self._permissions_of:
            self.permissions, self._permissions_of = permissions_from_token(token), token
        return self.permissions

    async def send(self, info: RequestInformation, what: str) -> bytes:
        """Send one request; 2xx → the body, else a `GraphError` classified by the table
        (a refused token request by `TOKEN_ACTIONS`)."""
        try:
            return await self._send(info, what)
        except ClientAuthenticationError as exc:
            raise refusal(exc, what) from None

    async def _send(self, info: RequestInformation, what: str) -> bytes:
        deferred = info.request_options.get(WhenPermitted.KEY)
        if isinstance(deferred, WhenPermitted):
            deferred.apply(info, await self.resolve_permissions())
        info.add_request_options([ResponseHandlerOption(NativeResponseHandler())])
        try:
            response: httpx.Response = await self.adapter.send_primitive_async(info, "bytes", {})
        except httpx.TransportError as exc:
            kind = type(exc).__name__
            raise GraphError(classify_transport(exc), f"{what}: {kind} {exc}".strip()) from None
        if response.is_success:
            return response.content
        headers = {k.lower(): v for k, v in response.headers.items()}
        raise error_from_response(response.status_code, headers, response.content, what)

    @property
    def refused(self) -> GraphError | None:
        """Why Entra ID refused this client's credential for good (then every request
        fails the same way, with no new token request); None otherwise."""
        refused = self.credential.refused
        return None if refused is None else refusal(refused, "Graph credential")

    async def close(self) -> None:
        """Close the HTTP pool and the credential's transport."""
        try:
            await self.http.aclose()
        finally:
            await self.credential.close()


def build_client(graph: GraphSettings) -> GraphClient:
    """A `GraphClient` for the configured cloud, base URL and credentials."""
    endpoint = endpoint_for(graph)
    credential = SharedCredential(make_credential(graph, endpoint.authority, endpoint.ca_file))
    auth = AzureIdentityAuthenticationProvider(
        credential, scopes=[endpoint.scope], allowed_hosts=list(endpoint.allowed_hosts)
    )
    return GraphClient(auth, endpoint, credential)
