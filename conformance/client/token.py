"""Step 1: the initial access token (client_credentials, ``scope=dcr``).

The main client asks the token endpoint for a one-shot registration token with the
client_credentials grant (RFC 6749 §4.4.2), authenticating with its own method; mTLS clients post
to the mTLS alias of the token endpoint (RFC 8705 §5).
"""

from __future__ import annotations

from typing import Any

from conformance.client.auth import authenticate
from conformance.client.http import Exchange, RequestSpec
from conformance.profile import ClientConfig, Profile
from conformance.vocabulary import DCR_SCOPE


def client_credentials(url: str, scope: str | None) -> RequestSpec:
    """An unauthenticated ``grant_type=client_credentials`` request (RFC 6749 §4.4.2)."""
    form = {"grant_type": "client_credentials"}
    if scope is not None:
        form["scope"] = scope
    return RequestSpec("POST", url, {"Accept": "application/json"}, form=form)


def initial_token_request(
    profile: Profile, client: ClientConfig, scope: str | None = DCR_SCOPE, **auth: Any
) -> RequestSpec:
    """The main client's token request for the initial registration token.

    ``auth`` goes to :func:`~conformance.client.auth.authenticate` (``secret_override``,
    ``assertion_overrides``, ...). JWT assertions are addressed to the token endpoint URL.
    """
    url = profile.token_endpoint_for(client)
    auth.setdefault("audience", url)
    return authenticate(client_credentials(url, scope), client, **auth)


def access_token_of(exchange: Exchange) -> str | None:
    """``access_token`` from a token response (RFC 6749 §5.1), or None."""
    body = exchange.json()
    token = body.get("access_token") if isinstance(body, dict) else None
    return token if isinstance(token, str) and token else None
