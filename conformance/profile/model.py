"""The profile as the rest of the suite sees it: frozen dataclasses, and the error of a wrong file.

A :class:`Profile` holds one deployment under test (``docs/profiles.md``): its server endpoints,
the template every dynamic client inherits, the main clients and the optional clients, and the
``[claims]`` of optional behaviour. :class:`ProfileError` lists every problem found in a file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.vocabulary import DCRM_SCOPE, MTLS_METHODS

# -- the profile -------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class ClientConfig:
    """A main client, the introspector, the unlisted or the management client (its repr hides the secret)."""

    label: str
    client_id: str
    auth_method: str
    client_secret: str | None = None  # secret methods and client_secret_jwt
    certificate: Path | None = None  # mTLS
    private_key: Path | None = None  # mTLS key (PEM) or private_key_jwt key (PEM or JWK JSON)
    other_certificate: Path | None = None  # mTLS: same CA, another subject DN (wrong-DN negative)
    other_private_key: Path | None = None
    # mTLS: a certificate the server must refuse for this client (tls_client_auth: the client's
    # subject DN from a CA the server does not trust). Optional: the suite forges one otherwise.
    untrusted_certificate: Path | None = None
    untrusted_private_key: Path | None = None
    alg: str | None = None  # private_key_jwt: ES256/RS256/PS256; client_secret_jwt: HS256
    kid: str | None = None

    def __repr__(self) -> str:
        parts = [f"label={self.label!r}", f"client_id={self.client_id!r}", f"auth_method={self.auth_method!r}"]
        if self.client_secret is not None:
            parts.append("client_secret=<hidden>")
        for name in ("certificate", "private_key", "other_certificate", "other_private_key",
                     "untrusted_certificate", "untrusted_private_key", "alg", "kid"):
            value = getattr(self, name)
            if value is not None:
                parts.append(f"{name}={str(value)!r}")
        return f"ClientConfig({', '.join(parts)})"


@dataclass(frozen=True)
class ServerSection:
    issuer: str | None = None
    token_endpoint: str | None = None
    registration_endpoint: str | None = None
    revocation_endpoint: str | None = None
    introspection_endpoint: str | None = None
    mtls_token_endpoint: str | None = None
    resource_url: str | None = None
    ca_bundle: Path | None = None
    timeout_s: float = 10.0


@dataclass(frozen=True)
class TemplateSection:
    """What every dynamic client must inherit. ``None``: not declared, so not compared.

    ``software_id`` None: the profile declares no template (a plain RFC 7591 server), so the
    template-shape checks are not claimed. ``token_endpoint_auth_methods``: the methods the
    template lets a client choose among (RFC 7591 §2: the client may request one); empty when
    the template fixes ``token_endpoint_auth_method``.
    """

    software_id: str | None = None
    scope: str | None = None
    grant_types: tuple[str, ...] | None = None
    token_endpoint_auth_method: str = "client_secret_basic"  # RFC 7591 §2 default
    unauthorized_software_id: str | None = None
    redirect_uris: tuple[str, ...] | None = None
    response_types: tuple[str, ...] | None = None
    token_endpoint_auth_methods: tuple[str, ...] = ()

    @property
    def declared(self) -> bool:
        """The profile names a template (``[template] software_id``)."""
        return self.software_id is not None

    @property
    def allowed_auth_methods(self) -> tuple[str, ...]:
        """The methods a dynamic client of this template may have."""
        return self.token_endpoint_auth_methods or (self.token_endpoint_auth_method,)


#: ``[registration]`` keys that are RFC 7591 §2 client metadata members, sent as given.
REGISTRATION_MEMBERS = ("redirect_uris", "grant_types", "response_types", "token_endpoint_auth_method", "scope",
                        "client_name", "client_uri", "logo_uri", "tos_uri", "policy_uri", "contacts",
                        "software_version", "token_endpoint_auth_signing_alg")


@dataclass(frozen=True)
class RegistrationSection:
    """What the app sends in its registration request besides ``software_id`` (``[registration]``,
    RFC 7591 §2 client metadata). ``None``: not sent. ``device_jwks``: a fresh key per registration,
    its public JWK sent as ``jwks`` (always so for ``private_key_jwt``). ``extensions``: other
    members (e.g. ``dpop_bound_access_tokens``, RFC 9449 §5.2), sent as given."""

    redirect_uris: tuple[str, ...] | None = None
    grant_types: tuple[str, ...] | None = None
    response_types: tuple[str, ...] | None = None
    token_endpoint_auth_method: str | None = None
    scope: str | None = None
    client_name: str | None = None
    client_uri: str | None = None
    logo_uri: str | None = None
    tos_uri: str | None = None
    policy_uri: str | None = None
    contacts: tuple[str, ...] | None = None
    software_version: str | None = None
    token_endpoint_auth_signing_alg: str | None = None
    device_jwks: bool = False
    extensions: tuple[tuple[str, Any], ...] = ()

    def members(self) -> dict[str, Any]:
        """The JSON members the app sends (``jwks`` apart: it is generated per registration)."""
        body: dict[str, Any] = {}
        for name in REGISTRATION_MEMBERS:
            value = getattr(self, name)
            if value is not None:
                body[name] = list(value) if isinstance(value, tuple) else value
        body.update(dict(self.extensions))
        return body


@dataclass(frozen=True)
class UseSection:
    scope: str | None = None  # default: the template's scope
    dpop: bool = False
    resource_url: str | None = None  # from [use] or [server]


@dataclass(frozen=True)
class Claims:
    """Optional behaviours the deployment claims (``[claims]``)."""

    registration_management: bool = True
    rotates_credentials_on_read: bool = False
    initial_token_single_use: bool = True
    initial_token_ttl_s: int = 300
    revocation: bool = False
    introspection: bool = False
    deleted_client_tokens_inactive: bool = True
    jwt_replay_rejected: bool = True
    # OpenID Connect Core §9 client authentication: jti REQUIRED, so an assertion without one sent
    # twice is a replay too (RFC 7523 §3 alone makes jti a MAY: then it is not)
    oidc_client_authentication: bool = False
    dpop_nonce: bool = False
    resource_dpop_nonce: bool = False  # RFC 9449 §9 nonces at [use] resource_url
    main_client_requires_attestation: bool = False  # the main clients get the [use] scope only with attestation
    management_clients: bool = False  # Curity management-clients: a [management_client] gets dcrm tokens
    registration_token_read_write_ttl_s: int | None = None  # Curity read-write-ttl: older RATs may only DELETE
    code_flow: bool = False  # the HAAPI code flow and refresh tokens of [code_flow] (DCR-USE-012)
    refresh_token_dpop_bound: bool = False  # refresh tokens bound to the DPoP key (Curity; RFC 9449 §5)
    dcr_graphql_status: bool = False  # Curity's DCR GraphQL API sets a client's status (needs [management_client])


@dataclass(frozen=True)
class GraphqlSection:
    """Curity's DCR management GraphQL API (``[graphql]``). The status mutation
    is found by schema introspection; the three names override that where it is ambiguous."""

    endpoint: str | None = None  # default: registration_endpoint + "/graphql"
    scope: str = DCRM_SCOPE  # of the [management_client]'s token
    status_mutation: str | None = None
    client_id_argument: str | None = None  # inside the mutation's input object, or a direct argument
    status_argument: str | None = None


@dataclass(frozen=True, repr=False)
class CodeFlowSection:
    """The HAAPI code flow (``[code_flow]``): where it starts and what its forms are filled with."""

    authorization_endpoint: str | None = None  # None: from the metadata (RFC 8414 discovery)
    redirect_uri: str | None = None  # default: the template's first redirect URI
    scope: str = "openid"
    fields: dict[str, str] = field(default_factory=dict, compare=False)  # form field -> value (secrets)

    def __repr__(self) -> str:
        return (f"CodeFlowSection(authorization_endpoint={self.authorization_endpoint!r}, "
                f"redirect_uri={self.redirect_uri!r}, scope={self.scope!r}, fields={sorted(self.fields)})")


@dataclass(frozen=True)
class Profile:
    name: str
    path: Path
    server: ServerSection
    template: TemplateSection
    main_clients: dict[str, ClientConfig]
    registration: RegistrationSection = field(default_factory=RegistrationSection)
    introspector: ClientConfig | None = None
    unlisted_client: ClientConfig | None = None
    management_client: ClientConfig | None = None  # its dcrm token manages any dynamic client
    use: UseSection = field(default_factory=UseSection)
    claims: Claims = field(default_factory=Claims)
    code_flow: CodeFlowSection = field(default_factory=CodeFlowSection)
    graphql: GraphqlSection = field(default_factory=GraphqlSection)
    warnings: tuple[str, ...] = ()
    secret_values: tuple[str, ...] = field(default=(), repr=False, compare=False)

    def secrets(self) -> list[str]:
        """Every secret value the profile holds (client secrets, private key texts), for redaction."""
        return list(self.secret_values)

    @property
    def dynamic_auth_method(self) -> str:
        """How a dynamic client authenticates: the method the registration asks for, else the
        template's, else ``client_secret_basic`` (RFC 7591 §2 default)."""
        return self.registration.token_endpoint_auth_method or self.template.token_endpoint_auth_method

    @property
    def sends_device_jwks(self) -> bool:
        """A fresh per-device key goes with every registration (``jwks``, RFC 7591 §2)."""
        return self.registration.device_jwks or self.dynamic_auth_method == "private_key_jwt"

    def token_endpoint_for(self, client: ClientConfig | Any) -> str:
        """The token endpoint a client posts to: the mTLS alias for mTLS clients (RFC 8705 §5)."""
        mtls = getattr(client, "auth_method", None) in MTLS_METHODS
        endpoint = (self.server.mtls_token_endpoint if mtls else None) or self.server.token_endpoint
        if endpoint is None:
            raise ValueError(f"profile {self.name!r} has no token_endpoint yet: run discover() first")
        return endpoint

    @property
    def graphql_endpoint(self) -> str | None:
        """``[graphql] endpoint``, else the ``/graphql`` sub-path of the registration endpoint."""
        registration = self.server.registration_endpoint
        return self.graphql.endpoint or (registration.rstrip("/") + "/graphql" if registration else None)

    @property
    def needs_discovery(self) -> bool:
        s = self.server
        return s.issuer is not None and (s.token_endpoint is None or s.registration_endpoint is None)


# -- errors ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileProblem:
    file: Path
    key: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.message}" if self.key else f"{self.file}: {self.message}"


class ProfileError(Exception):
    """A profile is wrong. ``problems`` lists every mistake found in the file."""

    def __init__(
        self,
        file: Path | str,
        key: str | None = None,
        message: str | None = None,
        *,
        problems: list[ProfileProblem] | None = None,
    ) -> None:
        self.problems = list(problems or [ProfileProblem(Path(file), key, message or "invalid")])
        first = self.problems[0]
        self.file, self.key, self.message = first.file, first.key, first.message
        super().__init__(str(self))

    def __str__(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        lines = [f"{self.file}: {len(self.problems)} problems:"]
        lines += [f"  {p.key}: {p.message}" if p.key else f"  {p.message}" for p in self.problems]
        return "\n".join(lines)
