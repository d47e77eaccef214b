"""The HAAPI code flow's requests: authorization (PKCE), code exchange and refresh.

* :class:`Pkce`: a ``code_verifier`` and its ``S256`` ``code_challenge`` (RFC 7636 §4.1-4.2).
* :func:`authorization_url`: the authorization request of the dynamic client (RFC 6749 §4.1.1)
  with the profile's ``[code_flow]`` redirect URI and scope.
* :func:`haapi_request`: one HAAPI call: ``Accept: application/vnd.auth+json``,
  ``Authorization: DPoP <HAAPI access token>`` and a proof with ``ath`` (RFC 9449 §7.1).
* :func:`code_token_request` / :func:`refresh_token_request`: the dynamic client's
  ``authorization_code`` (RFC 6749 §4.1.3) and ``refresh_token`` (§6) requests, authenticated as
  for its client_credentials requests, with a DPoP proof when a key is given (RFC 9449 §5).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from conformance.client.auth import authenticate
from conformance.client.http import MISSING, RequestSpec
from conformance.client.jose import DpopKey
from conformance.profile import Profile

HAAPI_MEDIA_TYPE = "application/vnd.auth+json"


@dataclass(frozen=True, repr=False)
class Pkce:
    """A PKCE pair; the verifier is a secret until the code exchange."""

    verifier: str
    challenge: str
    method: str = "S256"

    @classmethod
    def generate(cls) -> Pkce:
        verifier = secrets.token_urlsafe(48)  # 64 characters of the unreserved set (RFC 7636 §4.1)
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        return cls(verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii"))

    def __repr__(self) -> str:
        return f"Pkce(challenge={self.challenge!r}, method={self.method!r})"


def authorization_url(profile: Profile, dyn: Any, pkce: Pkce, state: str, dpop_jkt: str | None = None) -> str:
    """``{authorization_endpoint}?client_id&response_type=code&redirect_uri&scope&state&code_challenge
    &code_challenge_method=S256`` for the dynamic client, with ``dpop_jkt`` (RFC 9449 §10) when given."""
    flow = profile.code_flow
    if flow.authorization_endpoint is None:
        raise ValueError(f"profile {profile.name!r} has no [code_flow] authorization_endpoint yet: run discover()")
    params = {"client_id": dyn.client_id, "response_type": "code", "redirect_uri": flow.redirect_uri,
              "scope": flow.scope, "state": state, "code_challenge": pkce.challenge,
              "code_challenge_method": pkce.method}
    if dpop_jkt is not None:
        params["dpop_jkt"] = dpop_jkt
    separator = "&" if "?" in flow.authorization_endpoint else "?"
    return flow.authorization_endpoint + separator + urlencode(params)


def haapi_request(
    method: str,
    url: str,
    access_token: str,
    dpop_key: DpopKey,
    *,
    nonce: str | None = None,
    form: dict[str, str] | None = None,
    json: object = MISSING,
) -> RequestSpec:
    """A HAAPI request with the DPoP-bound HAAPI access token (RFC 9449 §7.1, §4.2 ``ath``)."""
    headers: dict[str, str | list[str]] = {
        "Accept": HAAPI_MEDIA_TYPE,
        "Authorization": f"DPoP {access_token}",
        "DPoP": dpop_key.proof(method, url, nonce=nonce, access_token=access_token),
    }
    return RequestSpec(method, url, headers, form=form, json=json)


def _token_request(profile: Profile, dyn: Any, form: dict[str, str], dpop_key: DpopKey | None,
                   nonce: str | None, auth: dict[str, Any]) -> RequestSpec:
    url = profile.token_endpoint_for(dyn)
    auth.setdefault("audience", url)
    spec = authenticate(RequestSpec("POST", url, {"Accept": "application/json"}, form=form), dyn, **auth)
    if dpop_key is not None:
        spec.headers["DPoP"] = dpop_key.proof("POST", url, nonce=nonce)
    return spec


def code_token_request(
    profile: Profile, dyn: Any, code: str, pkce: Pkce, *, dpop_key: DpopKey | None = None,
    nonce: str | None = None, **auth: Any,
) -> RequestSpec:
    """``grant_type=authorization_code`` with the code, the redirect URI and the PKCE verifier."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": profile.code_flow.redirect_uri or "",
            "code_verifier": pkce.verifier}
    return _token_request(profile, dyn, form, dpop_key, nonce, auth)


def refresh_token_request(
    profile: Profile, dyn: Any, refresh_token: str, *, scope: str | None = None,
    dpop_key: DpopKey | None = None, nonce: str | None = None, **auth: Any,
) -> RequestSpec:
    """``grant_type=refresh_token`` (RFC 6749 §6), optionally narrowing the scope."""
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    if scope is not None:
        form["scope"] = scope
    return _token_request(profile, dyn, form, dpop_key, nonce, auth)


def refresh_token_of(body: object) -> str | None:
    """``refresh_token`` of a token response body (RFC 6749 §5.1), or None."""
    token = body.get("refresh_token") if isinstance(body, dict) else None
    return token if isinstance(token, str) and token else None
