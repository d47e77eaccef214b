"""Registration without templates: plain RFC 7591 (``ReferenceServer(templates=False)``).

The server names no templates; ``software_id`` is optional metadata like any other (RFC 7591 §2).
The requested metadata is validated against the server's policy (``ServerConfig.open_registration``,
a :class:`~.config.Template` holding what it supports) and RFC 7591 §2:

* ``grant_types`` default ``["authorization_code"]``, each one the server supports;
  ``response_types`` default ``["code"]`` when a redirect-based grant is asked for (else none),
  and the two consistent (§2.1: ``authorization_code`` with ``code``, ``implicit`` with ``token``);
* ``redirect_uris`` required for a redirect-based grant (``invalid_redirect_uri``): absolute,
  no fragment (RFC 6749 §3.1.2), ``https`` or a private-use scheme (RFC 8252 §7.1);
* ``token_endpoint_auth_method`` default ``client_secret_basic``, one the server supports for
  dynamic clients; ``private_key_jwt`` needs the client's keys in ``jwks``;
* ``scope`` within the scopes the server offers (the policy's, also the default).

Faults are 400 ``invalid_client_metadata`` unless said otherwise (RFC 7591 §3.2.2).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from . import jose
from .client_metadata import _COPIED, RESPONSE_FOR_GRANT, _check_jwks, check_types, metadata_error
from .config import Template
from .context import Context
from .errors import OAuthError

#: Methods a dynamic client of this server may authenticate with (``.client_auth``).
OPEN_AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt")


def _redirect_error(description: str) -> OAuthError:
    return OAuthError(400, "invalid_redirect_uri", description)


def _check_redirect_uri(uri: str) -> None:
    try:
        parts = urlsplit(uri)
    except ValueError:
        raise _redirect_error("a redirect URI cannot be parsed") from None
    if not parts.scheme or uri != uri.strip():
        raise _redirect_error("redirect URIs must be absolute")
    if parts.fragment or "#" in uri:
        raise _redirect_error("redirect URIs must not have a fragment")
    scheme = parts.scheme.lower()
    if scheme in ("http", "javascript", "data", "file") or (scheme == "https" and not parts.hostname):
        raise _redirect_error("redirect URIs must use https or a private-use scheme")


def registered_metadata(ctx: Context, policy: Template, body: dict) -> dict:
    """Validate a registration (or RFC 7592 update) ``body``; return the metadata to register."""
    check_types(ctx, body)
    result: dict = {}
    if "software_id" in body:
        result["software_id"] = body["software_id"]

    grants = list(dict.fromkeys(body.get("grant_types", ["authorization_code"])))
    if not grants or any(g not in policy.grant_types for g in grants):
        raise metadata_error(f"grant_types must be among {', '.join(policy.grant_types)}")
    redirect_based = [g for g in grants if g in RESPONSE_FOR_GRANT]
    default_responses = [RESPONSE_FOR_GRANT[g] for g in redirect_based]
    responses = list(dict.fromkeys(body.get("response_types", default_responses)))
    if any(r not in policy.response_types for r in responses):
        raise metadata_error(f"response_types must be among {', '.join(policy.response_types)}")
    if sorted(responses) != sorted(default_responses):
        raise metadata_error("grant_types and response_types are inconsistent (RFC 7591 §2.1)")
    result["grant_types"], result["response_types"] = grants, responses

    uris = body.get("redirect_uris")
    if redirect_based and not uris:
        raise _redirect_error(f"redirect_uris are required for {redirect_based[0]}")
    for uri in uris or []:
        _check_redirect_uri(uri)
    if uris is not None:
        result["redirect_uris"] = list(dict.fromkeys(uris))

    scope = body.get("scope")
    if scope is None or not scope.strip():
        result["scope"] = policy.scope
    else:
        requested = list(dict.fromkeys(s for s in scope.split(" ") if s))
        if any(s not in policy.scopes for s in requested):
            raise metadata_error("the scope is not offered by this server")
        result["scope"] = " ".join(requested)

    method = body.get("token_endpoint_auth_method", "client_secret_basic")
    if method not in OPEN_AUTH_METHODS:
        raise metadata_error(f"token_endpoint_auth_method must be one of {', '.join(OPEN_AUTH_METHODS)}")
    result["token_endpoint_auth_method"] = method
    if "jwks" in body and "jwks_uri" in body:
        raise metadata_error("jwks and jwks_uri must not both be present")
    if "jwks_uri" in body:
        raise metadata_error("jwks_uri is not supported; send the keys in jwks")
    if "jwks" in body:
        result["jwks"] = _check_jwks(body["jwks"])
    if method == "private_key_jwt":
        if "jwks" not in result:
            raise metadata_error("private_key_jwt needs the client's public keys in jwks")
        alg = body.get("token_endpoint_auth_signing_alg", "ES256")
        if alg not in jose.ASYMMETRIC_ALGS:
            raise metadata_error("token_endpoint_auth_signing_alg must be ES256, RS256 or PS256")
        result["token_endpoint_auth_signing_alg"] = alg

    if body.get("dpop_bound_access_tokens") is False and policy.requires_dpop:
        raise metadata_error("this server binds access tokens with DPoP")
    if policy.requires_dpop:
        result["dpop_bound_access_tokens"] = True
    for name in _COPIED:
        if name in body:
            result[name] = body[name]
    return result
