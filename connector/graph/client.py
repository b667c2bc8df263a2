"""The Graph client, built from `[graph]` settings: credentials, cloud, base URL, middleware.

- Credentials: `ClientSecretCredential` or `CertificateCredential` (azure-identity, async),
  or, for emulators on a loopback address only, a fixed bearer token (`static_token`).
- Tokens go to Graph hosts only: the auth provider gets explicit `https://<host>/.default`
  scopes and an allow-list of host names (a request anywhere else goes out unauthenticated).
- The SDK's RetryHandler is left out of the middleware: `connector/retry.py` is the one
  place that retries, so nothing is retried twice and Retry-After ≥ 180 s is honoured.
- Requests are built by the SDK's request builders and sent through its request adapter
  (auth, redirects, telemetry); the raw response comes back (`NativeResponseHandler`) and is
  decoded at the stream boundary — the SDK's model parsing is ~200× slower (docs/sync.md).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from azure.core.credentials import AccessToken
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


class StaticTokenCredential:
    """An async TokenCredential that always returns one fixed token (emulators only)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "StaticTokenCredential('***')"

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self._token, int(time.time()) + 3600)

    async def close(self) -> None:
        return None


@dataclass(frozen=True)
class Endpoint:
    base_url: str  # no trailing slash, e.g. https://graph.microsoft.com/v1.0
    scope: str  # https://<graph host>/.default
    allowed_hosts: tuple[str, ...]
    authority: str


def endpoint_for(graph: GraphSettings) -> Endpoint:
    """Where requests go and which hosts may see a token, from `cloud` and `base_url`."""
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
    if graph.static_token:
        if parts.hostname not in LOOPBACK:
            raise ConfigError("[graph] static_token is for emulators on 127.0.0.1 / localhost only")
        allowed = (parts.hostname,)
    return Endpoint(base, f"https://{host}/.default", allowed, authority)


def make_credential(graph: GraphSettings, authority: str) -> Any:
    """The async azure-identity credential (or the static one) the settings ask for."""
    if graph.static_token:
        return StaticTokenCredential(graph.static_token.value)
    if not graph.tenant_id or not graph.client_id:
        raise ConfigError("[graph] needs tenant_id and client_id (or static_token for an emulator)")
    from azure.identity.aio import CertificateCredential, ClientSecretCredential

    if graph.certificate_path:
        return CertificateCredential(
            graph.tenant_id, graph.client_id, certificate_path=graph.certificate_path,
            authority=authority,
        )  # fmt: skip
    if not graph.client_secret:
        raise ConfigError(
            "[graph] needs client_secret (or $INTERLOG_GRAPH_CLIENT_SECRET) or certificate_path"
        )
    return ClientSecretCredential(
        graph.tenant_id, graph.client_id, graph.client_secret.value, authority=authority
    )


def _http_client(base_url: str) -> httpx.AsyncClient:
    """httpx with Graph's default middleware minus RetryHandler (we retry in one place)."""
    options: dict[str, RequestOption] = dict(GRAPH_DEFAULT_OPTIONS)
    middleware = [
        m for m in KiotaClientFactory.get_default_middleware(options)
        if not isinstance(m, RetryHandler)
    ]  # fmt: skip
    middleware.append(GraphClientFactory._get_telemetry_handler(options))
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=32)
    client = httpx.AsyncClient(base_url=base_url, timeout=TIMEOUT, limits=limits)
    return GraphClientFactory.create_with_custom_middleware(middleware, client=client)


class GraphClient:
    """The SDK client plus a `send` that returns raw bytes or raises a classified error.

    `permissions` are those of the token the client uses (its `roles` claim), read when the
    first request is sent (`resolve_permissions`); None until then.
    """

    def __init__(
        self, auth: AuthenticationProvider, base_url: str, credential: Any,
        scope: str = "", token_hosts: tuple[str, ...] = (),
    ) -> None:  # fmt: skip
        self._credential = credential
        self._scope = scope
        # A token is asked for only when it would be sent (the base URL's host is allowed).
        self._uses_token = bool(scope) and urlsplit(base_url).hostname in token_hosts
        self.permissions: Permissions | None = None
        self.http = _http_client(base_url)
        self.adapter = GraphRequestAdapter(auth, client=self.http)
        self.adapter.base_url = base_url
        self.sdk = GraphServiceClient(request_adapter=self.adapter)

    async def resolve_permissions(self) -> Permissions:
        """The app's permissions, from the `roles` of the token its credential gives (the
        credential caches the token, so the request that follows reuses it)."""
        if self.permissions is None:
            if not self._uses_token:
                self.permissions = UNKNOWN
            else:
                token = await self._credential.get_token(self._scope)
                self.permissions = permissions_from_token(token.token)
        return self.permissions

    async def send(self, info: RequestInformation, what: str) -> bytes:
        """Send one request; 2xx → the body, else a `GraphError` classified by the table."""
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

    async def close(self) -> None:
        await self.http.aclose()
        await self._credential.close()


def build_client(graph: GraphSettings) -> GraphClient:
    """A `GraphClient` for the configured cloud, base URL and credentials."""
    endpoint = endpoint_for(graph)
    credential = make_credential(graph, endpoint.authority)
    auth = AzureIdentityAuthenticationProvider(
        credential, scopes=[endpoint.scope], allowed_hosts=list(endpoint.allowed_hosts)
    )
    return GraphClient(
        auth, endpoint.base_url, credential, endpoint.scope, endpoint.allowed_hosts
    )
