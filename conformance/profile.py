"""Profiles: one TOML file per deployment under test (contract: ``docs/profiles.md``).

:func:`load_profile` reads and checks a profile before any request is made. Every mistake in a
file is collected and reported together as one :class:`ProfileError`; each problem names the
file, the dotted key (``main_clients.jwt.alg``) and the fix. ``${VAR}`` in any string value is
read from the environment (``$${`` gives a literal ``${``); paths are relative to the profile
file. Endpoints may be omitted when ``server.issuer`` is given: they are discovered at run time
(RFC 8414, ``conformance.client.discovery.discover``).

This module is shared by the client, the checks and the reference server, so it depends on
nothing else in the package but ``conformance.vocabulary``.
"""

from __future__ import annotations

import difflib
import functools
import json
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from conformance.vocabulary import (AUTH_METHODS, DCRM_SCOPE, DYNAMIC_AUTH_METHODS, JWT_METHODS, MTLS_METHODS,
                                    SHARED_SECRET_METHODS)

PRIVATE_KEY_JWT_ALGS = ("ES256", "RS256", "PS256")
CLIENT_SECRET_JWT_ALGS = ("HS256",)
_LABEL = re.compile(r"^[A-Za-z0-9_.-]+$")
_VAR = re.compile(r"\$\$\{|\$\{([^}]*)\}?")
_VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_GRAPHQL_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")  # GraphQL spec §2.1.9 Name


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
    """What every dynamic client must inherit. ``None``: not declared, so not compared."""

    software_id: str
    scope: str | None = None
    grant_types: tuple[str, ...] | None = None
    token_endpoint_auth_method: str = "client_secret_basic"  # RFC 7591 §2 default
    unauthorized_software_id: str | None = None
    redirect_uris: tuple[str, ...] | None = None
    response_types: tuple[str, ...] | None = None


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
    """Curity's DCR management GraphQL API (``[graphql]``, protocol.md §5.3). The status mutation
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


# -- schema ------------------------------------------------------------------------------------

# key -> (kind, example used in "expected ..." messages)
_TOP = {
    "name": ("string", 'name = "staging"'),
    "server": ("table", "[server]"),
    "template": ("table", "[template]"),
    "main_clients": ("table", "[main_clients.secret]"),
    "use": ("table", "[use]"),
    "claims": ("table", "[claims]"),
    "introspector": ("table", "[introspector]"),
    "unlisted_client": ("table", "[unlisted_client]"),
    "management_client": ("table", "[management_client]"),
    "code_flow": ("table", "[code_flow]"),
    "graphql": ("table", "[graphql]"),
}
_SERVER = {
    "issuer": ("url", 'issuer = "https://idsvr.example/oauth/v2/oauth-anonymous"'),
    "token_endpoint": ("url", 'token_endpoint = "https://idsvr.example/oauth/v2/oauth-token"'),
    "registration_endpoint": (
        "url",
        'registration_endpoint = "https://idsvr.example/token-service/oauth-registration"',
    ),
    "revocation_endpoint": ("url", 'revocation_endpoint = "https://idsvr.example/oauth/v2/oauth-revoke"'),
    "introspection_endpoint": ("url", 'introspection_endpoint = "https://idsvr.example/oauth/v2/oauth-introspect"'),
    "mtls_token_endpoint": ("url", 'mtls_token_endpoint = "https://mtls.idsvr.example/oauth/v2/oauth-token"'),
    "resource_url": ("url", 'resource_url = "https://idsvr.example/api/resource"'),
    "ca_bundle": ("path", 'ca_bundle = "certs/ca.pem"'),
    "timeout_s": ("number", "timeout_s = 10"),
}
_TEMPLATE = {
    "software_id": ("string", 'software_id = "haapi-template"'),
    "scope": ("string", 'scope = "urn:se:curity:scopes:haapi"'),
    "grant_types": ("strings", 'grant_types = ["client_credentials"]'),
    "token_endpoint_auth_method": ("string", 'token_endpoint_auth_method = "client_secret_basic"'),
    "unauthorized_software_id": ("string", 'unauthorized_software_id = "other-template"'),
    "redirect_uris": ("strings", 'redirect_uris = ["app:/callback"]'),
    "response_types": ("strings", 'response_types = ["code"]'),
}
_CLIENT = {
    "client_id": ("string", 'client_id = "main-secret"'),
    "auth_method": ("string", 'auth_method = "client_secret_basic"'),
    "client_secret": ("string", 'client_secret = "${MAIN_SECRET}"'),
    "client_secret_file": ("path", 'client_secret_file = "secrets/main.txt"'),
    "certificate": ("path", 'certificate = "certs/main-mtls.pem"'),
    "private_key": ("path", 'private_key = "certs/main-mtls.key"'),
    "other_certificate": ("path", 'other_certificate = "certs/other-dn.pem"'),
    "other_private_key": ("path", 'other_private_key = "certs/other-dn.key"'),
    "untrusted_certificate": ("path", 'untrusted_certificate = "certs/rogue-ca-same-dn.pem"'),
    "untrusted_private_key": ("path", 'untrusted_private_key = "certs/rogue-ca-same-dn.key"'),
    "alg": ("string", 'alg = "ES256"'),
    "kid": ("string", 'kid = "key-1"'),
}
_USE = {
    "scope": ("string", 'scope = "urn:se:curity:scopes:haapi"'),
    "dpop": ("boolean", "dpop = true"),
    "resource_url": ("url", 'resource_url = "https://idsvr.example/api/resource"'),
}
_CODE_FLOW = {
    "authorization_endpoint": ("url", 'authorization_endpoint = "https://idsvr.example/oauth/v2/oauth-authorize"'),
    "redirect_uri": ("string", 'redirect_uri = "app:/callback"'),
    "scope": ("string", 'scope = "openid"'),
    "fields": ("table", '[code_flow.fields] userName = "${TEST_USER}"'),
    "field_files": ("table", '[code_flow.field_files] password = "secrets/user-password.txt"'),
}
_GRAPHQL = {
    "endpoint": ("url", 'endpoint = "https://idsvr.example/token-service/oauth-registration/graphql"'),
    "scope": ("string", 'scope = "dcrm"'),
    "status_mutation": ("string", 'status_mutation = "setDynamicallyRegisteredClientStatusById"'),
    "client_id_argument": ("string", 'client_id_argument = "clientId"'),
    "status_argument": ("string", 'status_argument = "status"'),
}
_CLAIMS = {name: ("boolean", f"{name} = true") for name in Claims.__dataclass_fields__}
_CLAIMS["initial_token_ttl_s"] = ("integer", "initial_token_ttl_s = 300")
_CLAIMS["registration_token_read_write_ttl_s"] = ("integer", "registration_token_read_write_ttl_s = 2419200")

_EXPECTED = {
    "string": "a string",
    "url": "an https:// URL string",
    "path": "a file path string (relative to the profile)",
    "number": "a number",
    "integer": "an integer",
    "boolean": "true or false",
    "strings": "an array of strings",
    "table": "a table",
}


def _toml_type(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"


# -- loading -----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _load_pem_private_key(data: bytes) -> Any:
    """A PEM private key, parsed once per run (RSA key validation costs tens of milliseconds)."""
    return serialization.load_pem_private_key(data, password=None)


def load_profile(path: str | Path) -> Profile:
    """Read and check a profile. Raises :class:`ProfileError` listing every problem found."""
    return _Loader(Path(path)).load()


class _Loader:
    def __init__(self, path: Path) -> None:
        self.file = path
        self.path = path.expanduser().resolve()
        self.dir = self.path.parent
        self.problems: list[ProfileProblem] = []
        self.warnings: list[str] = []
        self.secrets: list[str] = []
        self.suggested: set[str] = set()  # dotted keys offered as "did you mean"

    def error(self, key: str | None, message: str) -> None:
        if message.startswith("missing") and key in self.suggested:
            return  # already reported as the misspelt key that was meant
        self.problems.append(ProfileProblem(self.file, key, message))

    def load(self) -> Profile:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ProfileError(self.file, None, f"profile file not found ({self.path})") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ProfileError(self.file, None, f"cannot read the profile: {exc}") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ProfileError(self.file, None, f"not valid TOML: {exc}") from None

        self.check_keys(data, "", _TOP)
        name = self.get(data, "", "name", _TOP) or self.path.stem
        server = self.server(self.table(data, "server", required=True))
        template = self.template(self.table(data, "template", required=True))
        clients = self.main_clients(data)
        introspector = self.client(self.table(data, "introspector"), "introspector", "introspector")
        unlisted = self.client(self.table(data, "unlisted_client"), "unlisted_client", "unlisted_client")
        manager = self.client(self.table(data, "management_client"), "management_client", "management_client")
        use = self.use(self.table(data, "use"), template, server)
        claims = self.claims(self.table(data, "claims"))
        code_flow = self.code_flow(self.table(data, "code_flow"), template, server, claims)
        graphql = self.graphql(self.table(data, "graphql"))
        if server is not None:
            server = replace(server, resource_url=use.resource_url)
            self.cross_checks(server, claims, clients, introspector, unlisted, manager)
        if self.problems:
            raise ProfileError(self.file, problems=self.problems)
        assert server is not None and template is not None
        return Profile(
            name=name,
            path=self.path,
            server=server,
            template=template,
            main_clients=clients,
            introspector=introspector,
            unlisted_client=unlisted,
            management_client=manager,
            use=use,
            claims=claims,
            code_flow=code_flow,
            graphql=graphql,
            warnings=tuple(self.warnings),
            secret_values=tuple(dict.fromkeys(self.secrets)),
        )

    # -- generic readers -----------------------------------------------------------------------

    def check_keys(self, table: Mapping[str, Any], prefix: str, schema: Mapping[str, Any]) -> None:
        for key in table:
            if key in schema:
                continue
            dotted = f"{prefix}.{key}" if prefix else key
            close = difflib.get_close_matches(key, list(schema), n=1, cutoff=0.6)
            if close:
                self.error(dotted, f"unknown key; did you mean {close[0]!r}?")
                self.suggested.add(f"{prefix}.{close[0]}" if prefix else close[0])
            else:
                self.error(dotted, f"unknown key; known keys here: {', '.join(schema)}")

    def table(self, data: Mapping[str, Any], key: str, *, required: bool = False) -> dict[str, Any] | None:
        value = data.get(key)
        if value is None:
            if required:
                self.error(key, f"missing; add a {_TOP[key][1]} table")
            return None
        if not isinstance(value, dict):
            self.error(key, f"expected a table ({_TOP[key][1]}), got {_toml_type(value)}")
            return None
        return value

    def get(
        self, table: Mapping[str, Any], prefix: str, key: str, schema: Mapping[str, Any], *, required: bool = False
    ) -> Any:
        """A checked, ``${VAR}``-expanded value, or None (with a problem recorded when wrong)."""
        dotted = f"{prefix}.{key}" if prefix else key
        kind, example = schema[key]
        if key not in table:
            if required:
                self.error(dotted, f"missing; add {example}")
            return None
        value = table[key]
        ok = {
            "string": isinstance(value, str),
            "url": isinstance(value, str),
            "path": isinstance(value, str),
            "number": isinstance(value, (int, float)) and not isinstance(value, bool),
            "integer": isinstance(value, int) and not isinstance(value, bool),
            "boolean": isinstance(value, bool),
            "strings": isinstance(value, list) and all(isinstance(v, str) for v in value),
        }[kind]
        if not ok:
            self.error(dotted, f"expected {_EXPECTED[kind]}, got {_toml_type(value)}; e.g. {example}")
            return None
        if kind == "strings":
            expanded = [self.expand(v, dotted) for v in value]
            return None if any(v is None for v in expanded) else tuple(expanded)
        if kind in ("string", "url", "path"):
            value = self.expand(value, dotted)
            if value is None:
                return None
            if kind == "url":
                return self.url(value, dotted)
            if kind == "path":
                return self.file_path(value, dotted)
        return value

    def expand(self, raw: str, dotted: str) -> str | None:
        """``${VAR}`` from the environment; ``$${`` is a literal ``${``."""
        failed = False

        def sub(match: re.Match[str]) -> str:
            nonlocal failed
            if match.group(0) == "$${":
                return "${"
            name = match.group(1)
            if not match.group(0).endswith("}") or not _VAR_NAME.match(name or ""):
                self.error(
                    dotted,
                    "malformed ${...} reference; "
                    "write ${NAME} (letters, digits, _), or $${ for a literal ${",
                )
                failed = True
                return ""
            if name not in os.environ:
                hint = " or use client_secret_file" if dotted.endswith(".client_secret") else ""
                self.error(dotted, f"environment variable {name} is not set; export it before the run{hint}")
                failed = True
                return ""
            return os.environ[name]

        value = _VAR.sub(sub, raw)
        return None if failed else value

    def url(self, value: str, dotted: str) -> str | None:
        parts = urlsplit(value)
        if parts.scheme.lower() != "https" or not parts.netloc:
            self.error(
                dotted,
                "must be an absolute https:// URL (OAuth endpoints require TLS, RFC 6749 §3.1-3.2); "
                f"got {value!r}",
            )
            return None
        return value

    def file_path(self, value: str, dotted: str) -> Path | None:
        path = Path(value).expanduser()
        path = path if path.is_absolute() else (self.dir / path)
        if not path.is_file():
            self.error(
                dotted,
                f"file not found: {path} (relative paths start at the profile's directory {self.dir})",
            )
            return None
        return path

    # -- sections ------------------------------------------------------------------------------

    def server(self, tbl: dict[str, Any] | None) -> ServerSection | None:
        if tbl is None:
            return None
        self.check_keys(tbl, "server", _SERVER)
        values = {k: self.get(tbl, "server", k, _SERVER) for k in _SERVER if k in tbl}
        if "timeout_s" in values and values["timeout_s"] is not None and values["timeout_s"] <= 0:
            self.error("server.timeout_s", "must be a positive number of seconds; e.g. timeout_s = 10")
            values["timeout_s"] = None
        elif values.get("timeout_s") is not None:
            values["timeout_s"] = float(values["timeout_s"])
        if values.get("ca_bundle") is not None:
            self.certificates(values["ca_bundle"], "server.ca_bundle")
        if "issuer" not in tbl:
            for key in ("token_endpoint", "registration_endpoint"):
                if key not in tbl:
                    self.error(
                        f"server.{key}",
                        "missing; "
                        f"add {_SERVER[key][1]}, or set server.issuer to discover it (RFC 8414)",
                    )
        return ServerSection(**{k: v for k, v in values.items() if v is not None})

    def template(self, tbl: dict[str, Any] | None) -> TemplateSection | None:
        if tbl is None:
            return None
        self.check_keys(tbl, "template", _TEMPLATE)
        values = {k: self.get(tbl, "template", k, _TEMPLATE, required=(k == "software_id")) for k in _TEMPLATE}
        method = values.get("token_endpoint_auth_method")
        if method is not None and method not in DYNAMIC_AUTH_METHODS:
            self.error(
                "template.token_endpoint_auth_method",
                f"unsupported {method!r}; "
                f"use one of: {', '.join(DYNAMIC_AUTH_METHODS)}",
            )
            values["token_endpoint_auth_method"] = None
        if values.get("unauthorized_software_id") and values["unauthorized_software_id"] == values.get("software_id"):
            self.error(
                "template.unauthorized_software_id",
                "equals template.software_id; "
                "name a template that does not authorise the main clients",
            )
        if values.get("software_id") is None:
            return None
        return TemplateSection(**{k: v for k, v in values.items() if v is not None})

    def main_clients(self, data: Mapping[str, Any]) -> dict[str, ClientConfig]:
        tbl = self.table(data, "main_clients", required=True)
        if tbl is None:
            return {}
        if not tbl:
            self.error("main_clients", "no main client; add at least one [main_clients.<label>] table")
        clients = {}
        for label, entry in tbl.items():
            prefix = f"main_clients.{label}"
            if not _LABEL.match(label):
                self.error(
                    prefix,
                    "labels may use letters, digits, '_', '-' and '.' only (they appear in test ids)",
                )
            if not isinstance(entry, dict):
                self.error(prefix, f"expected a table [{prefix}], got {_toml_type(entry)}")
                continue
            client = self.client(entry, prefix, label)
            if client is not None:
                clients[label] = client
        return clients

    def client(self, tbl: dict[str, Any] | None, prefix: str, label: str) -> ClientConfig | None:
        if tbl is None:
            return None
        self.check_keys(tbl, prefix, _CLIENT)
        count = len(self.problems)
        v = {k: self.get(tbl, prefix, k, _CLIENT, required=k in ("client_id", "auth_method")) for k in _CLIENT}
        method = v["auth_method"]
        if method is not None and method not in AUTH_METHODS:
            close = difflib.get_close_matches(method, AUTH_METHODS, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            self.error(
                f"{prefix}.auth_method",
                f"unsupported {method!r}; "
                f"{hint}supported: {', '.join(AUTH_METHODS)}",
            )
            method = None

        secret = self.client_secret(tbl, prefix, v)
        if method is not None:
            self.check_method(tbl, prefix, method)
        alg, kid = v["alg"], v["kid"]
        if method == "private_key_jwt" and v["private_key"] is not None:
            alg, kid = self.jwt_key(prefix, v["private_key"], alg, kid, "alg" in tbl)
        elif method == "private_key_jwt" and alg is not None and alg not in PRIVATE_KEY_JWT_ALGS:
            self.error(
                f"{prefix}.alg",
                f"{alg!r} is not supported for private_key_jwt; "
                f"use one of: {', '.join(PRIVATE_KEY_JWT_ALGS)}",
            )
        elif method == "client_secret_jwt":
            alg = alg or "HS256"
            if alg not in CLIENT_SECRET_JWT_ALGS:
                self.error(f"{prefix}.alg", f"{alg!r} is not supported for client_secret_jwt; use HS256")
            elif secret is not None and len(secret.encode("utf-8")) < 32:
                self.warnings.append(
                    f"{self.file}: {prefix}.client_secret: the secret is shorter than 32 bytes; "
                    "RFC 7518 §3.2 requires an HS256 key of at least 256 bits, so servers may reject it"
                )
        elif method in MTLS_METHODS:
            self.tls_pair(prefix, "certificate", "private_key", v)
            self.tls_pair(prefix, "other_certificate", "other_private_key", v)
            self.tls_pair(prefix, "untrusted_certificate", "untrusted_private_key", v)

        if len(self.problems) > count or method is None:
            return None
        return ClientConfig(
            label=label,
            client_id=v["client_id"],
            auth_method=method,
            client_secret=secret,
            certificate=v["certificate"],
            private_key=v["private_key"],
            other_certificate=v["other_certificate"],
            other_private_key=v["other_private_key"],
            untrusted_certificate=v.get("untrusted_certificate"),
            untrusted_private_key=v.get("untrusted_private_key"),
            alg=alg,
            kid=kid,
        )

    def client_secret(self, tbl: Mapping[str, Any], prefix: str, v: dict[str, Any]) -> str | None:
        if "client_secret" in tbl and "client_secret_file" in tbl:
            self.error(
                f"{prefix}.client_secret_file",
                "give either client_secret or client_secret_file, not both",
            )
            return None
        if v["client_secret"] is not None:
            raw = tbl["client_secret"]
            if not re.fullmatch(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}", raw):
                self.warnings.append(
                    f"{self.file}: {prefix}.client_secret: a literal secret is stored in the profile; "
                    f'prefer client_secret = "${{VARIABLE}}" or client_secret_file'
                )
            if not v["client_secret"]:
                self.error(f"{prefix}.client_secret", "is empty; give the client's secret")
                return None
            self.secrets.append(v["client_secret"])
            return v["client_secret"]
        if v["client_secret_file"] is not None:
            try:
                secret = v["client_secret_file"].read_text(encoding="utf-8").rstrip("\r\n")
            except (OSError, UnicodeDecodeError) as exc:
                self.error(
                    f"{prefix}.client_secret_file",
                    f"cannot read {v['client_secret_file']}: {exc.__class__.__name__}",
                )
                return None
            if not secret:
                self.error(
                    f"{prefix}.client_secret_file",
                    f"{v['client_secret_file']} is empty; "
                    "write the secret into it",
                )
                return None
            self.secrets.append(secret)
            return secret
        return None

    def check_method(self, tbl: Mapping[str, Any], prefix: str, method: str) -> None:
        has_secret = "client_secret" in tbl or "client_secret_file" in tbl
        needs_secret = method in SHARED_SECRET_METHODS
        if needs_secret and not has_secret:
            self.error(
                f"{prefix}.client_secret",
                'missing; '
                f'{method} needs the client\'s secret: client_secret = "${{VARIABLE}}" or client_secret_file = "path"',
            )
        if not needs_secret and has_secret:
            key = "client_secret" if "client_secret" in tbl else "client_secret_file"
            self.error(f"{prefix}.{key}", f"{method} does not use a client secret; remove it")
        if method in MTLS_METHODS:
            for key in ("certificate", "private_key"):
                if key not in tbl:
                    self.error(
                        f"{prefix}.{key}",
                        "missing; "
                        f"{method} needs the client certificate and its private key (RFC 8705 §2): "
                        f"add {_CLIENT[key][1]}",
                    )
        elif method == "private_key_jwt":
            if "private_key" not in tbl:
                self.error(
                    f"{prefix}.private_key",
                    'missing; '
                    'private_key_jwt needs the signing key: '
                    'private_key = "keys/main-jwt.pem" (PEM or private JWK JSON)',
                )
            if "certificate" in tbl:
                self.error(f"{prefix}.certificate", "private_key_jwt does not use a certificate; remove it")
        else:
            for key in ("certificate", "private_key"):
                if key in tbl:
                    self.error(f"{prefix}.{key}", f"{method} does not use {key}; remove it")
        if method not in MTLS_METHODS:
            for key in ("other_certificate", "other_private_key", "untrusted_certificate", "untrusted_private_key"):
                if key in tbl:
                    self.error(
                        f"{prefix}.{key}",
                        f"only mTLS methods ({', '.join(MTLS_METHODS)}) use {key}; "
                        "remove it",
                    )
        if method not in JWT_METHODS:
            for key in ("alg", "kid"):
                if key in tbl:
                    self.error(
                        f"{prefix}.{key}",
                        f"{method} signs nothing; "
                        f"{key} applies to {' and '.join(JWT_METHODS)} only; "
                        "remove it",
                    )

    # -- keys and certificates -----------------------------------------------------------------

    def certificates(self, path: Path, dotted: str) -> list[x509.Certificate]:
        try:
            certs = x509.load_pem_x509_certificates(path.read_bytes())
        except (ValueError, OSError):
            self.error(
                dotted,
                f"{path} holds no PEM certificate (-----BEGIN CERTIFICATE-----); "
                "give a PEM file",
            )
            return []
        return certs

    def private_key(self, path: Path, dotted: str, *, allow_jwk: bool) -> tuple[Any, dict[str, Any] | None]:
        """(key, jwk dict or None); records the key's text as a secret."""
        try:
            data = path.read_bytes()
        except OSError as exc:
            self.error(dotted, f"cannot read {path}: {exc.__class__.__name__}")
            return None, None
        text = data.decode("utf-8", errors="replace")
        self.secrets.append(text.strip())
        if allow_jwk and data.lstrip().startswith(b"{"):
            return self.jwk_key(data, path, dotted)
        try:
            key = _load_pem_private_key(data)
        except TypeError:
            self.error(
                dotted,
                f"{path} is an encrypted private key; "
                "store it unencrypted (e.g. openssl pkey -in KEY -out KEY.plain)",
            )
            return None, None
        except ValueError:
            what = "a PEM private key or a private JWK (JSON)" if allow_jwk else "a PEM private key"
            self.error(dotted, f"{path} is not {what} (-----BEGIN PRIVATE KEY-----)")
            return None, None
        if not isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)):
            self.error(dotted, f"{path}: {type(key).__name__} keys are not supported; use EC P-256 or RSA")
            return None, None
        return key, None

    def jwk_key(self, data: bytes, path: Path, dotted: str) -> tuple[Any, dict[str, Any] | None]:
        import jwt  # pyjwt builds keys from JWKs

        try:
            jwk = json.loads(data)
        except ValueError as exc:
            self.error(
                dotted,
                f"{path} is not valid JSON ({exc.msg} at line {exc.lineno}); "
                "give a PEM key or a private JWK",
            )
            return None, None
        if not isinstance(jwk, dict) or "kty" not in jwk:
            self.error(dotted, f"{path} is not a JWK (no 'kty'); give a PEM key or a private JWK")
            return None, None
        if "d" not in jwk:
            self.error(dotted, f"{path} is a public JWK; private_key needs the private key (with 'd')")
            return None, None
        for member in ("d", "p", "q", "dp", "dq", "qi"):
            if isinstance(jwk.get(member), str):
                self.secrets.append(jwk[member])
        try:
            key = jwt.PyJWK(jwk).key
        except (jwt.PyJWTError, ValueError, KeyError) as exc:
            self.error(dotted, f"{path} is not a usable private JWK: {exc}")
            return None, None
        if not isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)):
            self.error(dotted, f"{path}: kty {jwk.get('kty')!r} is not supported; use EC P-256 or RSA")
            return None, None
        return key, jwk

    def jwt_key(
        self, prefix: str, path: Path, alg: str | None, kid: str | None, alg_given: bool
    ) -> tuple[str | None, str | None]:
        key, jwk = self.private_key(path, f"{prefix}.private_key", allow_jwk=True)
        if key is None:
            return alg, kid
        if jwk is not None and kid is None and isinstance(jwk.get("kid"), str):
            kid = jwk["kid"]
        if isinstance(key, ec.EllipticCurvePrivateKey):
            if not isinstance(key.curve, ec.SECP256R1):
                self.error(
                    f"{prefix}.private_key",
                    f"{path} is an EC {key.curve.name} key; "
                    "ES256 needs a P-256 (secp256r1) key",
                )
                return alg, kid
            kind, allowed = "an EC P-256", ("ES256",)
        else:
            if key.key_size < 2048:
                self.error(
                    f"{prefix}.private_key",
                    f"{path} is a {key.key_size}-bit RSA key; "
                    "RS256/PS256 need at least 2048 bits (RFC 7518 §3.3)",
                )
                return alg, kid
            kind, allowed = "an RSA", ("RS256", "PS256")
        if alg is None:
            return (None if alg_given else allowed[0]), kid
        if alg not in PRIVATE_KEY_JWT_ALGS:
            self.error(
                f"{prefix}.alg",
                f"{alg!r} is not supported for private_key_jwt; "
                f"use one of: {', '.join(PRIVATE_KEY_JWT_ALGS)}",
            )
        elif alg not in allowed:
            self.error(
                f"{prefix}.alg",
                f"{alg} does not match {kind} key in {path}; "
                f"use {' or '.join(allowed)}",
            )
        return alg, kid

    def tls_pair(self, prefix: str, cert_key: str, key_key: str, v: dict[str, Any]) -> None:
        cert_path, key_path = v[cert_key], v[key_key]
        if (cert_path is None) != (key_path is None):
            missing = key_key if cert_path is not None else cert_key
            present = cert_key if cert_path is not None else key_key
            if missing.startswith("other_"):
                self.error(
                    f"{prefix}.{missing}",
                    "missing; "
                    f"{present} needs its pair: add {_CLIENT[missing][1]}",
                )
            return
        if cert_path is None:
            return
        certs = self.certificates(cert_path, f"{prefix}.{cert_key}")
        key, _ = self.private_key(key_path, f"{prefix}.{key_key}", allow_jwk=False)
        if certs and key is not None:
            fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
            if certs[0].public_key().public_bytes(*fmt) != key.public_key().public_bytes(*fmt):
                self.error(
                    f"{prefix}.{key_key}",
                    f"{key_path} does not match the certificate in {cert_path}; "
                    "give the certificate's own key",
                )

    # -- remaining sections --------------------------------------------------------------------

    def use(
        self, tbl: dict[str, Any] | None, template: TemplateSection | None, server: ServerSection | None
    ) -> UseSection:
        tbl = tbl or {}
        self.check_keys(tbl, "use", _USE)
        scope = self.get(tbl, "use", "scope", _USE)
        dpop = self.get(tbl, "use", "dpop", _USE)
        resource = self.get(tbl, "use", "resource_url", _USE)
        server_resource = server.resource_url if server else None
        if resource and server_resource and resource != server_resource:
            self.error("use.resource_url", "differs from server.resource_url; give it in one place")
        return UseSection(
            scope=scope if scope is not None else (template.scope if template else None),
            dpop=bool(dpop),
            resource_url=resource or server_resource,
        )

    def code_flow(
        self, tbl: dict[str, Any] | None, template: TemplateSection | None, server: ServerSection | None,
        claims: Claims,
    ) -> CodeFlowSection:
        tbl = tbl or {}
        self.check_keys(tbl, "code_flow", _CODE_FLOW)
        endpoint = self.get(tbl, "code_flow", "authorization_endpoint", _CODE_FLOW)
        redirect = self.get(tbl, "code_flow", "redirect_uri", _CODE_FLOW)
        scope = self.get(tbl, "code_flow", "scope", _CODE_FLOW)
        if scope is not None and not scope.strip():
            self.error("code_flow.scope", 'is empty; give the scope to ask the user for, e.g. scope = "openid"')
        fields = self.form_fields(tbl)
        if redirect is None and template is not None and template.redirect_uris:
            redirect = template.redirect_uris[0]
        if claims.code_flow:
            if endpoint is None and (server is None or server.issuer is None) and "authorization_endpoint" not in tbl:
                self.error(
                    "code_flow.authorization_endpoint",
                    "missing while claims.code_flow = true; "
                    f"add {_CODE_FLOW['authorization_endpoint'][1]} (or server.issuer for discovery)",
                )
            if redirect is None and "redirect_uri" not in tbl:
                self.error(
                    "code_flow.redirect_uri",
                    "missing while claims.code_flow = true and template.redirect_uris is empty; "
                    f"add {_CODE_FLOW['redirect_uri'][1]} (a redirect URI the template allows)",
                )
        return CodeFlowSection(endpoint, redirect, scope or "openid", fields)

    def graphql(self, tbl: dict[str, Any] | None) -> GraphqlSection:
        tbl = tbl or {}
        self.check_keys(tbl, "graphql", _GRAPHQL)
        values = {k: self.get(tbl, "graphql", k, _GRAPHQL) for k in _GRAPHQL if k in tbl}
        for key in ("scope", "status_mutation", "client_id_argument", "status_argument"):
            value = values.get(key)
            if value is not None and (not value.strip() or (key != "scope" and not _GRAPHQL_NAME.match(value))):
                what = "a space-separated scope" if key == "scope" else "a GraphQL name (letters, digits, _)"
                self.error(f"graphql.{key}", f"{value!r} is not {what}; e.g. {_GRAPHQL[key][1]}, or remove it")
                values.pop(key)
        return GraphqlSection(**{k: v for k, v in values.items() if v is not None})

    def form_fields(self, tbl: Mapping[str, Any]) -> dict[str, str]:
        """``[code_flow.fields]`` (``${VAR}`` expanded) and ``[code_flow.field_files]`` (a value read
        from a file, relative to the profile); every value is a secret (a password, a username)."""
        fields: dict[str, str] = {}
        for key in ("fields", "field_files"):
            sub = tbl.get(key, {})
            if not isinstance(sub, dict):
                self.error(f"code_flow.{key}", f"expected a table ({_CODE_FLOW[key][1]}), got {_toml_type(sub)}")
                continue
            for name, raw in sub.items():
                dotted = f"code_flow.{key}.{name}"
                if not isinstance(raw, str):
                    self.error(dotted, f"expected a string, got {_toml_type(raw)}; e.g. {_CODE_FLOW[key][1]}")
                    continue
                if name in fields:
                    self.error(dotted, "is also in code_flow.fields; give each field once")
                    continue
                value = self.expand(raw, dotted)
                if value is not None and key == "field_files":
                    value = self.field_file(value, dotted)
                if value is not None:
                    self.secrets.append(value)
                    fields[name] = value
        return fields

    def field_file(self, value: str, dotted: str) -> str | None:
        path = self.file_path(value, dotted)
        if path is None:
            return None
        try:
            text = path.read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as exc:
            self.error(dotted, f"cannot read {path}: {exc.__class__.__name__}")
            return None
        if not text:
            self.error(dotted, f"{path} is empty; write the field's value into it")
            return None
        return text

    def claims(self, tbl: dict[str, Any] | None) -> Claims:
        tbl = tbl or {}
        self.check_keys(tbl, "claims", _CLAIMS)
        values = {k: self.get(tbl, "claims", k, _CLAIMS) for k in _CLAIMS if k in tbl}
        for key in ("initial_token_ttl_s", "registration_token_read_write_ttl_s"):
            ttl = values.get(key)
            if ttl is not None and ttl <= 0:
                self.error(
                    f"claims.{key}",
                    "must be a positive number of seconds; "
                    f"e.g. {_CLAIMS[key][1]}",
                )
                values.pop(key)
        return Claims(**{k: v for k, v in values.items() if v is not None})

    def cross_checks(
        self,
        server: ServerSection,
        claims: Claims,
        clients: dict[str, ClientConfig],
        introspector: ClientConfig | None,
        unlisted: ClientConfig | None,
        manager: ClientConfig | None = None,
    ) -> None:
        if server.issuer is None:
            if claims.revocation and server.revocation_endpoint is None:
                self.error(
                    "server.revocation_endpoint",
                    "missing while claims.revocation = true; "
                    "add it (or server.issuer for discovery), or set revocation = false",
                )
            if claims.introspection and server.introspection_endpoint is None:
                self.error(
                    "server.introspection_endpoint",
                    "missing while claims.introspection = true; "
                    "add it (or server.issuer for discovery), or set introspection = false",
                )
        manager_broken = any(p.key and p.key.startswith("management_client") for p in self.problems)
        if claims.dcr_graphql_status and not claims.management_clients and manager is None and not manager_broken:
            self.error(
                "management_client",
                "missing while claims.dcr_graphql_status = true; add a [management_client] table "
                "(its token, with [graphql] scope, calls the DCR GraphQL API), or set dcr_graphql_status = false",
            )
        if claims.management_clients and manager is None and not manager_broken:
            self.error(
                "management_client",
                "missing while claims.management_clients = true; add a [management_client] table "
                "(a client of Curity's management-clients, allowed the dcrm scope), "
                "or set management_clients = false",
            )
        if manager is not None:
            for label, client in clients.items():
                if client.client_id == manager.client_id:
                    self.error(
                        "management_client.client_id",
                        f"is main_clients.{label}'s client_id; "
                        "the management client must be another client (main clients must not get dcrm)",
                    )
        introspector_broken = any(p.key and p.key.startswith("introspector") for p in self.problems)
        if claims.introspection and introspector is None and not introspector_broken:
            self.error(
                "introspector",
                "missing while claims.introspection = true; "
                "add an [introspector] table (a client allowed to introspect, RFC 7662 §2.1)",
            )
        if unlisted is not None:
            for label, client in clients.items():
                if client.client_id == unlisted.client_id:
                    self.error(
                        "unlisted_client.client_id",
                        f"is main_clients.{label}'s client_id; "
                        "the unlisted client must be a client no template names",
                    )

