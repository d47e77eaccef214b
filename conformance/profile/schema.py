"""What a profile file may hold: the keys of each table, their kinds, the examples the fix hints
show, and the value rules that are not types (labels, ``${VAR}`` names, JWT algorithms)."""

from __future__ import annotations

import re

from .model import Claims

#: Algorithms per client-authentication method (RFC 7518 §3.1; HS256 keys: RFC 7518 §3.2).
PRIVATE_KEY_JWT_ALGS = ("ES256", "RS256", "PS256")
CLIENT_SECRET_JWT_ALGS = ("HS256",)
LABEL = re.compile(r"^[A-Za-z0-9_.-]+$")  # a main client's label (it appears in test ids)
VAR = re.compile(r"\$\$\{|\$\{([^}]*)\}?")  # ``${NAME}`` or the ``$${`` escape
VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
GRAPHQL_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")  # GraphQL spec §2.1.9 Name

# key -> (kind, example shown in the fix hints: "expected ..., e.g. EXAMPLE", "missing; add EXAMPLE")
TOP_KEYS = {
    "name": ("string", 'name = "staging"'),
    "server": ("table", "[server]"),
    "template": ("table", "[template]"),
    "registration": ("table", "[registration]"),
    "main_clients": ("table", "[main_clients.secret]"),
    "use": ("table", "[use]"),
    "claims": ("table", "[claims]"),
    "introspector": ("table", "[introspector]"),
    "unlisted_client": ("table", "[unlisted_client]"),
    "management_client": ("table", "[management_client]"),
    "code_flow": ("table", "[code_flow]"),
    "graphql": ("table", "[graphql]"),
    "load": ("table", "[load]"),  # read by ``dcr-conformance load`` (conformance.load.objectives)
}
SERVER_KEYS = {
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
TEMPLATE_KEYS = {
    "software_id": ("string", 'software_id = "haapi-template"'),
    "scope": ("string", 'scope = "urn:se:curity:scopes:haapi"'),
    "grant_types": ("strings", 'grant_types = ["client_credentials"]'),
    "token_endpoint_auth_method": ("string", 'token_endpoint_auth_method = "client_secret_basic"'),
    "unauthorized_software_id": ("string", 'unauthorized_software_id = "other-template"'),
    "redirect_uris": ("strings", 'redirect_uris = ["app:/callback"]'),
    "response_types": ("strings", 'response_types = ["code"]'),
    "token_endpoint_auth_methods": ("strings", 'token_endpoint_auth_methods = ["client_secret_basic", "private_key_jwt"]'),
}
#: ``[registration]``: RFC 7591 §2 client metadata the app sends, and the per-device key flag.
REGISTRATION_KEYS = {
    "redirect_uris": ("strings", 'redirect_uris = ["https://app.example/callback"]'),
    "grant_types": ("strings", 'grant_types = ["authorization_code", "refresh_token"]'),
    "response_types": ("strings", 'response_types = ["code"]'),
    "token_endpoint_auth_method": ("string", 'token_endpoint_auth_method = "private_key_jwt"'),
    "scope": ("string", 'scope = "openid"'),
    "client_name": ("string", 'client_name = "Example App"'),
    "client_uri": ("string", 'client_uri = "https://app.example"'),
    "logo_uri": ("string", 'logo_uri = "https://app.example/logo.png"'),
    "tos_uri": ("string", 'tos_uri = "https://app.example/tos"'),
    "policy_uri": ("string", 'policy_uri = "https://app.example/privacy"'),
    "contacts": ("strings", 'contacts = ["ops@app.example"]'),
    "software_version": ("string", 'software_version = "1.0.0"'),
    "token_endpoint_auth_signing_alg": ("string", 'token_endpoint_auth_signing_alg = "ES256"'),
    "device_jwks": ("boolean", "device_jwks = true"),
    "extensions": ("table", "[registration.extensions] dpop_bound_access_tokens = true"),
}
#: ``[registration]`` keys the suite cannot send as given, and the fix.
REGISTRATION_REFUSED = {
    "software_id": "the template is named in one place; move it to [template] software_id",
    "jwks": "the suite must hold each client's private key; set device_jwks = true "
            "(a fresh key per registration, its public JWK sent as jwks)",
    "jwks_uri": "the suite must hold each client's private key; set device_jwks = true "
                "(a fresh key per registration, sent as jwks) instead",
    "software_statement": "a signed statement is not supported yet; remove it",
}
CLIENT_KEYS = {
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
USE_KEYS = {
    "scope": ("string", 'scope = "urn:se:curity:scopes:haapi"'),
    "dpop": ("boolean", "dpop = true"),
    "resource_url": ("url", 'resource_url = "https://idsvr.example/api/resource"'),
}
CODE_FLOW_KEYS = {
    "authorization_endpoint": ("url", 'authorization_endpoint = "https://idsvr.example/oauth/v2/oauth-authorize"'),
    "redirect_uri": ("string", 'redirect_uri = "app:/callback"'),
    "scope": ("string", 'scope = "openid"'),
    "fields": ("table", '[code_flow.fields] userName = "${TEST_USER}"'),
    "field_files": ("table", '[code_flow.field_files] password = "secrets/user-password.txt"'),
}
GRAPHQL_KEYS = {
    "endpoint": ("url", 'endpoint = "https://idsvr.example/token-service/oauth-registration/graphql"'),
    "scope": ("string", 'scope = "dcrm"'),
    "status_mutation": ("string", 'status_mutation = "setDynamicallyRegisteredClientStatusById"'),
    "client_id_argument": ("string", 'client_id_argument = "clientId"'),
    "status_argument": ("string", 'status_argument = "status"'),
}
CLAIMS_KEYS = {name: ("boolean", f"{name} = true") for name in Claims.__dataclass_fields__}
CLAIMS_KEYS["initial_token_ttl_s"] = ("integer", "initial_token_ttl_s = 300")
CLAIMS_KEYS["registration_token_read_write_ttl_s"] = ("integer", "registration_token_read_write_ttl_s = 2419200")

#: kind -> what "expected ..." says
EXPECTED_KIND = {
    "string": "a string",
    "url": "an https:// URL string",
    "path": "a file path string (relative to the profile)",
    "number": "a number",
    "integer": "an integer",
    "boolean": "true or false",
    "strings": "an array of strings",
    "table": "a table",
}


def toml_type(value: object) -> str:
    """What a TOML value is, in the words of the "got ..." part of a problem."""
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
