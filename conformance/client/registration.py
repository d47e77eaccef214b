"""Step 2: RFC 7591 registration from a template, and the resulting :class:`DynamicClient`.

The request is ``POST {registration_endpoint}`` with ``Authorization: Bearer <initial token>``
(RFC 6750 §2.1) and the JSON body ``{"software_id": <template>}`` (RFC 7591 §3.1; Curity
templatized DCR). The response (RFC 7591 §3.2.1, RFC 7592 §3) carries the client's credentials
and, with management, ``registration_access_token`` and ``registration_client_uri``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from conformance.client.fields import merged
from conformance.client.http import Exchange, RequestSpec
from conformance.client.jose import PrivateKey
from conformance.profile import Profile
from conformance.vocabulary import DYNAMIC_AUTH_METHODS


def registration_request(
    profile: Profile, initial_token: str | None, metadata: dict[str, Any] | None = None
) -> RequestSpec:
    """``POST`` the template's ``software_id`` (plus ``metadata``; a value of ``OMIT`` removes a
    member, e.g. ``software_id``). ``initial_token=None`` sends no ``Authorization`` header."""
    endpoint = profile.server.registration_endpoint
    if endpoint is None:
        raise ValueError(f"profile {profile.name!r} has no registration_endpoint yet: run discover() first")
    body = merged({"software_id": profile.template.software_id}, metadata)
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    if initial_token is not None:
        headers["Authorization"] = f"Bearer {initial_token}"
    return RequestSpec("POST", endpoint, headers, json=body)


@dataclass(eq=False, repr=False)
class DynamicClient:
    """A registered client. Mutable: RFC 7592 rotation replaces its secret and token in place.

    ``metadata`` is the last full client information response. ``private_key`` is the key
    registered in ``jwks`` when the template asks for ``private_key_jwt`` (bring your own key).
    """

    client_id: str
    client_secret: str | None = None
    registration_access_token: str | None = None
    registration_client_uri: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    auth_method: str = "client_secret_basic"
    private_key: PrivateKey | None = None
    alg: str | None = None
    kid: str | None = None
    main_label: str | None = None  # the main client whose initial token registered it
    dpop_key: Any = None  # the DpopKey this client instance uses (one per instance)
    deleted: bool = False
    last_rotation: Any = None  # management.Rotation of the last read/update made by a DcrSession
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def __repr__(self) -> str:
        flags = [
            f"client_id={self.client_id!r}",
            f"auth_method={self.auth_method!r}",
            f"client_secret={'<hidden>' if self.client_secret else None}",
            f"registration_access_token={'<hidden>' if self.registration_access_token else None}",
            f"registration_client_uri={self.registration_client_uri!r}",
        ]
        if self.deleted:
            flags.append("deleted=True")
        return f"DynamicClient({', '.join(flags)})"

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    def secrets(self) -> list[str]:
        return [v for v in (self.client_secret, self.registration_access_token) if v]

    @classmethod
    def from_body(
        cls,
        body: Any,
        *,
        default_auth_method: str = "client_secret_basic",
        private_key: PrivateKey | None = None,
        main_label: str | None = None,
    ) -> DynamicClient | None:
        """A client from a client information response, or None if it names no ``client_id``."""
        if not isinstance(body, dict) or not isinstance(body.get("client_id"), str) or not body["client_id"]:
            return None
        return cls(
            client_id=body["client_id"],
            client_secret=_str(body.get("client_secret")),
            registration_access_token=_str(body.get("registration_access_token")),
            registration_client_uri=_str(body.get("registration_client_uri")),
            metadata=dict(body),
            auth_method=auth_method_of(body, default_auth_method),
            private_key=private_key,
            main_label=main_label,
        )

    @classmethod
    def from_response(cls, exchange: Exchange, **kwargs: Any) -> DynamicClient | None:
        """The client a registration response created, whatever its status: a non-conformant
        200 still created a client that must be cleaned up. None when no ``client_id`` came back."""
        return cls.from_body(exchange.json(), **kwargs)


def auth_method_of(body: dict[str, Any], default: str) -> str:
    """How the server says the client authenticates: ``token_endpoint_auth_method`` (RFC 7591 §2),
    or Curity's plural ``token_endpoint_auth_methods`` (prefer ``default`` when listed)."""
    single = body.get("token_endpoint_auth_method")
    if isinstance(single, str) and single in DYNAMIC_AUTH_METHODS:
        return single
    plural = body.get("token_endpoint_auth_methods")
    if isinstance(plural, list):
        if default in plural:
            return default
        for method in plural:
            if method in DYNAMIC_AUTH_METHODS:
                return method
    return default


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
