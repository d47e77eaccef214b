"""The token endpoint: the ``client_credentials`` grant (RFC 6749 §4.4) for steps 1 and 3.

The code flow's ``authorization_code`` and ``refresh_token`` grants are in :mod:`.grants`.

Step 1: a main client asks for ``scope=dcr`` and gets the initial access token, opaque and with
its own TTL; only clients a template names in ``authenticate-client-by`` may get ``dcr``
(docs/profiles.md); only management clients get ``dcrm``. Step 3: a dynamic client gets
tokens limited to its registered scope, never ``dcr``, DPoP-bound when its template requires DPoP
(RFC 9449 §5, nonces §8). Successful responses carry ``Cache-Control: no-store`` and ``Pragma:
no-cache`` (RFC 6749 §5.1) and no refresh token (§4.4.3).
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import parse_qsl

from ..vocabulary import DCR_SCOPE, DCRM_SCOPE
from . import grants, signed_tokens
from .client_auth import ClientIdentity, authenticate
from .context import Context
from .dpop import USE_NONCE, DpopError, verify_proof
from .errors import OAuthError
from .forms import form_body
from .http_messages import NO_STORE, Request, Response, json_response
from .store import TokenRecord, digest

_SCOPE_TOKEN = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]+$")  # RFC 6749 §3.3


def _allowed_scopes(ctx: Context, client: ClientIdentity) -> tuple[set[str], list[str]]:
    """(scopes the client may get, scopes it gets when it asks for none)."""
    if client.dynamic is not None:
        registered = client.dynamic.metadata.get("scope", "").split()
        allowed = set(registered)
        if ctx.defects.on("dynamic-client-gets-dcr"):  # DEFECT: dcr for a dynamic client
            allowed.add(DCR_SCOPE)
        return allowed, registered
    configured = client.configured
    allowed = set(configured.scopes)
    if ctx.config.templates_naming(client.client_id) \
            or ctx.defects.on("dcr-scope-for-any-client"):  # DEFECT: dcr for unlisted clients
        allowed.add(DCR_SCOPE)
    # dcrm (manage every dynamic client) is configured for management clients only.
    if ctx.defects.on("dcrm-scope-for-any-client"):  # DEFECT: dcrm for any configured client
        allowed.add(DCRM_SCOPE)
    return allowed, list(configured.scopes)


def _granted_scope(ctx: Context, client: ClientIdentity, requested: str | None) -> list[str]:
    allowed, default = _allowed_scopes(ctx, client)
    attested = client.configured.attested_scopes if client.configured is not None else ()
    if requested is None or not requested.strip():
        granted = list(default)
    else:
        granted = []
        for scope in requested.split(" "):
            if not scope:
                continue
            if scope in attested:
                if not ctx.defects.on("attestation-not-enforced"):  # DEFECT: granted without
                    if ctx.variants.on("token-scope-narrowed"):  # VARIANT: dropped, not refused
                        continue
                    raise OAuthError(400, "unauthorized_client", f"{scope} needs client attestation")
            elif not _SCOPE_TOKEN.match(scope) or scope not in allowed:
                if ctx.variants.on("token-scope-narrowed"):  # VARIANT: dropped, not refused
                    continue
                raise OAuthError(400, "invalid_scope", "the requested scope is not allowed")
            if scope not in granted:
                granted.append(scope)
        if not granted and ctx.variants.on("token-scope-narrowed"):  # VARIANT: nothing remained
            granted = list(default)
    if client.role == "main" and DCR_SCOPE in allowed and DCR_SCOPE not in granted \
            and ctx.defects.on("dcr-scope-granted-without-request"):  # DEFECT
        granted.append(DCR_SCOPE)
    return granted


def _dpop_required(ctx: Context, client: ClientIdentity) -> bool:
    if client.dynamic is None:
        return False
    template = ctx.config.template_of(client.dynamic)
    if template is None or not template.requires_dpop:
        return False
    return not ctx.defects.on("dpop-not-required")  # DEFECT: proof optional


def _nonce_header(ctx: Context) -> list[tuple[str, str]]:
    return [("DPoP-Nonce", ctx.nonces.issue(ctx.now()))] if ctx.settings.dpop_nonce else []


_KNOWN_PARAMETERS = {"grant_type", "scope", "client_id", "client_secret", "client_assertion",
                     "client_assertion_type", "code", "redirect_uri", "code_verifier", "refresh_token"}


def _form(ctx: Context, request: Request) -> dict[str, str]:
    """The form body (RFC 6749 §3.2), as it is read under the parameter defects."""
    if ctx.defects.on("token-repeated-parameter-accepted"):  # DEFECT: the last value wins
        return dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
    # DEFECT token-blank-parameter-counted: a parameter without a value counts as sent
    form = form_body(request, keep_blank=ctx.defects.on("token-blank-parameter-counted"))
    if ctx.defects.on("token-unknown-parameter-refused") and set(form) - _KNOWN_PARAMETERS:  # DEFECT
        raise OAuthError(400, "invalid_request", "unknown parameter")
    return form


def handle(ctx: Context, request: Request) -> Response:
    try:
        return _handle(ctx, request)
    except OAuthError as exc:
        if ctx.defects.on("token-error-description-not-ascii") and exc.description:  # DEFECT
            exc.description = f'{exc.description} \u2014 "see the server log"\n'
        if ctx.defects.on("token-error-uri-malformed") and exc.error:  # DEFECT: the answer gets an error_uri
            exc.error_uri = f"https://errors.dcr-conformance.example/token errors|{exc.error}"
        raise


def _handle(ctx: Context, request: Request) -> Response:
    if request.method != "POST":
        raise OAuthError(405, "invalid_request", "use POST", [("Allow", "POST")])
    form = _form(ctx, request)
    grant_type = form.get("grant_type")
    if grant_type in grants.GRANTS:  # the code flow's grants (grants.py)
        return grants.handle(ctx, request, form, grant_type)
    client = authenticate(ctx, request, form, ctx.config.token_endpoint)
    if not grant_type:
        raise OAuthError(400, "invalid_request", "grant_type is required")
    if grant_type != "client_credentials":
        raise OAuthError(400, "unsupported_grant_type", "this grant type is not supported")
    if form.get("scope") is None and client.configured is not None:
        if ctx.defects.on("token-scope-required"):  # DEFECT: neither a default nor invalid_scope
            raise OAuthError(400, "invalid_request", "scope is required")
        if ctx.variants.on("token-scope-omitted-invalid-scope"):  # VARIANT: no default scope
            raise OAuthError(400, "invalid_scope", "this client has no default scope: request one")
    granted = _granted_scope(ctx, client, form.get("scope"))

    jkt = None
    if request.header_all("DPoP") or _dpop_required(ctx, client):
        try:
            jkt = verify_proof(ctx, request, require_nonce=ctx.settings.dpop_nonce).jkt
        except DpopError as exc:
            headers = _nonce_header(ctx)
            if exc.error == USE_NONCE and ctx.defects.on("dpop-nonce-header-missing"):  # DEFECT
                headers = []
            raise OAuthError(400, exc.error, exc.description, headers) from None

    now = int(ctx.now())
    settings = ctx.settings
    ttl = settings.initial_token_ttl_s if DCR_SCOPE in granted else settings.access_token_ttl_s
    access_token = signed_tokens.issue(ctx.config.issuer, client.client_id, " ".join(granted), now, now + ttl, jkt)
    if ctx.variants.on("access-tokens-opaque"):  # VARIANT: opaque random strings
        access_token = secrets.token_urlsafe(32)
    if ctx.defects.on("introspection-signature-not-verified"):  # DEFECT: found without the signature
        ctx.tokens_by_signing_input[signed_tokens.signing_input(access_token)] = access_token
    token_type = "DPoP" if jkt else "Bearer"
    ctx.store.add_token(TokenRecord(digest(access_token), client.client_id, " ".join(granted),
                                    now, now + ttl, token_type=token_type, jkt=jkt))
    if jkt and ctx.defects.on("dpop-token-type-bearer"):  # DEFECT: bound, but called Bearer
        token_type = "Bearer"
    body = {"access_token": access_token, "token_type": token_type, "expires_in": ttl,
            "scope": " ".join(granted)}
    requested = (form.get("scope") or "").split()
    if requested and set(requested) == set(granted) \
            and ctx.variants.on("token-scope-omitted-when-identical"):  # VARIANT: scope OPTIONAL
        del body["scope"]
    grants.shape_token_response(ctx, body)
    if ctx.defects.on("token-issues-refresh-token"):  # DEFECT: RFC 6749 §4.4.3 SHOULD NOT
        body["refresh_token"] = secrets.token_urlsafe(32)
    headers = _nonce_header(ctx) if jkt else []
    response = json_response(200, body, headers, no_store=True)
    if ctx.defects.on("token-missing-no-store"):  # DEFECT: caching headers dropped
        response.headers = [h for h in response.headers if h not in NO_STORE]
    return response
