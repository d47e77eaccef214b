"""Token revocation (RFC 7009) and introspection (RFC 7662).

Both need client authentication, by any of the token endpoint's methods. Revocation acts on the
caller's own tokens only (RFC 7009 §2.1: another client's token is refused with
``unauthorized_client`` and stays active); an unknown token is 200 (§2.2). Introspection: the
``introspector`` client may look at any token, other clients at their own; an inactive token (or
one the caller may not see) is exactly ``{"active": false}`` (RFC 7662 §2.2); without caller
authentication 401 (§2.3).
"""

from __future__ import annotations

from .client_auth import ClientIdentity, authenticate
from .context import Context
from .errors import OAuthError, Request, Response, json_response
from .store import digest


def _token_param(form: dict[str, str]) -> str:
    token = form.get("token")
    if not token:
        raise OAuthError(400, "invalid_request", "token is required")
    return token


def handle_revocation(ctx: Context, request: Request) -> Response:
    if request.method != "POST":
        raise OAuthError(405, "invalid_request", "use POST", [("Allow", "POST")])
    form = request.form()
    client = authenticate(ctx, request, form, ctx.config.revocation_endpoint)
    record = ctx.store.get_token(digest(_token_param(form)))
    defects = ctx.defects
    if record is None:
        if defects.on("revocation-unknown-token-400"):  # DEFECT: RFC 7009 §2.2 says 200
            raise OAuthError(400, "invalid_request", "unknown token")
        return Response(200, headers=[("Cache-Control", "no-store")])
    if record.client_id != client.client_id \
            and not defects.on("revocation-cross-client"):  # DEFECT: anyone revokes anything
        raise OAuthError(400, "unauthorized_client", "the token was not issued to this client")
    if not defects.on("revocation-not-effective"):  # DEFECT: 200, but nothing happens
        ctx.store.revoke_token(record.token_hash)
    return Response(200, headers=[("Cache-Control", "no-store")])


def _caller(ctx: Context, request: Request, form: dict[str, str]) -> ClientIdentity | None:
    presents_credentials = bool(request.header_all("Authorization")) or any(
        name in form for name in ("client_id", "client_secret", "client_assertion",
                                  "client_assertion_type"))
    if not presents_credentials and ctx.defects.on("introspection-unauthenticated"):  # DEFECT
        return None  # treated like the introspector
    return authenticate(ctx, request, form, ctx.config.introspection_endpoint)


def handle_introspection(ctx: Context, request: Request) -> Response:
    if request.method != "POST":
        raise OAuthError(405, "invalid_request", "use POST", [("Allow", "POST")])
    form = request.form()
    caller = _caller(ctx, request, form)
    record = ctx.store.get_token(digest(_token_param(form)))
    defects = ctx.defects
    visible = record is not None and (caller is None or caller.role == "introspector"
                                      or caller.client_id == record.client_id)
    if not visible or not record.active(ctx.now()):
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
    body = {"active": True, "scope": record.scope, "client_id": client_id,
            "token_type": record.token_type, "exp": record.expires_at, "iat": record.issued_at,
            "sub": record.client_id, "iss": ctx.config.issuer}
    if record.jkt:
        body["cnf"] = {"jkt": record.jkt}  # RFC 9449 §6.2
    if defects.on("introspection-omits-scope"):  # DEFECT
        del body["scope"]
    return json_response(200, body, no_store=True)
