"""Token revocation (RFC 7009) and introspection (RFC 7662).

Both need client authentication, by any of the token endpoint's methods. Revocation acts on the
caller's own tokens only (RFC 7009 §2.1: another client's token is refused with
``unauthorized_client`` and stays active); an unknown token is 200 (§2.2). Introspection: the
``introspector`` client may look at any token, other clients at their own; an inactive token (or
one the caller may not see) is exactly ``{"active": false}`` (RFC 7662 §2.2); without caller
authentication 401 (§2.3). Refresh tokens (code flow, :mod:`.grants`) are found too:
revoking one also revokes the access tokens of its grant (RFC 7009 §2.1 SHOULD).
"""

from __future__ import annotations

from . import signed_tokens
from .client_auth import ClientIdentity, authenticate
from .context import Context
from .errors import OAuthError
from .forms import form_body
from .http_messages import Request, Response, json_response
from .store import REFRESH, TokenRecord, digest, refresh_hash


def _token_param(form: dict[str, str]) -> str:
    token = form.get("token")
    if not token:
        raise OAuthError(400, "invalid_request", "token is required")
    return token


def _lookup(ctx: Context, token: str, hint: str | None, *, revoking: bool = False) -> TokenRecord | None:
    """The access or refresh token ``token``; the hint only orders the search (RFC 7009 §2.1)."""
    keys = [digest(token), refresh_hash(token)]
    if hint == REFRESH:
        keys.reverse()
    if revoking and hint in (REFRESH, "access_token") \
            and ctx.defects.on("revocation-hint-trusted"):  # DEFECT: only the hinted type is searched
        keys = keys[:1]
    for key in keys:
        record = ctx.store.get_token(key)
        if record is not None:
            return record
    return None


def _revoke_refresh(ctx: Context, record: TokenRecord) -> None:
    """A refresh token, and (RFC 7009 §2.1 SHOULD) the access tokens of the same grant."""
    if ctx.defects.on("revoked-refresh-token-still-works"):  # DEFECT: 200, nothing revoked
        return
    if record.grant_id is None \
            or ctx.defects.on("refresh-revocation-keeps-access-tokens"):  # DEFECT: RT only
        ctx.store.revoke_token(record.token_hash)
    else:
        ctx.store.revoke_grant(record.grant_id)


def handle_revocation(ctx: Context, request: Request) -> Response:
    if request.method != "POST":
        raise OAuthError(405, "invalid_request", "use POST", [("Allow", "POST")])
    form = form_body(request)
    client = authenticate(ctx, request, form, ctx.config.revocation_endpoint)
    record = _lookup(ctx, _token_param(form), form.get("token_type_hint"), revoking=True)
    defects = ctx.defects
    if record is None:
        if defects.on("revocation-unknown-token-400"):  # DEFECT: RFC 7009 §2.2 says 200
            raise OAuthError(400, "invalid_request", "unknown token")
        return _revoked(ctx)
    if record.client_id != client.client_id \
            and not defects.on("revocation-cross-client"):  # DEFECT: anyone revokes anything
        if ctx.variants.on("revocation-foreign-token-200"):  # VARIANT: an invalid token for it
            return _revoked(ctx)
        raise OAuthError(400, "unauthorized_client", "the token was not issued to this client")
    if defects.on("revocation-not-effective"):  # DEFECT: 200, but nothing happens
        pass
    elif record.token_type == REFRESH:
        _revoke_refresh(ctx, record)
    else:
        ctx.store.revoke_token(record.token_hash)
    return _revoked(ctx)


def _revoked(ctx: Context) -> Response:
    """200 (RFC 7009 §2.2): empty, or with a JSON body the client ignores (variant)."""
    if ctx.variants.on("revocation-json-body"):  # VARIANT: a body, ignored by the client
        return json_response(200, {"revoked": True}, no_store=True)
    return Response(200, headers=[("Cache-Control", "no-store")])


def _caller(ctx: Context, request: Request, form: dict[str, str]) -> ClientIdentity | None:
    presents_credentials = bool(request.header_all("Authorization")) or any(
        name in form for name in ("client_id", "client_secret", "client_assertion",
                                  "client_assertion_type"))
    if not presents_credentials and ctx.defects.on("introspection-unauthenticated"):  # DEFECT
        return None  # treated like the introspector
    try:
        return authenticate(ctx, request, form, ctx.config.introspection_endpoint)
    except OAuthError as exc:  # RFC 7662 §2.3: 401 here, also under the variant (token endpoint only)
        if exc.error == "invalid_client" and exc.status == 400:
            raise OAuthError(401, exc.error, exc.description,
                             [("WWW-Authenticate", 'Basic realm="dcr-conformance"')]) from None
        raise


def handle_introspection(ctx: Context, request: Request) -> Response:
    if request.method != "POST":
        raise OAuthError(405, "invalid_request", "use POST", [("Allow", "POST")])
    form = form_body(request)
    caller = _caller(ctx, request, form)
    token, hint = _token_param(form), form.get("token_type_hint")
    record = _lookup(ctx, token, hint)
    defects = ctx.defects
    if record is None and token and defects.on("introspection-signature-not-verified"):  # DEFECT: no signature check
        issued = ctx.tokens_by_signing_input.get(signed_tokens.signing_input(token))
        record = _lookup(ctx, issued, hint) if issued else None
    if defects.on("introspection-trusts-hint") and hint == REFRESH:  # DEFECT: only where the hint points
        record = ctx.store.get_token(refresh_hash(token))
    visible = record is not None and (caller is None or caller.role == "introspector"
                                      or caller.client_id == record.client_id
                                      or defects.on("introspection-any-client"))  # DEFECT: any caller sees it
    now = ctx.now()
    if defects.on("introspection-expired-active"):  # DEFECT: expiry ignored
        now = min(now, record.expires_at - 1) if record is not None else now
    if not visible or not record.active(now):
        body: dict = {"active": False}
        if defects.on("introspection-inactive-leaks-claims"):  # DEFECT: a default token object
            body.update(client_id=None, scope="", exp=0)
            if visible:
                body.update(client_id=record.client_id, scope=record.scope, exp=record.expires_at)
        return json_response(200, body, no_store=True)
    client_id = record.client_id
    if defects.on("introspection-wrong-client-id"):  # DEFECT: the template id, not the client's
        dynamic = ctx.store.get_client(client_id)
        if dynamic is not None:
            client_id = dynamic.software_id
    token_type = record.token_type
    if record.jkt and defects.on("introspection-token-type-bearer"):  # DEFECT: bound, called Bearer
        token_type = "Bearer"
    body = {"active": True, "scope": record.scope, "client_id": client_id,
            "token_type": token_type, "exp": record.expires_at, "iat": record.issued_at,
            "sub": record.client_id, "iss": ctx.config.issuer}
    if record.jkt:
        body["cnf"] = {"jkt": record.jkt}  # RFC 9449 §6.2
    if defects.on("introspection-omits-scope"):  # DEFECT
        del body["scope"]
    if ctx.variants.on("introspection-minimal"):  # VARIANT: every member but active is OPTIONAL
        for name in ("token_type", "iat", "sub", "iss"):
            body.pop(name, None)
    if ctx.variants.on("introspection-extra-members"):  # VARIANT: service-specific members
        body.update(aud=ctx.config.issuer, nbf=record.issued_at, jti=record.token_hash[:16],
                    x_vendor_grant="client_credentials" if record.grant_id is None else "code")
    return json_response(200, body, no_store=True)
