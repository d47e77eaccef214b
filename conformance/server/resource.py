"""A small protected resource, ``GET /api/resource``, standing in for the HAAPI endpoints.

It accepts the dynamic client's access tokens (the template's scope). A DPoP-bound token is
accepted only as ``Authorization: DPoP <token>`` with a proof signed by the bound key and the
right ``ath`` (RFC 9449 §7.1); as a Bearer token it gets 401. With server nonces on, a proof
without a valid nonce gets 401 ``use_dpop_nonce`` and a ``DPoP-Nonce`` header (§9). Errors carry
``WWW-Authenticate: DPoP`` (RFC 9449 §7.1) or ``Bearer`` (RFC 6750 §3).
"""

from __future__ import annotations

from ..vocabulary import HAAPI_SCOPE
from .access import dpop_unauthorized, presented_token
from .context import Context
from .dpop import USE_NONCE, DpopError, verify_proof
from .errors import OAuthError, bearer_challenge
from .http_messages import Request, Response, json_response
from .store import digest


def _bearer_error(error: str | None, description: str | None) -> OAuthError:
    return OAuthError(401, error, description,
                      [("WWW-Authenticate", bearer_challenge(error, description))])


def _proof_refused(ctx: Context, error: str, description: str, nonce: bool = False) -> OAuthError:
    """401 for a bound token whose proof or key failed (RFC 9449 §7.1: error and algs SHOULD be
    in the DPoP challenge)."""
    defects = ctx.defects
    if error != USE_NONCE and defects.on("resource-dpop-challenge-without-error"):  # DEFECT
        error, description = None, None
    return dpop_unauthorized(ctx, error, description, nonce=nonce,
                             algs=not defects.on("resource-dpop-challenge-without-algs"))  # DEFECT


def handle(ctx: Context, request: Request) -> Response:
    if request.method != "GET":
        raise OAuthError(405, "invalid_request", "use GET", [("Allow", "GET")])
    presented = presented_token(request)
    if presented is None or not presented.token:
        error = None if presented is None else "invalid_token"
        if presented is None and ctx.defects.on("resource-error-without-credentials"):  # DEFECT
            error = "invalid_request"
        err = dpop_unauthorized(ctx, error, None)
        err.headers.append(("WWW-Authenticate", bearer_challenge(error)))
        raise err
    record = ctx.store.get_token(digest(presented.token))
    now = ctx.now()
    active = record is not None and record.active(now)

    if presented.scheme == "dpop":
        if not active:
            raise dpop_unauthorized(ctx, "invalid_token", "the access token is not active")
        if record.jkt is None:
            raise dpop_unauthorized(ctx, "invalid_token", "the token is not DPoP-bound")
        if ctx.defects.on("resource-rejects-valid-proof"):  # DEFECT: every proof refused
            raise dpop_unauthorized(ctx, "invalid_dpop_proof", "the proof is not valid")
        try:
            require_nonce = ctx.settings.dpop_nonce \
                and not ctx.defects.on("resource-nonce-not-required")  # DEFECT: no nonce needed
            proof = verify_proof(ctx, request, access_token=presented.token,
                                 require_nonce=require_nonce)
        except DpopError as exc:
            raise _proof_refused(ctx, exc.error, exc.description, nonce=exc.error == USE_NONCE) \
                from None
        if proof.jkt != record.jkt and not ctx.defects.on("resource-ath-not-checked"):  # DEFECT
            raise _proof_refused(ctx, "invalid_dpop_proof", "the proof key is not the bound key")
    else:
        if not active:
            raise _bearer_error("invalid_token", "the access token is not active")
        if record.jkt is not None \
                and not ctx.defects.on("resource-accepts-bearer-for-dpop-token"):  # DEFECT
            raise dpop_unauthorized(ctx, "invalid_token", "a DPoP-bound token needs the DPoP scheme")

    if HAAPI_SCOPE not in record.scopes:
        raise OAuthError(403, "insufficient_scope", f"the resource needs {HAAPI_SCOPE}",
                         [("WWW-Authenticate", bearer_challenge("insufficient_scope",
                                                                scope=HAAPI_SCOPE))])
    return json_response(200, {"client_id": record.client_id, "scope": record.scope,
                               "token_type": record.token_type}, no_store=True)
