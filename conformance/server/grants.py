"""The code-flow grants of the token endpoint: ``authorization_code`` and ``refresh_token``.

Only dynamic clients whose registration holds the grant type use them (RFC 6749 §5.2
``unauthorized_client`` otherwise), authenticating as for client_credentials.

* ``authorization_code`` (RFC 6749 §4.1.3): the code is single use (a second use is refused and
  revokes the grant's tokens, §4.1.2), short-lived, issued to this client for this
  ``redirect_uri``, and its PKCE ``code_verifier`` must match (RFC 7636 §4.6). The code is bound to
  the HAAPI DPoP key, so a proof by that key is required (a missing proof is
  ``invalid_dpop_proof``, as Curity answers for bound codes; another key is ``invalid_grant``).
* ``refresh_token`` (RFC 6749 §6): the refresh token is bound to the DPoP key of the code
  exchange, as Curity's token binding does (RFC 9449 §5 requires it for public clients only);
  another key is ``invalid_grant``. Each refresh rotates the refresh token; presenting a rotated
  one again revokes the grant (replay detection).

Both answer a DPoP-bound access token and a refresh token, stored as hashes; the refresh token
under :func:`~conformance.server.store.refresh_hash`, so it is never mistaken for an access token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from .client_auth import authenticate
from .context import Context
from .dpop import DpopError, Proof, verify_proof
from .errors import OAuthError
from .http_messages import Request, Response, json_response
from .store import REFRESH, TokenRecord, digest, refresh_hash

CODE = "authorization_code"
GRANTS = (CODE, REFRESH)


def _grant_error(description: str) -> OAuthError:
    return OAuthError(400, "invalid_grant", description)


def handle(ctx: Context, request: Request, form: dict[str, str], grant_type: str) -> Response:
    client_id, metadata = _client(ctx, request, form, grant_type)
    if metadata is not None and grant_type not in metadata.get("grant_types", []):
        raise OAuthError(400, "unauthorized_client", f"the client is not registered for {grant_type}")
    needs_proof = bool(metadata and metadata.get("dpop_bound_access_tokens"))
    if grant_type == CODE:
        return _exchange_code(ctx, request, form, client_id)
    return _refresh(ctx, request, form, client_id, needs_proof)


def _client(ctx: Context, request: Request, form: dict[str, str],
            grant_type: str) -> tuple[str, dict | None]:
    """The authenticated dynamic client and its registered metadata."""
    if grant_type == REFRESH and ctx.defects.on("refresh-survives-delete"):  # DEFECT: see below
        # A DPoP-bound refresh token is taken as the client's authentication (public-client style),
        # so nothing notices that its client was deleted (its refresh tokens outlive the DELETE).
        record = ctx.store.get_token(refresh_hash(form.get("refresh_token") or ""))
        if record is not None and record.jkt is not None:
            dynamic = ctx.store.get_client(record.client_id)
            return record.client_id, dynamic.metadata if dynamic is not None else None
    client = authenticate(ctx, request, form, ctx.config.token_endpoint)
    if client.dynamic is None:
        raise OAuthError(400, "unauthorized_client", f"{grant_type} is for dynamic clients only")
    return client.client_id, client.dynamic.metadata


def _proof(ctx: Context, request: Request, required: bool) -> Proof | None:
    if not request.header_all("DPoP"):
        if required:
            raise OAuthError(400, "invalid_dpop_proof", "a DPoP proof is required")
        return None
    try:
        return verify_proof(ctx, request, require_nonce=ctx.settings.dpop_nonce)
    except DpopError as exc:
        raise OAuthError(400, exc.error, exc.description, _nonce_header(ctx)) from None


def _nonce_header(ctx: Context) -> list[tuple[str, str]]:
    return [("DPoP-Nonce", ctx.nonces.issue(ctx.now()))] if ctx.settings.dpop_nonce else []


def _pkce_matches(verifier: str, challenge: str) -> bool:
    """RFC 7636 §4.6: BASE64URL(SHA256(ASCII(code_verifier))) == code_challenge."""
    if not 43 <= len(verifier) <= 128 or not verifier.isascii():
        return False
    computed = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest())
    return hmac.compare_digest(computed.rstrip(b"=").decode(), challenge)


def _exchange_code(ctx: Context, request: Request, form: dict[str, str], client_id: str) -> Response:
    code = form.get("code")
    if not code:
        raise OAuthError(400, "invalid_request", "code is required")
    proof = _proof(ctx, request, required=True)  # before the code is spent: a nonce retry keeps it
    grant = ctx.flows.redeem(digest(code))
    if grant is None or ctx.now() >= grant.expires_at:
        raise _grant_error("the code is unknown or expired")
    if grant.used:
        ctx.store.revoke_grant(grant.grant_id)  # RFC 6749 §4.1.2: SHOULD revoke what it issued
        raise _grant_error("the code was already used")
    if grant.client_id != client_id:
        raise _grant_error("the code was issued to another client")
    if form.get("redirect_uri") != grant.redirect_uri:
        raise _grant_error("redirect_uri differs from the authorization request's")
    if not _pkce_matches(form.get("code_verifier") or "", grant.code_challenge):
        raise _grant_error("code_verifier does not match the code_challenge")
    if grant.dpop_jkt is not None and proof.jkt != grant.dpop_jkt:  # RFC 9449 §10
        raise _grant_error("the code is bound by dpop_jkt to another DPoP key")
    if proof.jkt != grant.jkt:
        raise _grant_error("the code is bound to another DPoP key")
    access_jkt = proof.jkt
    if ctx.defects.on("code-exchange-token-not-dpop"):  # DEFECT: a plain bearer token
        access_jkt = None
    return _issue(ctx, client_id, grant.scope, grant.grant_id, access_jkt, proof.jkt)


def _refresh(ctx: Context, request: Request, form: dict[str, str], client_id: str,
             needs_proof: bool) -> Response:
    value = form.get("refresh_token")
    if not value:
        raise OAuthError(400, "invalid_request", "refresh_token is required")
    record = ctx.store.get_token(refresh_hash(value))
    proof = _proof(ctx, request, required=needs_proof or (record is not None and record.jkt is not None))
    now = ctx.now()
    if record is None or record.token_type != REFRESH or record.client_id != client_id:
        raise _grant_error("the refresh token is unknown or was issued to another client")
    if record.used and not record.revoked and record.grant_id:
        ctx.store.revoke_grant(record.grant_id)  # a rotated refresh token came back: replay
    if not record.active(now):
        raise _grant_error("the refresh token is not active")
    if record.jkt is not None and (proof is None or proof.jkt != record.jkt) \
            and not ctx.defects.on("refresh-token-not-bound"):  # DEFECT: any key refreshes
        raise _grant_error("the refresh token is bound to another DPoP key")
    scope = record.scope
    if form.get("scope"):
        requested = form["scope"].split()
        if not set(requested) <= record.scopes:
            raise OAuthError(400, "invalid_scope", "the scope exceeds the original grant")
        scope = " ".join(dict.fromkeys(requested))
    if ctx.variants.on("refresh-token-not-rotated"):  # VARIANT: the refresh token stays valid
        return _issue(ctx, client_id, scope, record.grant_id, proof.jkt if proof else None,
                      record.jkt, new_refresh_token=False)
    if not ctx.store.consume_token(record.token_hash, now):
        raise _grant_error("the refresh token was used concurrently")
    return _issue(ctx, client_id, scope, record.grant_id, proof.jkt if proof else None, record.jkt)


def _issue(ctx: Context, client_id: str, scope: str, grant_id: str | None,
           access_jkt: str | None, refresh_jkt: str | None, *, new_refresh_token: bool = True) -> Response:
    """An access token (DPoP-bound to ``access_jkt``) and a refresh token bound to ``refresh_jkt``."""
    now, settings, store = int(ctx.now()), ctx.settings, ctx.store
    access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    token_type = "DPoP" if access_jkt else "Bearer"
    store.add_token(TokenRecord(digest(access), client_id, scope, now, now + settings.access_token_ttl_s,
                                token_type=token_type, jkt=access_jkt, grant_id=grant_id))
    body = {"access_token": access, "token_type": token_type, "expires_in": settings.access_token_ttl_s,
            "scope": scope}
    if new_refresh_token:
        store.add_token(TokenRecord(refresh_hash(refresh), client_id, scope, now,
                                    now + settings.refresh_token_ttl_s, token_type=REFRESH,
                                    jkt=refresh_jkt, grant_id=grant_id))
        body["refresh_token"] = refresh
    shape_token_response(ctx, body)
    return json_response(200, body, _nonce_header(ctx) if access_jkt else [], no_store=True)


def shape_token_response(ctx: Context, body: dict) -> None:
    """Variants of every token response (RFC 6749 §5.1): expires_in omitted, token_type's case."""
    if ctx.variants.on("token-expires-in-omitted"):  # VARIANT: expires_in is RECOMMENDED only
        del body["expires_in"]
    if ctx.variants.on("token-type-lowercase"):  # VARIANT: token_type is case insensitive
        body["token_type"] = body["token_type"].lower()
