"""Reading the access token a request presents (RFC 6750 §2.1, RFC 9449 §7.1)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..vocabulary import DCRM_SCOPE
from .config import DPOP_ALGS
from .context import Context
from .errors import OAuthError, bearer_challenge
from .http_messages import Request
from .store import TokenRecord

_TOKEN68 = re.compile(r"^[A-Za-z0-9\-._~+/]+=*$")  # RFC 6750 §2.1 b64token


@dataclass(frozen=True)
class Presented:
    scheme: str  # "bearer" or "dpop", lower-case
    token: str


def presented_token(request: Request) -> Presented | None:
    """The ``Authorization: Bearer|DPoP <token>`` of a request; None when there is none (or
    another scheme, which is the same as no token for a Bearer-protected resource)."""
    values = request.header_all("Authorization")
    if len(values) > 1:
        raise OAuthError(400, "invalid_request", "more than one Authorization header")
    if not values:
        return None
    scheme, _, token = values[0].strip().partition(" ")
    scheme = scheme.lower()
    if scheme not in ("bearer", "dpop"):
        return None
    token = token.strip()
    if not token or not _TOKEN68.match(token):
        return Presented(scheme, "")
    return Presented(scheme, token)


def presented_at_registration(ctx: Context, request: Request) -> Presented | None:
    """:func:`presented_token` at the registration and client configuration endpoints."""
    try:
        return presented_token(request)
    except OAuthError as exc:
        if ctx.defects.on("bearer-invalid-request-401"):  # DEFECT: invalid_request answered 401
            raise OAuthError(401, exc.error, exc.description,
                             [("WWW-Authenticate", bearer_challenge(exc.error, exc.description))]) from None
        raise


def managers_token(ctx: Context, record: TokenRecord | None) -> bool:
    """An active, unbound access token with scope ``dcrm`` issued to a management client (Curity
    ``management-clients``): it may manage any dynamic client (RFC 7592, DCR GraphQL)."""
    if record is None or record.jkt is not None or not record.active(ctx.now()) \
            or DCRM_SCOPE not in record.scopes:
        return False
    issuer = ctx.config.clients.get(record.client_id)
    return issuer is not None and issuer.role == "management"


def dpop_unauthorized(ctx: Context, error: str | None, description: str | None,
                      nonce: bool = False, algs: bool = True) -> OAuthError:
    """401 with ``WWW-Authenticate: DPoP ... algs`` (RFC 9449 §7.1), and a fresh ``DPoP-Nonce``
    when the error is ``use_dpop_nonce`` (§9)."""
    challenge = bearer_challenge(error, description, scheme="DPoP")
    if algs:
        challenge += f', algs="{" ".join(DPOP_ALGS)}"'
    headers = [("WWW-Authenticate", challenge)]
    if nonce:
        headers.append(("DPoP-Nonce", ctx.nonces.issue(ctx.now())))
    return OAuthError(401, error, description, headers)
