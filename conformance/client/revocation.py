"""Revocation (RFC 7009) and introspection (RFC 7662) requests.

Both are form posts authenticated like the token endpoint (RFC 7009 §2.1, RFC 7662 §2.1), by a
main client, the introspector or a dynamic client.
"""

from __future__ import annotations

from typing import Any

from conformance.client.auth import authenticate
from conformance.client.http import RequestSpec
from conformance.profile import Profile


def _post(
    profile: Profile, url: str | None, what: str, client: Any, form: dict[str, str], auth: dict[str, Any]
) -> RequestSpec:
    if url is None:
        raise ValueError(f"profile {profile.name!r} has no {what}; set it or server.issuer for discovery")
    spec = RequestSpec("POST", url, {"Accept": "application/json"}, form=form)
    if client is None:
        return spec  # unauthenticated (RFC 7662 §2.3 / RFC 7009 §2.1 negatives)
    auth.setdefault("audience", profile.server.token_endpoint or url)
    return authenticate(spec, client, **auth)


def revocation_request(
    profile: Profile, client: Any, token: str, hint: str | None = None, **auth: Any
) -> RequestSpec:
    """``POST {revocation_endpoint}`` with ``token`` and optional ``token_type_hint``
    (``access_token`` / ``refresh_token``), RFC 7009 §2.1. ``client=None``: no authentication."""
    form = {"token": token}
    if hint is not None:
        form["token_type_hint"] = hint
    return _post(profile, profile.server.revocation_endpoint, "revocation_endpoint", client, form, auth)


def introspection_request(
    profile: Profile, client: Any, token: str, hint: str | None = None, **auth: Any
) -> RequestSpec:
    """``POST {introspection_endpoint}`` with ``token`` (RFC 7662 §2.1). ``client=None``: no
    caller authentication (the RFC 7662 §2.3 negative)."""
    form = {"token": token}
    if hint is not None:
        form["token_type_hint"] = hint
    return _post(profile, profile.server.introspection_endpoint, "introspection_endpoint", client, form, auth)
