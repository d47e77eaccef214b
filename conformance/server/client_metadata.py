"""Client metadata of a templatized registration (RFC 7591 §2, §3.2.1, §3.2.2).

A dynamic client inherits from its template and never gets more: a requested ``scope``,
``grant_types``, ``response_types`` or ``redirect_uris`` must be a subset of the template's,
``token_endpoint_auth_method`` must be the template's; ``grant_types`` and ``response_types`` are
kept consistent (RFC 7591 §2.1). Faults are ``invalid_client_metadata``
(``invalid_redirect_uri`` for redirect URIs). Unknown fields are ignored (RFC 7591 §2); known
fields of the wrong JSON type are ``invalid_client_metadata``. Used by registration (POST) and
by RFC 7592 update (PUT).
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from . import jose
from .config import Template
from .context import Context
from .errors import DefectCrash, OAuthError
from .http_messages import Request

_STR, _STR_LIST, _OBJECT, _BOOL = "string", "array of strings", "object", "boolean"
KNOWN_FIELDS = {
    "redirect_uris": _STR_LIST, "response_types": _STR_LIST, "grant_types": _STR_LIST,
    "contacts": _STR_LIST, "scope": _STR, "token_endpoint_auth_method": _STR,
    "token_endpoint_auth_signing_alg": _STR, "client_name": _STR, "client_uri": _STR,
    "logo_uri": _STR, "tos_uri": _STR, "policy_uri": _STR, "software_id": _STR,
    "software_version": _STR, "software_statement": _STR, "jwks": _OBJECT, "jwks_uri": _STR,
    "dpop_bound_access_tokens": _BOOL,
}
_COPIED = ("client_name", "client_uri", "logo_uri", "tos_uri", "policy_uri", "contacts",
           "software_version")
#: RFC 7591 §2.1: the response type each redirect-based grant type goes with.
RESPONSE_FOR_GRANT = {"authorization_code": "code", "implicit": "token"}


def metadata_error(description: str) -> OAuthError:
    return OAuthError(400, "invalid_client_metadata", description)


def parse_json_object(ctx: Context, request: Request) -> dict:
    """The JSON object body of a registration or update request (RFC 7591 §3.1)."""
    if request.content_type != "application/json":
        raise OAuthError(400, "invalid_request", "Content-Type must be application/json")
    try:
        body = json.loads(request.body.decode("utf-8"), parse_constant=_no_constants)
    except (ValueError, UnicodeDecodeError, RecursionError):
        if ctx.defects.on("malformed-json-500"):  # DEFECT: parse errors crash the handler
            raise DefectCrash("malformed JSON") from None
        raise OAuthError(400, "invalid_request", "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise metadata_error("the body must be a JSON object")
    return body


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def check_types(ctx: Context, body: dict) -> None:
    for name, kind in KNOWN_FIELDS.items():
        if name not in body:
            continue
        value = body[name]
        ok = {
            _STR: lambda v: isinstance(v, str),
            _STR_LIST: lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
            _OBJECT: lambda v: isinstance(v, dict),
            _BOOL: lambda v: isinstance(v, bool),
        }[kind](value)
        if not ok:
            if isinstance(value, (dict, list)) and ctx.defects.on("nested-metadata-500"):
                raise DefectCrash(f"{name} of the wrong type")  # DEFECT: crash on nesting
            raise metadata_error(f"{name} must be a JSON {kind}")


def _redirect_error(description: str) -> OAuthError:
    return OAuthError(400, "invalid_redirect_uri", description)


def _check_redirect_uris(uris: list[str], template: Template, *, listed: bool = True) -> None:
    """Absolute, no fragment, https unless the template lists it; and (``listed``) in the template."""
    for uri in uris:
        try:
            parts = urlsplit(uri)
        except ValueError:
            raise _redirect_error("a redirect URI cannot be parsed") from None
        if not parts.scheme:
            raise _redirect_error("redirect URIs must be absolute")
        if parts.fragment or "#" in uri:
            raise _redirect_error("redirect URIs must not have a fragment")
        if parts.scheme.lower() not in ("https",) and uri not in template.redirect_uris:
            raise _redirect_error("redirect URIs must use https")
        if listed and uri not in template.redirect_uris:
            raise _redirect_error("the redirect URI is not allowed by the template")


def _check_jwks(jwks: dict) -> dict:
    keys = jwks.get("keys")
    if not isinstance(keys, list) or not 1 <= len(keys) <= 5:
        raise metadata_error("jwks must hold 1 to 5 keys")
    for jwk in keys:
        try:
            jose.public_key_from_jwk(jwk)
        except jose.JoseError as exc:
            raise metadata_error(f"jwks: {exc}") from None
    return {"keys": keys}


def registered_metadata(ctx: Context, template: Template, body: dict, *,
                        update: bool = False) -> dict:
    """Validate ``body`` against ``template``; return the metadata to register.

    ``update`` selects the RFC 7592 PUT variant of the scope defects.
    """
    defects, variants = ctx.defects, ctx.variants
    check_types(ctx, body)
    lax = defects.on("put-scope-not-enforced") if update else False  # DEFECT (PUT only)
    result: dict = {"software_id": template.software_id}

    scope = body.get("scope")
    if scope is None or not scope.strip():
        result["scope"] = template.scope
    else:
        requested = [s for s in scope.split(" ") if s]
        outside = [s for s in requested if s not in template.scopes]
        if outside and not (lax or defects.on("template-scope-not-enforced")):  # DEFECT
            if defects.on("wrong-error-code"):  # DEFECT: the wrong RFC 7591 code
                raise _redirect_error("the scope is not allowed by the template")
            if not variants.on("registration-scope-narrowed"):
                raise metadata_error("the scope is not allowed by the template")
            # VARIANT: RFC 7591 §3.2.1 MAY replace: narrowed to the template (its scope if empty)
            requested = [s for s in requested if s in template.scopes] or template.scope.split()
        result["scope"] = " ".join(dict.fromkeys(requested))

    loose = lax or defects.on("redirect-uri-not-validated")  # DEFECT: redirects/grants free
    uris = body.get("redirect_uris")
    inert = False  # VARIANT registration-inert-redirect-uris: foreign URIs kept, but unusable
    if uris is None:
        result["redirect_uris"] = list(template.redirect_uris)
    else:
        if not loose:
            inert_allowed = variants.on("registration-inert-redirect-uris")
            _check_redirect_uris(uris, template, listed=not inert_allowed)  # VARIANT: unlisted kept
            inert = inert_allowed and any(uri not in template.redirect_uris for uri in uris)
        result["redirect_uris"] = list(dict.fromkeys(uris))
        if not inert and not loose and variants.on("registration-redirect-uris-from-template"):
            result["redirect_uris"] = list(template.redirect_uris)  # VARIANT: MAY replace (§3.2.1)
    if not update and defects.on("registration-drops-redirect-uris"):  # DEFECT: member unsupported
        del result["redirect_uris"]

    for name, allowed in (("grant_types", template.grant_types),
                          ("response_types", template.response_types)):
        values = body.get(name)
        if values is None:
            result[name] = list(allowed)
            continue
        if not loose and any(v not in allowed for v in values):
            if not variants.on("registration-grant-types-replaced"):
                raise metadata_error(f"{name} is not allowed by the template")
            # VARIANT: RFC 7591 §3.2.1 MAY replace: values beyond the template dropped
            values = [v for v in values if v in allowed] or list(allowed)
        result[name] = list(dict.fromkeys(values))
    if inert:  # VARIANT: no grant or response type that would ever use a redirect URI
        result["grant_types"] = [g for g in result["grant_types"]
                                 if g not in ("authorization_code", "refresh_token")] or ["client_credentials"]
        result["response_types"] = []
    else:
        _consistent_types(ctx, template, body, result)

    method = body.get("token_endpoint_auth_method", template.token_endpoint_auth_method)
    both = "jwks" in body and "jwks_uri" in body
    # VARIANT registration-device-jwks-binds-key: a device's public jwks on a secret template
    # registers a private_key_jwt client bound to that key (RFC 7591 §3.2.1 MAY replace).
    device_key = not template.device_keys and "jwks" in body and "jwks_uri" not in body \
        and method in (template.token_endpoint_auth_method, "private_key_jwt") \
        and variants.on("registration-device-jwks-binds-key")
    if device_key:
        method = "private_key_jwt"
    elif method != template.token_endpoint_auth_method:
        raise metadata_error("token_endpoint_auth_method is fixed by the template")
    result["token_endpoint_auth_method"] = method

    if both and not defects.on("jwks-and-jwks-uri-accepted"):  # DEFECT: both kept
        raise metadata_error("jwks and jwks_uri must not both be present")
    if template.device_keys or device_key:
        if "jwks_uri" in body and not both:
            raise metadata_error("this template needs jwks, not jwks_uri")
        if "jwks" not in body:
            raise metadata_error("this template needs the device's public keys in jwks")
        result["jwks"] = _check_jwks(body["jwks"])
        alg = body.get("token_endpoint_auth_signing_alg", "ES256")
        if alg not in jose.ASYMMETRIC_ALGS:
            raise metadata_error("token_endpoint_auth_signing_alg must be ES256, RS256 or PS256")
        result["token_endpoint_auth_signing_alg"] = alg
    if both and defects.on("jwks-and-jwks-uri-accepted"):
        result["jwks"], result["jwks_uri"] = body["jwks"], body["jwks_uri"]

    if body.get("dpop_bound_access_tokens") is False and template.requires_dpop:
        raise metadata_error("the template binds access tokens with DPoP")
    if template.requires_dpop:
        result["dpop_bound_access_tokens"] = True

    for name in _COPIED:
        if name in body:
            result[name] = body[name]
    return result


def _implied_responses(template: Template, grants: list[str]) -> list[str]:
    needed = {RESPONSE_FOR_GRANT[g] for g in grants if g in RESPONSE_FOR_GRANT}
    return [r for r in template.response_types if r in needed]


def types_consistent(grants: list[str], responses: list[str]) -> bool:
    """RFC 7591 §2.1: ``authorization_code`` with ``code``, ``implicit`` with ``token``, each both
    ways (a response type's parts: ``code id_token`` holds ``code``)."""
    parts = {part for value in responses for part in value.split()}
    return all((grant in grants) == (response in parts) for grant, response in RESPONSE_FOR_GRANT.items())


def _consistent_types(ctx: Context, template: Template, body: dict, result: dict) -> None:
    """RFC 7591 §2.1: "a server supporting these fields SHOULD take steps to ensure that a client
    cannot register itself into an inconsistent state". A member the request leaves out follows the
    one it names; two that contradict each other are ``invalid_client_metadata``."""
    grants_given, responses_given = body.get("grant_types") is not None, body.get("response_types") is not None
    if grants_given and not responses_given:
        result["response_types"] = _implied_responses(template, result["grant_types"])
    elif responses_given and not grants_given:
        parts = {part for value in result["response_types"] for part in value.split()}
        result["grant_types"] = [g for g in template.grant_types
                                 if g not in RESPONSE_FOR_GRANT or RESPONSE_FOR_GRANT[g] in parts]
    if types_consistent(result["grant_types"], result["response_types"]) \
            or ctx.defects.on("inconsistent-types-registered"):  # DEFECT: registered as asked
        return
    if not ctx.variants.on("registration-types-made-consistent"):
        raise metadata_error("grant_types and response_types are inconsistent (RFC 7591 §2.1)")
    # VARIANT: RFC 7591 §3.2.1 MAY replace: the response types follow the grant types
    result["response_types"] = _implied_responses(template, result["grant_types"])
    if not types_consistent(result["grant_types"], result["response_types"]):
        raise metadata_error("grant_types and response_types are inconsistent (RFC 7591 §2.1)")
