"""The happy path of the DCR fallback as one call per step.

:class:`DcrSession` ties a :class:`~conformance.profile.Profile` to a
:class:`~conformance.client.http.Transport`:

1. :meth:`~DcrSession.initial_token`: the main client's ``scope=dcr`` token (RFC 6749 §4.4);
2. :meth:`~DcrSession.register`: RFC 7591 registration with the profile's body
   (:meth:`~DcrSession.send_registration` sends a request a check built itself);
3. :meth:`~DcrSession.use`: the dynamic client's token request (DPoP when ``[use] dpop``,
   one retry on ``use_dpop_nonce``, RFC 9449 §8); :meth:`~DcrSession.haapi_login`,
   :meth:`~DcrSession.exchange_code` and :meth:`~DcrSession.refresh`: the HAAPI code flow;
4. :meth:`~DcrSession.read` / :meth:`~DcrSession.update` / :meth:`~DcrSession.delete`: RFC 7592,
   rotation adopted;
5. :meth:`~DcrSession.revoke` / :meth:`~DcrSession.introspect`: RFC 7009 / RFC 7662.

Each returns the :class:`Exchange` (never asserts). Every secret learnt on the way is added to
the transport's redactor, and ``on_registered`` is told about every client a registration
created (even a non-conformant one), so the caller can delete it at the end.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from conformance.client import haapi, management
from conformance.client.code_flow import (Pkce, authorization_url, code_token_request, refresh_token_of,
                                          refresh_token_request)
from conformance.client.haapi import HaapiResult
from conformance.client.http import Exchange, RequestSpec, Transport
from conformance.client.jose import DpopKey
from conformance.client.registration import DynamicClient, needs_device_key, new_device_key, registration_request
from conformance.client.revocation import introspection_request, revocation_request
from conformance.client.token import access_token_of, initial_token_request
from conformance.client.use import dynamic_token_request, resource_request, send_with_nonce_retry
from conformance.profile import ClientConfig, Profile
from conformance.vocabulary import DCR_SCOPE, DCRM_SCOPE


class DcrSession:
    """One profile, one transport; thread-safe."""

    def __init__(
        self,
        profile: Profile,
        transport: Transport,
        *,
        on_registered: Callable[[DynamicClient], None] | None = None,
    ) -> None:
        if profile.needs_discovery:
            raise ValueError(f"profile {profile.name!r} needs discovery: pass discover(profile, transport)")
        self.profile = profile
        self.transport = transport
        self.on_registered = on_registered
        self._nonces: dict[str, str] = {}
        self._lock = threading.Lock()
        self._deleted_log: object = None  # was_deleted's index: the log read, how far, the URIs seen
        self._deleted_seen = 0
        self._deleted_uris: set[str] = set()
        for secret in profile.secrets():
            transport.redactor.add_secret(secret)

    def __repr__(self) -> str:
        return f"<DcrSession profile={self.profile.name!r}>"

    def _secret(self, *values: str | None) -> None:
        for value in values:
            self.transport.redactor.add_secret(value)

    def main_client(self, label: str) -> ClientConfig:
        try:
            return self.profile.main_clients[label]
        except KeyError:
            known = ", ".join(self.profile.main_clients)
            raise KeyError(f"profile {self.profile.name!r} has no main client {label!r} (known: {known})") from None

    # -- step 1 --------------------------------------------------------------------------------

    def initial_token(self, main_label: str, scope: str | None = DCR_SCOPE) -> tuple[str | None, Exchange]:
        """The main client's initial registration token (None if none came back)."""
        exchange = self.transport.send(initial_token_request(self.profile, self.main_client(main_label), scope))
        token = access_token_of(exchange)
        self._secret(token)
        return token, exchange

    def management_token(self, scope: str | None = DCRM_SCOPE) -> tuple[str | None, Exchange]:
        """The ``[management_client]``'s token for managing every dynamic client (Curity
        ``management-clients``, a Curity extension); None if none came back."""
        if self.profile.management_client is None:
            raise ValueError(f"profile {self.profile.name!r} has no [management_client]")
        exchange = self.transport.send(initial_token_request(self.profile, self.profile.management_client, scope))
        token = access_token_of(exchange)
        self._secret(token)
        return token, exchange

    # -- step 2 --------------------------------------------------------------------------------

    def register(
        self, token: str | None, metadata: dict[str, Any] | None = None, *, main_label: str | None = None
    ) -> tuple[DynamicClient | None, Exchange]:
        """Register with the profile's body (``software_id``, ``[registration]``) plus ``metadata``.
        When the body needs a device key (``device_jwks``, ``private_key_jwt``) a fresh EC key is
        generated and its public JWK sent as ``jwks`` (RFC 7591 §2); the client keeps it."""
        private_key = new_device_key() if needs_device_key(self.profile, metadata) else None
        spec = registration_request(self.profile, token, metadata, device_key=private_key)
        return self.send_registration(spec, private_key=private_key, main_label=main_label)

    def send_registration(
        self, spec: RequestSpec, *, private_key: Any = None, main_label: str | None = None
    ) -> tuple[DynamicClient | None, Exchange]:
        """POST a registration request as built (a check's malformed or re-signed one too). Any
        client it creates, conformant or not, is adopted: its secrets go to the redactor and
        ``on_registered`` is told, so it is deleted at the end."""
        exchange = self.transport.send(spec)
        dyn = DynamicClient.from_response(
            exchange,
            default_auth_method=_requested_method(spec) or self.profile.dynamic_auth_method,
            private_key=private_key,
            main_label=main_label,
        )
        if dyn is not None:
            self._secret(*dyn.secrets())
            if self.on_registered is not None:
                self.on_registered(dyn)
        return dyn, exchange

    def register_new(self, main_label: str) -> tuple[DynamicClient | None, list[Exchange]]:
        """Steps 1 and 2 in one: a fresh initial token, then a registration with it."""
        token, first = self.initial_token(main_label)
        if token is None:
            return None, [first]
        dyn, second = self.register(token, main_label=main_label)
        return dyn, [first, second]

    # -- step 3 --------------------------------------------------------------------------------

    def dpop_key(self, dyn: DynamicClient) -> DpopKey | None:
        """The client instance's DPoP key (created once), or None when ``[use] dpop`` is off."""
        if not self.profile.use.dpop:
            return None
        with dyn.lock:
            if dyn.dpop_key is None:
                dyn.dpop_key = DpopKey.generate()
            return dyn.dpop_key

    def use(self, dyn: DynamicClient, scope: str | None = None, **auth: Any) -> Exchange:
        """The dynamic client's token request, retried once on ``use_dpop_nonce``."""
        key = self.dpop_key(dyn)
        url = self.profile.token_endpoint_for(dyn)

        def build(nonce: str | None) -> RequestSpec:
            return dynamic_token_request(self.profile, dyn, scope=scope, dpop_key=key, nonce=nonce, **auth)

        return self._send_dpop(url, build, key)

    def call_resource(
        self, dyn: DynamicClient, access_token: str, token_type: str | None, url: str | None = None, **kwargs: Any
    ) -> Exchange:
        """Call ``[use] resource_url`` (or ``url``) with the token, DPoP-bound when it is."""
        target = url or self.profile.use.resource_url
        if target is None:
            raise ValueError(f"profile {self.profile.name!r} has no resource_url")
        key = self.dpop_key(dyn)

        def build(nonce: str | None) -> RequestSpec:
            return resource_request(target, access_token, token_type, key, nonce=nonce, **kwargs)

        return self._send_dpop(target, build, key)

    # -- step 3: the HAAPI code flow -----------------------------------------

    def haapi_login(self, dyn: DynamicClient, haapi_token: str, pkce: Pkce, state: str,
                    dpop_jkt: str | None = None) -> HaapiResult:
        """Walk the HAAPI flow from the authorization URL (with ``dpop_jkt``, RFC 9449 §10, when
        given) to a code with the client's DPoP key and HAAPI access token, filling forms from
        ``[code_flow.fields]``. Raises :class:`~conformance.client.haapi.HaapiFlowError` when no
        code comes of it."""
        key = self.dpop_key(dyn)
        if key is None:
            raise ValueError(f"profile {self.profile.name!r}: HAAPI needs DPoP ([use] dpop = true)")
        self._secret(pkce.verifier, *self.profile.code_flow.fields.values())  # passwords, usernames
        url = authorization_url(self.profile, dyn, pkce, state, dpop_jkt)
        origin = _origin(url)
        with self._lock:
            nonce = self._nonces.get(origin)
        result = haapi.walk(self.transport, url, haapi_token, key, self.profile.code_flow.fields, nonce=nonce)
        if result.nonce:
            with self._lock:
                self._nonces[origin] = result.nonce
        return result

    def exchange_code(self, dyn: DynamicClient, code: str, pkce: Pkce, key: DpopKey | None = None) -> Exchange:
        """The dynamic client's code exchange (RFC 6749 §4.1.3), DPoP proof by ``key`` (default:
        the client's own key), retried once on ``use_dpop_nonce``."""
        key = key or self.dpop_key(dyn)
        self._secret(code, pkce.verifier)

        def build(nonce: str | None) -> RequestSpec:
            return code_token_request(self.profile, dyn, code, pkce, dpop_key=key, nonce=nonce)

        return self._send_dpop(self.profile.token_endpoint_for(dyn), build, key)

    def refresh(self, dyn: DynamicClient, refresh_token: str, key: DpopKey | None = None,
                scope: str | None = None) -> Exchange:
        """The dynamic client's refresh (RFC 6749 §6) with a proof by ``key`` (default: its own)."""
        key = key or self.dpop_key(dyn)
        self._secret(refresh_token)

        def build(nonce: str | None) -> RequestSpec:
            return refresh_token_request(self.profile, dyn, refresh_token, scope=scope, dpop_key=key, nonce=nonce)

        return self._send_dpop(self.profile.token_endpoint_for(dyn), build, key)

    def _send_dpop(self, url: str, build: Callable[[str | None], RequestSpec], key: DpopKey | None) -> Exchange:
        if key is None:
            exchange = self.transport.send(build(None))
        else:
            origin = _origin(url)
            with self._lock:
                nonce = self._nonces.get(origin)
            exchange = send_with_nonce_retry(self.transport, build, nonce)
            fresh = exchange.header("DPoP-Nonce")  # RFC 9449 §8.2: a server may send a new one anytime
            if fresh:
                with self._lock:
                    self._nonces[origin] = fresh
        self._secret(access_token_of(exchange), refresh_token_of(exchange.json()))
        return exchange

    # -- management ----------------------------------------------------------------------------

    def read(self, dyn: DynamicClient) -> Exchange:
        """RFC 7592 §2.1 read; rotated credentials are adopted (see ``dyn.last_rotation``)."""
        return self._manage(dyn, management.read_request(dyn))

    def update(self, dyn: DynamicClient, metadata: dict[str, Any] | None = None) -> Exchange:
        """RFC 7592 §2.2 update with the full metadata; rotated credentials are adopted."""
        return self._manage(dyn, management.update_request(dyn, metadata))

    def _manage(self, dyn: DynamicClient, spec: RequestSpec) -> Exchange:
        exchange = self.transport.send(spec)
        rotation = management.adopt_rotation(dyn, exchange)
        dyn.last_rotation = rotation
        self._secret(*dyn.secrets())
        return exchange

    def delete(self, dyn: DynamicClient, token: str | None = None) -> Exchange:
        """RFC 7592 §2.3 delete, with the client's RAT or ``token`` (a ``dcrm`` token); a 204
        (or any 2xx) marks the client deleted."""
        exchange = self.transport.send(management.delete_request(dyn, token))
        if exchange.status is not None and 200 <= exchange.status < 300:
            dyn.deleted = True
        return exchange

    def was_deleted(self, dyn: DynamicClient) -> bool:
        """True when this session's transport saw a 2xx ``DELETE`` of the client, whether it was
        sent by :meth:`delete` or by a check directly (cleanup then skips it). The capture log is
        read once, incrementally, into an index of deleted URIs (the cleanup asks per client)."""
        if dyn.deleted:
            return True
        uri = dyn.registration_client_uri
        if not uri:
            return False
        with self._lock:
            log = self.transport.exchanges
            if log is not self._deleted_log or len(log) < self._deleted_seen:  # replaced or cut: read it again
                self._deleted_log, self._deleted_seen, self._deleted_uris = log, 0, set()
            end = len(log)
            for exchange in log[self._deleted_seen:end]:
                spec = exchange.spec
                if spec is not None and spec.method.upper() == "DELETE" and exchange.status is not None \
                        and 200 <= exchange.status < 300:
                    self._deleted_uris.add(spec.url)
            self._deleted_seen = end
            found = uri in self._deleted_uris
        if found:
            dyn.deleted = True
        return found

    # -- revocation ----------------------------------------------------------------------------

    def revoke(self, client: Any, token: str, hint: str | None = None, **auth: Any) -> Exchange:
        """RFC 7009 revocation of ``token`` by ``client`` (main, introspector or dynamic)."""
        return self.transport.send(revocation_request(self.profile, client, token, hint, **auth))

    def introspect(self, token: str, client: Any = None, **auth: Any) -> Exchange:
        """RFC 7662 introspection of ``token``, by ``client`` or else the profile's introspector."""
        caller = client if client is not None else self.profile.introspector
        if caller is None:
            raise ValueError(f"profile {self.profile.name!r} has no [introspector]")
        return self.transport.send(introspection_request(self.profile, caller, token, **auth))


def _requested_method(spec: RequestSpec) -> str | None:
    """The ``token_endpoint_auth_method`` a registration request asked for, if any."""
    body = spec.json if isinstance(spec.json, dict) else {}
    method = body.get("token_endpoint_auth_method")
    return method if isinstance(method, str) else None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()
