"""Reading the access token a request presents (RFC 6750 §2.1, RFC 9449 §7.1)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import OAuthError, Request

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
