"""Authorization server metadata (RFC 8414 §2, §3; RFC 8705 §5; RFC 9449 §5.1).

The same document is served at ``/.well-known/oauth-authorization-server`` (RFC 8414 §3) and
``/.well-known/openid-configuration`` (where Curity publishes it). ``issuer`` is the base URL
the well-known paths hang off, as RFC 8414 §3.3 requires.
"""

from __future__ import annotations

from ..vocabulary import AUTH_METHODS, DCR_SCOPE, HAAPI_SCOPE
from .config import DPOP_ALGS, JWT_SIGNING_ALGS, MAIN_SCOPES
from .context import Context
from .errors import OAuthError
from .http_messages import Request, Response, json_response


def document(ctx: Context) -> dict:
    config, defects = ctx.config, ctx.defects
    issuer = config.issuer
    if defects.on("metadata-issuer-mismatch"):  # DEFECT: another issuer than the URL's base
        issuer = issuer.replace("127.0.0.1", "localhost")
    aliases = {
        "token_endpoint": config.token_endpoint,
        "revocation_endpoint": config.revocation_endpoint,
        "introspection_endpoint": config.introspection_endpoint,
    }
    if defects.on("metadata-mtls-alias-relative"):  # DEFECT: relative URLs
        aliases = {k: v[len(config.base_url):] for k, v in aliases.items()}
    dpop_algs = list(DPOP_ALGS)
    if defects.on("metadata-dpop-algs-include-none"):  # DEFECT
        dpop_algs += ["none", "HS256"]
    doc = {
        "issuer": issuer,
        "authorization_endpoint": config.authorization_endpoint,
        "token_endpoint": config.token_endpoint,
        "registration_endpoint": config.registration_endpoint,
        "revocation_endpoint": config.revocation_endpoint,
        "introspection_endpoint": config.introspection_endpoint,
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],  # RFC 7636 §4.3 (plain is refused)
        "scopes_supported": [DCR_SCOPE, *MAIN_SCOPES, HAAPI_SCOPE],
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "token_endpoint_auth_signing_alg_values_supported": list(JWT_SIGNING_ALGS),
        "revocation_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "revocation_endpoint_auth_signing_alg_values_supported": list(JWT_SIGNING_ALGS),
        "introspection_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "introspection_endpoint_auth_signing_alg_values_supported": list(JWT_SIGNING_ALGS),
        "dpop_signing_alg_values_supported": dpop_algs,
        "mtls_endpoint_aliases": aliases,
        "tls_client_certificate_bound_access_tokens": False,
    }
    if defects.on("metadata-signing-algs-missing"):  # DEFECT
        del doc["token_endpoint_auth_signing_alg_values_supported"]
    if defects.on("metadata-registration-endpoint-missing"):  # DEFECT
        del doc["registration_endpoint"]
    variants = ctx.variants
    if variants.on("metadata-mtls-aliases-omitted"):  # VARIANT: both are OPTIONAL (RFC 8705 §5)
        del doc["mtls_endpoint_aliases"], doc["tls_client_certificate_bound_access_tokens"]
    if variants.on("metadata-extra-members"):  # VARIANT: RFC 8414 §2 additional parameters
        doc.update(service_documentation=config.base_url + "/docs", ui_locales_supported=["en"],
                   claims_parameter_supported=False, x_vendor_build="reference-1")
    if defects.on("metadata-response-types-missing"):  # DEFECT
        del doc["response_types_supported"]
    if defects.on("metadata-token-endpoint-fragment"):  # DEFECT
        doc["token_endpoint"] += "#token"
    if defects.on("metadata-revocation-algs-missing"):  # DEFECT
        del doc["revocation_endpoint_auth_signing_alg_values_supported"]
    if defects.on("metadata-empty-array"):  # DEFECT: zero elements not omitted
        doc["ui_locales_supported"] = []
    if defects.on("metadata-revocation-endpoint-http"):  # DEFECT: an http revocation URL published
        doc["revocation_endpoint"] = "http://" + doc["revocation_endpoint"].split("://", 1)[1]
    if defects.on("metadata-revocation-endpoint-fragment"):  # DEFECT
        doc["revocation_endpoint"] += "#revoke"
    return doc


def handle(ctx: Context, request: Request) -> Response:
    if request.method not in ("GET", "HEAD"):
        raise OAuthError(405, "invalid_request", "use GET", [("Allow", "GET, HEAD")])
    return json_response(200, document(ctx))
