"""Authorization server metadata (RFC 8414 §2, §3; RFC 8705 §5; RFC 9449 §5.1).

The same document is served at ``/.well-known/oauth-authorization-server`` (RFC 8414 §3) and
``/.well-known/openid-configuration`` (where Curity publishes it). ``issuer`` is the base URL
the well-known paths hang off, as RFC 8414 §3.3 requires.

``jwks_uri`` serves a JWK Set with one signing key and one encryption key, each with its ``use``
(RFC 8414 §2: "When both signing and encryption keys are made available, a "use" (public key use)
parameter value is REQUIRED for all keys"), as a server issuing signed tokens and accepting
encrypted requests would publish; this server's tokens are opaque, so it neither signs nor
decrypts with them. The keys are made once per process.
"""

from __future__ import annotations

from ..vocabulary import AUTH_METHODS, DCR_SCOPE, HAAPI_SCOPE
from .config import DPOP_ALGS, JWKS_PATH, JWT_SIGNING_ALGS, MAIN_SCOPES
from .context import Context
from .errors import OAuthError
from . import signed_tokens
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
        "jwks_uri": config.base_url + JWKS_PATH,
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
    # --- jwks_uri, scopes_supported and the RS256 advice (DCR-META-008..010)
    if defects.on("metadata-scopes-missing"):  # DEFECT: the RECOMMENDED member is omitted
        del doc["scopes_supported"]
    if variants.on("metadata-scopes-partial"):  # VARIANT: RFC 8414 §2 "MAY choose not to advertise"
        doc["scopes_supported"] = list(MAIN_SCOPES)
    if defects.on("metadata-rs256-missing"):  # DEFECT: RS256 not listed (RFC 8414 §2 SHOULD)
        doc["token_endpoint_auth_signing_alg_values_supported"] = [
            alg for alg in JWT_SIGNING_ALGS if alg != "RS256"]
    if defects.on("metadata-revocation-endpoint-http"):  # DEFECT: an http revocation URL published
        doc["revocation_endpoint"] = "http://" + doc["revocation_endpoint"].split("://", 1)[1]
    if defects.on("metadata-revocation-endpoint-fragment"):  # DEFECT
        doc["revocation_endpoint"] += "#revoke"
    return doc


def _public_jwk(purpose: str) -> dict:
    """The EC P-256 public JWK for ``purpose`` ("sig" or "enc"), the same for the process (the
    signing key's private part signs JWT access tokens: :mod:`.signed_tokens`)."""
    return signed_tokens.public_jwk(purpose)


def jwk_set(ctx: Context) -> dict:
    """The JWK Set at ``jwks_uri``: a signing key (ES256) and an encryption key (ECDH-ES)."""
    signing = {**_public_jwk("sig"), "use": "sig", "alg": "ES256"}
    encryption = {**_public_jwk("enc"), "use": "enc", "alg": "ECDH-ES"}
    if ctx.defects.on("metadata-jwks-use-missing"):  # DEFECT: both kinds, one key without use
        del signing["use"]
    if ctx.variants.on("metadata-jwks-signing-only"):  # VARIANT: one kind: use is not required
        return {"keys": [{k: v for k, v in signing.items() if k != "use"}]}
    return {"keys": [signing, encryption]}


def handle_jwks(ctx: Context, request: Request) -> Response:
    if request.method not in ("GET", "HEAD"):
        raise OAuthError(405, "invalid_request", "use GET", [("Allow", "GET, HEAD")])
    return json_response(200, jwk_set(ctx))


def handle(ctx: Context, request: Request) -> Response:
    if request.method not in ("GET", "HEAD"):
        raise OAuthError(405, "invalid_request", "use GET", [("Allow", "GET, HEAD")])
    return json_response(200, document(ctx))
