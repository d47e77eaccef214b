"""What the reference server is configured with: endpoints, settings, clients and templates.

The configured (non-dynamic) clients mirror a Curity deployment of the DCR fallback
(docs/profiles.md): one main client per authentication method of RFC 6749 §2.3.1, RFC 7523 and
RFC 8705, an introspector, an ``unlisted`` client that no template names, ``other-app``, the
only client named by ``other-template``, and ``dcr-manager``, a management client (Curity
``management-clients``, a Curity extension) whose ``dcrm`` tokens manage every dynamic client.
Secrets are derived from the PKI's seed, so a restart on the same PKI directory keeps them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field, replace

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ..pki import TestPKI
from ..vocabulary import DCRM_SCOPE, HAAPI_SCOPE
from .jose import load_public_pem

MAIN_SCOPES = ("openid",)
TEST_USER = "demo-user"  # the one user of the HAAPI login (password derived from the PKI seed)

JWT_SIGNING_ALGS = ("ES256", "RS256", "PS256", "HS256")
DPOP_ALGS = ("ES256", "RS256", "PS256")

TOKEN_PATH = "/oauth/v2/oauth-token"
REGISTRATION_PATH = "/token-service/oauth-registration"
REVOCATION_PATH = "/oauth/v2/oauth-revoke"
INTROSPECTION_PATH = "/oauth/v2/oauth-introspect"
RESOURCE_PATH = "/api/resource"
AUTHORIZE_PATH = "/oauth/v2/oauth-authorize"  # HAAPI: the authorization endpoint as an API
AUTHN_PATH = "/authn/authenticate/html-form"  # HAAPI: the username/password authenticator
METADATA_PATHS = ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration")
JWKS_PATH = "/oauth/v2/oauth-anonymous/jwks"  # RFC 8414 §2 jwks_uri (Curity's path)


@dataclass(frozen=True)
class Settings:
    """Server behaviour switches and limits (all times in seconds)."""

    rotate_on_read: bool = True  # RFC 7592 §2.1 MAY; Curity's default (reuse=false)
    dpop_nonce: bool = True  # RFC 9449 §8 server nonces
    initial_token_ttl_s: int = 300
    access_token_ttl_s: int = 300
    registration_token_ttl_s: int = 31_536_000  # Curity default: 365 days
    # Curity registration-token/read-write-ttl: an older RAT may only DELETE (default 28 days).
    registration_token_read_write_ttl_s: int = 2_419_200
    assertion_max_lifetime_s: int = 600  # RFC 7523 §3 item 4: exp too far ahead is refused
    clock_skew_s: int = 30
    dpop_iat_window_s: int = 60
    dpop_nonce_ttl_s: int = 300
    authorization_code_ttl_s: int = 60  # RFC 6749 §4.1.2: short-lived (10 min at most)
    login_transaction_ttl_s: int = 300  # an authorization request waiting for the user
    refresh_token_ttl_s: int = 3600
    max_body_bytes: int = 65_536
    io_timeout_s: float = 10.0  # per socket operation: handshake, request read, idle keep-alive


@dataclass(frozen=True)
class ConfiguredClient:
    """A client of the configuration (not dynamically registered)."""

    label: str
    client_id: str
    auth_method: str
    role: str = "main"  # main | introspector | unlisted | other | management
    secret: str | None = None
    public_key: object | None = None  # private_key_jwt
    alg: str | None = None
    kid: str | None = None
    subject: x509.Name | None = None  # tls_client_auth: the expected subject DN
    pinned_cert_der: bytes | None = None  # self_signed_tls_client_auth
    scopes: tuple[str, ...] = MAIN_SCOPES
    # Scopes granted only with client attestation, which this server never receives: the HAAPI
    # scope of an attestation-configured main client (Curity's DCR fallback; DCR-USE-009).
    attested_scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Template:
    """A DCR template client (Curity ``dynamic-client-registration-template``); for a server
    without templates, the policy every registration meets (``ServerConfig.open_registration``)."""

    software_id: str
    scope: str
    grant_types: tuple[str, ...]
    response_types: tuple[str, ...]
    redirect_uris: tuple[str, ...]
    token_endpoint_auth_method: str
    authenticate_client_by: tuple[str, ...]
    requires_dpop: bool = True
    device_keys: bool = False  # BYOK: the device registers jwks and uses private_key_jwt

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope.split())


@dataclass
class ServerConfig:
    base_url: str
    settings: Settings
    clients: dict[str, ConfiguredClient] = field(default_factory=dict)
    templates: dict[str, Template] = field(default_factory=dict)
    default_template: str = "haapi-template"
    users: dict[str, str] = field(default_factory=dict)  # the HAAPI login: username -> password
    # A server without templates (plain RFC 7591, :mod:`.open_registration`): what it supports,
    # which clients may get dcr; None = templatized registration from ``templates``.
    open_registration: Template | None = None

    @property
    def authorization_endpoint(self) -> str:
        return self.base_url + AUTHORIZE_PATH

    @property
    def issuer(self) -> str:
        return self.base_url

    @property
    def token_endpoint(self) -> str:
        return self.base_url + TOKEN_PATH

    @property
    def registration_endpoint(self) -> str:
        return self.base_url + REGISTRATION_PATH

    @property
    def revocation_endpoint(self) -> str:
        return self.base_url + REVOCATION_PATH

    @property
    def introspection_endpoint(self) -> str:
        return self.base_url + INTROSPECTION_PATH

    @property
    def resource_url(self) -> str:
        return self.base_url + RESOURCE_PATH

    def main_clients(self) -> list[ConfiguredClient]:
        return [c for c in self.clients.values() if c.role == "main"]

    def client_by_label(self, label: str) -> ConfiguredClient:
        for client in self.clients.values():
            if client.label == label:
                return client
        raise KeyError(label)

    def templates_naming(self, client_id: str) -> list[Template]:
        policies = [*self.templates.values(), *([self.open_registration] if self.open_registration else [])]
        return [t for t in policies if client_id in t.authenticate_client_by]

    def template_of(self, client) -> Template | None:
        """What a registered client's template (or, without templates, the policy) says of it."""
        if self.open_registration is None:
            return self.templates.get(client.software_id)
        return client_policy(self.open_registration, client.metadata)


def client_policy(policy: Template, metadata: dict) -> Template:
    """A server without templates: its policy as it applies to one client (whose registered
    method decides whether it holds a secret or its device's keys)."""
    method = metadata.get("token_endpoint_auth_method", "client_secret_basic")
    return replace(policy, software_id=metadata.get("software_id", ""), token_endpoint_auth_method=method,
                   device_keys=method == "private_key_jwt")


def _secret(seed: bytes, label: str, special: bool = False) -> str:
    raw = hmac.new(seed, f"client-secret:{label}".encode(), hashlib.sha256).digest()
    secret = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    # Characters that RFC 6749 App. B form-encoding changes (DCR-TOK-003).
    return secret + ":+%/ &=" if special else secret


def _cert(path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def build_config(pki: TestPKI, base_url: str, settings: Settings, *, templates: bool = True) -> ServerConfig:
    """The reference deployment: main clients for all six methods, three templates; or, with
    ``templates=False``, no template and open RFC 7591 registration for the main clients' dcr tokens."""
    seed = pki.seed()
    open_registration = not templates

    clients = [
        ConfiguredClient("basic", "main-basic", "client_secret_basic",
                         secret=_secret(seed, "basic", special=True)),
        ConfiguredClient("post", "main-post", "client_secret_post", secret=_secret(seed, "post")),
        ConfiguredClient("hs256", "main-hs256", "client_secret_jwt", alg="HS256",
                         secret=_secret(seed, "hs256")),
    ]
    for alg in ("ES256", "RS256", "PS256"):
        _, public = pki.jwt_key(alg)
        clients.append(ConfiguredClient(alg.lower(), f"main-{alg.lower()}", "private_key_jwt",
                                        public_key=load_public_pem(public.read_bytes()),
                                        alg=alg, kid=f"main-{alg.lower()}-key"))
    clients += [
        ConfiguredClient("mtls", "main-mtls", "tls_client_auth",
                         subject=_cert(pki.client_cert).subject),
        ConfiguredClient("selfsigned", "main-selfsigned", "self_signed_tls_client_auth",
                         pinned_cert_der=_cert(pki.self_signed_cert).public_bytes(
                             serialization.Encoding.DER)),
        ConfiguredClient("introspector", "introspector", "client_secret_basic", role="introspector",
                         secret=_secret(seed, "introspector")),
        ConfiguredClient("unlisted", "unlisted-client", "client_secret_basic", role="unlisted",
                         secret=_secret(seed, "unlisted")),
        ConfiguredClient("other", "other-app", "client_secret_basic", role="other",
                         secret=_secret(seed, "other")),
        ConfiguredClient("manager", "dcr-manager", "client_secret_basic", role="management",
                         secret=_secret(seed, "manager"), scopes=(DCRM_SCOPE,)),
    ]
    clients = [replace(c, attested_scopes=(HAAPI_SCOPE,)) if c.role == "main" else c for c in clients]
    by_id = {c.client_id: c for c in clients}
    main_ids = tuple(c.client_id for c in clients if c.role == "main")
    # The HAAPI client of Curity's DCR fallback: client_credentials for its HAAPI token, the code
    # flow (with refresh) for the user's tokens, openid as the user's scope (the HAAPI code flow, docs/sdk.md).
    common = dict(scope=f"{HAAPI_SCOPE} openid", response_types=("code",),
                  grant_types=("authorization_code", "client_credentials", "refresh_token"),
                  redirect_uris=("https://app.example/callback", "com.example.app:/callback"))
    templates = [
        Template("haapi-template", token_endpoint_auth_method="client_secret_basic",
                 authenticate_client_by=main_ids, **common),
        Template("haapi-byok-template", token_endpoint_auth_method="private_key_jwt",
                 authenticate_client_by=main_ids, device_keys=True, **common),
        Template("other-template", token_endpoint_auth_method="client_secret_basic",
                 authenticate_client_by=("other-app",), **common),
    ]
    users = {TEST_USER: _secret(seed, f"user:{TEST_USER}")}
    if open_registration:
        policy = Template("", token_endpoint_auth_method="client_secret_basic", authenticate_client_by=main_ids,
                          **{**common, "redirect_uris": ()})
        return ServerConfig(base_url=base_url, settings=settings, clients=by_id, users=users,
                            open_registration=policy)
    return ServerConfig(base_url=base_url, settings=settings, clients=by_id,
                        templates={t.software_id: t for t in templates}, users=users)
