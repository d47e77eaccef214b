"""RFC 7592 management of a dynamic client: read, update, delete, and rotation.

Every request goes to ``registration_client_uri`` with ``Authorization: Bearer
<registration_access_token>`` (RFC 7592 §2), or another Bearer token given as ``token`` (a
Curity management client's ``dcrm`` token). A read or update MAY return a new
``client_secret`` and/or ``registration_access_token``; the client MUST then discard the old
ones (§2.1) — :func:`adopt_rotation` does that, and returns what changed so checks can show the
old values are rejected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance.client.fields import merged
from conformance.client.http import Exchange, RequestSpec
from conformance.client.registration import DynamicClient, auth_method_of

#: Members a PUT MUST NOT include (RFC 7592 §2.2), plus Curity's token lifetime extension.
FORBIDDEN_IN_UPDATE = frozenset(
    {
        "registration_access_token",
        "registration_client_uri",
        "client_secret_expires_at",
        "client_id_issued_at",
        "registration_access_token_expires_in",
    }
)


def _request(method: str, dyn: DynamicClient, token: str | None = None, **kwargs: Any) -> RequestSpec:
    if not dyn.registration_client_uri:
        raise ValueError(f"dynamic client {dyn.client_id!r} has no registration_client_uri")
    headers: dict[str, str | list[str]] = {"Accept": "application/json"}
    token = token or dyn.registration_access_token
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return RequestSpec(method, dyn.registration_client_uri, headers, **kwargs)


def read_request(dyn: DynamicClient, token: str | None = None) -> RequestSpec:
    """``GET registration_client_uri`` (RFC 7592 §2.1)."""
    return _request("GET", dyn, token)


def update_body(
    dyn: DynamicClient, metadata: dict[str, Any] | None = None, *, include_secret: bool = True
) -> dict[str, Any]:
    """The full metadata of the last response minus the forbidden members, with ``client_id``
    (RFC 7592 §2.2), then ``metadata`` (``OMIT`` removes a member). The current secret is
    included, as in the RFC's example (it MUST match when present)."""
    with dyn.lock:
        body = {k: v for k, v in dyn.metadata.items() if k not in FORBIDDEN_IN_UPDATE}
        body["client_id"] = dyn.client_id
        if include_secret and dyn.client_secret:
            body["client_secret"] = dyn.client_secret
        else:
            body.pop("client_secret", None)
    return merged(body, metadata)


def update_request(
    dyn: DynamicClient, metadata: dict[str, Any] | None = None, *, include_secret: bool = True,
    token: str | None = None,
) -> RequestSpec:
    """``PUT registration_client_uri`` with the full metadata (RFC 7592 §2.2)."""
    spec = _request("PUT", dyn, token, json=update_body(dyn, metadata, include_secret=include_secret))
    spec.headers["Content-Type"] = "application/json"
    return spec


def delete_request(dyn: DynamicClient, token: str | None = None) -> RequestSpec:
    """``DELETE registration_client_uri`` (RFC 7592 §2.3)."""
    return _request("DELETE", dyn, token)


@dataclass(frozen=True, repr=False)
class Rotation:
    """What a read or update changed. The old values are kept for the negatives."""

    old_client_secret: str | None
    new_client_secret: str | None
    old_registration_access_token: str | None
    new_registration_access_token: str | None

    @property
    def secret_rotated(self) -> bool:
        return self.new_client_secret is not None

    @property
    def token_rotated(self) -> bool:
        return self.new_registration_access_token is not None

    def __bool__(self) -> bool:
        return self.secret_rotated or self.token_rotated

    def __repr__(self) -> str:
        return f"Rotation(secret_rotated={self.secret_rotated}, token_rotated={self.token_rotated})"


def adopt_rotation(dyn: DynamicClient, exchange: Exchange) -> Rotation:
    """Take the client information of a 200 read/update (RFC 7592 §2.1, §2.2): new
    ``client_secret`` / ``registration_access_token`` replace the old ones (which the client
    MUST discard), and ``metadata`` becomes the new full response. Anything else: no change."""
    body = exchange.json()
    unchanged = Rotation(None, None, None, None)
    if exchange.status != 200 or not isinstance(body, dict) or body.get("client_id") != dyn.client_id:
        return unchanged
    with dyn.lock:
        new_secret = body.get("client_secret")
        new_rat = body.get("registration_access_token")
        rotation = Rotation(
            dyn.client_secret,
            new_secret if isinstance(new_secret, str) and new_secret and new_secret != dyn.client_secret else None,
            dyn.registration_access_token,
            new_rat if isinstance(new_rat, str) and new_rat and new_rat != dyn.registration_access_token else None,
        )
        if rotation.new_client_secret:
            dyn.client_secret = rotation.new_client_secret
        if rotation.new_registration_access_token:
            dyn.registration_access_token = rotation.new_registration_access_token
        uri = body.get("registration_client_uri")
        if isinstance(uri, str) and uri:
            dyn.registration_client_uri = uri
        dyn.metadata = dict(body)
        dyn.auth_method = auth_method_of(body, dyn.auth_method)
    return rotation
