"""Step 3: the dynamic client's own token requests, and calls to a protected resource.

* :func:`dynamic_token_request`: client_credentials with the dynamic client's credentials and,
  when DPoP is on, a ``DPoP`` proof (RFC 9449 §5) for ``POST {token_endpoint}``.
* :func:`send_with_nonce_retry`: sends, and when the server answers ``use_dpop_nonce`` with a
  ``DPoP-Nonce`` header (RFC 9449 §8 token endpoint, 400; §9 resource server, 401) sends once
  more with a fresh proof carrying that nonce.
* :func:`resource_request`: ``Authorization: DPoP <token>`` plus a proof with ``ath``
  (RFC 9449 §7.1), or ``Bearer`` (RFC 6750 §2.1) for bearer tokens.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from conformance.client.auth import authenticate
from conformance.client.http import Exchange, RequestSpec, Transport
from conformance.client.jose import DpopKey
from conformance.client.token import client_credentials
from conformance.profile import Profile

_USE_DPOP_NONCE = re.compile(r'error\s*=\s*"?use_dpop_nonce"?', re.IGNORECASE)


def dynamic_token_request(
    profile: Profile,
    dyn: Any,
    *,
    scope: str | None = None,
    dpop_key: DpopKey | None = None,
    nonce: str | None = None,
    **auth: Any,
) -> RequestSpec:
    """The dynamic client's ``grant_type=client_credentials`` request (default scope:
    ``[use] scope``), with a DPoP proof when ``dpop_key`` is given. ``auth`` goes to
    :func:`~conformance.client.auth.authenticate` (e.g. ``secret_override``)."""
    url = profile.token_endpoint_for(dyn)
    auth.setdefault("audience", url)
    spec = authenticate(client_credentials(url, scope or profile.use.scope), dyn, **auth)
    if dpop_key is not None:
        spec.headers["DPoP"] = dpop_key.proof("POST", url, nonce=nonce)
    return spec


def nonce_challenge(exchange: Exchange) -> str | None:
    """The ``DPoP-Nonce`` to retry with when the answer is a ``use_dpop_nonce`` error
    (JSON ``error`` at the token endpoint, RFC 9449 §8; ``WWW-Authenticate`` at a resource, §9)."""
    if exchange.status not in (400, 401):
        return None
    nonce = exchange.header("DPoP-Nonce")
    if not nonce:
        return None
    body = exchange.json()
    if isinstance(body, dict) and body.get("error") == "use_dpop_nonce":
        return nonce
    challenge = exchange.header("WWW-Authenticate") or ""
    return nonce if _USE_DPOP_NONCE.search(challenge) else None


def send_with_nonce_retry(
    transport: Transport, build: Callable[[str | None], RequestSpec], nonce: str | None = None
) -> Exchange:
    """Send ``build(nonce)``; on a ``use_dpop_nonce`` answer send ``build(new_nonce)`` once.

    The returned exchange is the last one; when a retry happened its ``retry_of`` is the first.
    """
    first = transport.send(build(nonce))
    new_nonce = nonce_challenge(first)
    if new_nonce is None:
        return first
    retry = transport.send(build(new_nonce))
    retry.retry_of = first
    return retry


def resource_request(
    url: str,
    access_token: str,
    token_type: str | None,
    dpop_key: DpopKey | None,
    *,
    method: str = "GET",
    nonce: str | None = None,
    accept: str = "application/json",
) -> RequestSpec:
    """A call to a protected resource: ``DPoP <token>`` + proof with ``ath`` for DPoP-bound
    tokens (RFC 9449 §7.1), else ``Bearer <token>`` (RFC 6750 §2.1)."""
    headers: dict[str, str | list[str]] = {"Accept": accept}
    if dpop_key is not None and (token_type or "").lower() == "dpop":
        headers["Authorization"] = f"DPoP {access_token}"
        headers["DPoP"] = dpop_key.proof(method, url, nonce=nonce, access_token=access_token)
    else:
        headers["Authorization"] = f"Bearer {access_token}"
    return RequestSpec(method, url, headers)
