"""Step 2: RFC 7591 registration, and the resulting :class:`DynamicClient`.

The request is ``POST {registration_endpoint}`` with ``Authorization: Bearer <initial token>``
(RFC 6750 §2.1) and the JSON body the app sends (RFC 7591 §3.1): the template's ``software_id``
(Curity templatized DCR) when the profile names one, the ``[registration]`` metadata (RFC 7591
§2), and ``jwks`` with a fresh per-device public key when the body asks for one or the client
authenticates with ``private_key_jwt``. The response (RFC 7591 §3.2.1, RFC 7592 §3) carries the
client's credentials and, with management, ``registration_access_token`` and
``registration_client_uri``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from conformance.client.fields import OMIT, merged
from conformance.client.http import Exchange, RequestSpec
from conformance.client.jose import PrivateKey, public_jwk
from conformance.profile import Profile
from conformance.vocabulary import DYNAMIC_AUTH_METHODS


def registration_body(
    profile: Profile, metadata: dict[str, Any] | None = None, device_key: PrivateKey | None = None
) -> dict[str, Any]:
    """The JSON body the app sends: ``software_id`` (with a template), the ``[registration]``
    members, then ``metadata`` (a value of ``OMIT`` removes a member), and ``jwks`` holding
    ``device_key``'s public JWK when given (unless ``metadata`` names ``jwks`` itself)."""
    base: dict[str, Any] = {}
    if profile.template.software_id is not None:
        base["software_id"] = profile.template.software_id
    base.update(profile.registration.members())
    if device_key is not None and "jwks" not in (metadata or {}):
        base["jwks"] = {"keys": [public_jwk(device_key, alg="ES256")]}
        if profile.dynamic_auth_method == "private_key_jwt":
            base.setdefault("token_endpoint_auth_method", "private_key_jwt")
    return merged(base, metadata)


def needs_device_key(profile: Profile, metadata: dict[str, Any] | None = None) -> bool:
    """A registration with ``metadata`` sends a per-device key: the profile asks for one
    (``device_jwks``, or ``private_key_jwt``) or the metadata chooses ``private_key_jwt``, and
    the metadata does not give (or drop) ``jwks`` itself."""
    metadata = metadata or {}
    if "jwks" in metadata:
        return False
    method = metadata.get("token_endpoint_auth_method")
    return profile.sends_device_jwks or (method is not OMIT and method == "private_key_jwt")


def new_device_key() -> PrivateKey:
    """A fresh EC P-256 key for one registration (the device's key, RFC 7591 §2 ``jwks``)."""
    return ec.generate_private_key(ec.SECP256R1())


def registration_request(
    profile: Profile, initial_token: str | None, metadata: dict[str, Any] | None = None,
    *, device_key: PrivateKey | None = None,
) -> RequestSpec:
    """``POST`` :func:`registration_body`. ``initial_token=None`` sends no ``Authorization``
    header. When the body needs a device key and none is given, a fresh one is made (and
    forgotten: pass ``device_key`` to keep it, as :meth:`DcrSession.register` does)."""
    endpoint = profile.server.registration_endpoint
    if endpoint is None:
        raise ValueError(f"profile {profile.name!r} has no registration_endpoint yet: run discover() first")
    if device_key is None and needs_device_key(profile, metadata):
        device_key = new_device_key()
    body = registration_body(profile, metadata, device_key)
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    if initial_token is not None:
        headers["Authorization"] = f"Bearer {initial_token}"
    return RequestSpec("POST", endpoint, headers, json=body)


@dataclass(eq=False, repr=False)
class DynamicClient:
    """A registered client. Mutable: RFC 7592 rotation replaces its secret and token in place.

    ``metadata`` is the last full client information response. ``private_key`` is the device key
    registered in ``jwks`` (bring your own key: ``private_key_jwt``, or ``[registration] device_jwks``).
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
