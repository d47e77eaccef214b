"""A reference "SDK" on the project's own DCR client, and deliberately broken variants of it.

It behaves as the HAAPI SDKs are documented to (docs/sdk.md): at each launch it asks the
attestation stand-in; when attestation fails it falls back to templatized DCR once, keeps the
dynamic client in a JSON file (the device's storage) and uses it on later launches; it follows
RFC 7592 rotation, answers ``use_dpop_nonce`` with one retry, replaces a client rejected with
``invalid_client`` by one new registration, and retries 5xx answers a few times with
exponential back-off. Each *fault* switches on one deliberate deviation; :data:`FAULTS` names
the check that must catch it. Each *variant* switches on one behaviour the specs allow that the
reference SDK does not have; :data:`VARIANTS` says which, and why it is allowed: a variant must
pass every scenario.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization

from conformance.client.auth import authenticate
from conformance.client.fields import OMIT
from conformance.client.http import Exchange, RequestSpec, Transport
from conformance.client.jose import DpopKey
from conformance.client.registration import DynamicClient, registration_request
from conformance.client.session import DcrSession
from conformance.client.token import access_token_of, client_credentials, initial_token_request
from conformance.client.use import dynamic_token_request, resource_request, send_with_nonce_retry
from conformance.profile import Profile

#: fault -> (scenario that exposes it, the check that must fail)
FAULTS: dict[str, tuple[str, str]] = {
    "reregisters-every-launch": ("second-launch", "DCR-SDK-002"),
    "reuses-initial-token": ("revoked-client", "DCR-SDK-006"),
    "keeps-using-main-client": ("first-launch", "DCR-SDK-008"),
    "ignores-rotation": ("rotation", "DCR-SDK-010"),
    "loops-on-invalid-client": ("revoked-client", "DCR-SDK-009"),
    "retries-5xx-without-pause": ("server-errors", "DCR-SDK-011"),
    # one more per remaining check, so every DCR-SDK check is shown to fail
    "registers-despite-attestation": ("attestation-ok", "DCR-SDK-004"),
    "ignores-dpop-nonce": ("dpop-nonce", "DCR-SDK-005"),
    "keeps-cleared-client": ("clear-client", "DCR-SDK-003"),
    "omits-software-id": ("first-launch", "DCR-SDK-007"),
    "retries-5xx-forever": ("server-down", "DCR-SDK-012"),
    "omits-dpop": ("first-launch", "DCR-SDK-001"),
}

#: variant -> why the specs allow it (every scenario must pass)
VARIANTS: dict[str, str] = {
    "dpop-setup": "a DPoP proof on the initial-token request too; the DPoP-bound initial token is presented "
                  "as Authorization: DPoP with a proof carrying ath (RFC 9449 §5, §7.1)",
    "discovery-first": "GET the RFC 8414 metadata at the start of every launch, before attesting (RFC 8414 §3); "
                       "the GET carries X-Installation-Id like every request of an app that labels them all",
    "cached-token": "keep the access token and its DPoP key across launches and use it at the resource while "
                    "it is valid, instead of asking for a new one (RFC 6749 §5.1 expires_in)",
    "no-installation-header": "never send X-Installation-Id (nor an installation_id body): the observer's "
                              "header is a convenience, not protocol",
    "client-secret-post": "authenticate the main client with client_secret_post (RFC 6749 §2.3.1; the "
                          "profile allows basic or post), and the dynamic client as its registration "
                          "answer's token_endpoint_auth_method says (post when the template says so)",
    "early-refresh": "ask for a second access token right after the first, long before it expires "
                     "(RFC 6749 §4.4: a client may ask at any time)",
    "accept-headers": "send Accept: application/json on every request, the attestation call included "
                      "(RFC 9110 §12.5.1)",
    "new-connection-per-request": "open a new TLS connection for every request, the nonce retry included "
                                  "(RFC 9449 §8 names no connection)",
    "omits-scope": "ask for the dynamic client's token without a scope parameter: the server applies the "
                   "registered default (RFC 6749 §4.4.2 scope OPTIONAL, §3.3)",
    "deletes-cleared-client": "when told to clear its client, delete the old registration first "
                              "(RFC 7592 §2.3) and then register anew",
}

BACKOFF = (0.06, 0.12, 0.24, 0.48)  # 5 attempts at most; the tests grade with min_delay_s=0.05


class SdkError(Exception):
    pass


class RetryingTransport(Transport):
    """Retries 5xx answers (and lost connections) after each delay of ``delays``."""

    def __init__(self, *args, delays: tuple[float, ...] = BACKOFF, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.delays = delays

    def send(self, spec: RequestSpec) -> Exchange:
        exchange = self._once(spec)
        for delay in self.delays:
            if exchange.status is not None and exchange.status < 500:
                break
            time.sleep(delay)
            exchange = self._once(spec)
        return exchange

    def _once(self, spec: RequestSpec) -> Exchange:
        return super().send(spec)


class FreshConnectionTransport(RetryingTransport):
    """Every request on a new connection (the pooled clients are dropped after each one)."""

    def _once(self, spec: RequestSpec) -> Exchange:
        exchange = super()._once(spec)
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()
        return exchange


@dataclass
class Outcome:
    mode: str  # "attested" | "dcr"
    client_id: str | None = None
    token_status: int | None = None


class RefSdk:
    """One app installation: ``launch()`` is one start of the app."""

    def __init__(self, profile: Profile, store: Path, *, attestation_url: str, installation: str,
                 main_label: str = "basic", faults: frozenset[str] | set[str] = frozenset(),
                 variants: frozenset[str] | set[str] = frozenset()) -> None:
        unknown = set(faults) - set(FAULTS) | set(variants) - set(VARIANTS)
        assert not unknown, f"unknown faults or variants {unknown}"
        self.variants = frozenset(variants)
        self._nonce: str | None = None  # omits-scope: the latest DPoP-Nonce (RFC 9449 §8.2)
        self.profile = profile
        self.store = Path(store)
        self.attestation_url = attestation_url
        self.installation = installation
        self.main_label = main_label
        self.faults = frozenset(faults)

    # -- the device's storage ------------------------------------------------------------------

    def _load(self) -> dict:
        return json.loads(self.store.read_text()) if self.store.exists() else {}

    def _save(self, state: dict) -> None:
        self.store.write_text(json.dumps(state))

    def _client_of(self, state: dict) -> DynamicClient | None:
        data = state.get("client")
        if not data:
            return None
        dyn = DynamicClient(data["client_id"], data.get("client_secret"), data.get("registration_access_token"),
                            data.get("registration_client_uri"), dict(data.get("metadata") or {}),
                            data.get("auth_method", "client_secret_basic"))
        if data.get("dpop_key"):  # cached-token: the key the cached token is bound to
            dyn.dpop_key = DpopKey(serialization.load_pem_private_key(data["dpop_key"].encode(), None))
        return dyn

    def _store_client(self, state: dict, dyn: DynamicClient | None) -> None:
        state["client"] = None if dyn is None else {
            "client_id": dyn.client_id, "client_secret": dyn.client_secret,
            "registration_access_token": dyn.registration_access_token,
            "registration_client_uri": dyn.registration_client_uri, "metadata": dyn.metadata,
            "auth_method": dyn.auth_method}
        if dyn is not None and "cached-token" in self.variants and dyn.dpop_key is not None:
            state["client"]["dpop_key"] = dyn.dpop_key.private_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption()).decode()
        self._save(state)

    # -- a launch ------------------------------------------------------------------------------

    def launch(self, *, clear_client: bool = False, read_configuration: bool = False) -> Outcome:
        delays = BACKOFF
        if "retries-5xx-without-pause" in self.faults:
            delays = (0.0,) * len(BACKOFF)
        if "retries-5xx-forever" in self.faults:
            delays = (0.06,) * 7  # paced, but 8 attempts
        server = self.profile.server
        kind = FreshConnectionTransport if "new-connection-per-request" in self.variants else RetryingTransport
        with kind(server.ca_bundle, server.timeout_s, delays=delays) as transport:
            session = DcrSession(self.profile, transport)
            state = self._load()
            if "discovery-first" in self.variants:
                self._discover(transport)
            if self._attest(transport) == "accepted" and "registers-despite-attestation" not in self.faults:
                return Outcome("attested")
            dyn = self._client_of(state)
            if clear_client and "keeps-cleared-client" not in self.faults:
                if dyn is not None and "deletes-cleared-client" in self.variants:
                    session.delete(dyn)  # RFC 7592 §2.3, with its registration access token
                dyn = None
            if "reregisters-every-launch" in self.faults:
                dyn = None
            if dyn is None:
                dyn = self._register(session, state)
                self._store_client(state, dyn)
            if read_configuration:
                self._read(session, dyn, state)  # the scenario step then asks for a token
            elif "cached-token" in self.variants:
                used = self._use_cached(transport, dyn, state)
                if used is not None and used.status == 200:
                    return Outcome("dcr", dyn.client_id, used.status)
            exchange = self._token(session, dyn)
            if _error(exchange) == "invalid_client":
                if "loops-on-invalid-client" in self.faults:
                    for _ in range(8):
                        exchange = self._token(session, dyn)
                    raise SdkError("the stored client keeps being rejected")
                dyn = self._register(session, state)  # the stored client is gone: discard it
                self._store_client(state, dyn)
                exchange = self._token(session, dyn)
            if "early-refresh" in self.variants and exchange.status == 200:
                exchange = self._token(session, dyn)  # a new token long before the first expires
            self._keep_token(state, dyn, exchange)
            return Outcome("dcr", dyn.client_id, exchange.status)

    def _headers(self, headers: dict | None = None) -> dict:
        headers = dict(headers or {})
        if "accept-headers" in self.variants:
            headers["Accept"] = "application/json"
        return headers

    def _discover(self, transport: Transport) -> None:
        """RFC 8414 §3: the metadata of the token endpoint's origin."""
        parts = urlsplit(self.profile.server.token_endpoint)
        url = f"{parts.scheme}://{parts.netloc}/.well-known/oauth-authorization-server"
        headers = {"Accept": "application/json"}
        if "no-installation-header" not in self.variants:  # an app that labels all its requests
            headers["X-Installation-Id"] = self.installation
        transport.send(RequestSpec("GET", url, self._headers(headers)))

    def _attest(self, transport: Transport) -> str:
        """The attestation step: the stand-in says accepted, rejected or unavailable."""
        if "no-installation-header" in self.variants:
            spec = RequestSpec("POST", self.attestation_url, self._headers())
        else:
            spec = RequestSpec("POST", self.attestation_url, self._headers({"X-Installation-Id": self.installation}),
                               json={"installation_id": self.installation})
        body = transport.send(spec).json()
        return body.get("result", "unavailable") if isinstance(body, dict) else "unavailable"

    def _register(self, session: DcrSession, state: dict) -> DynamicClient:
        stale = state.get("initial_token")
        if "reuses-initial-token" in self.faults and stale:
            dyn, _ = session.register(stale)  # the bug: a used initial token is tried again
            if dyn is not None:
                return dyn
        if "dpop-setup" in self.variants:
            return self._register_with_dpop(session)
        token, exchange = self._initial_token(session)
        if token is None:
            raise SdkError(f"no initial token: {exchange.describe()}")
        if "reuses-initial-token" in self.faults:
            state["initial_token"] = token
        metadata = {"software_id": OMIT} if "omits-software-id" in self.faults else None
        dyn, exchange = session.register(token, metadata)
        if dyn is None:
            raise SdkError(f"registration failed: {exchange.describe()}")
        return dyn

    def _main(self):
        main = self.profile.main_clients[self.main_label]
        if "client-secret-post" in self.variants:
            main = dataclasses.replace(main, auth_method="client_secret_post")
        return main

    def _initial_token(self, session: DcrSession, key: DpopKey | None = None) -> tuple[str | None, Exchange]:
        spec = initial_token_request(self.profile, self._main())
        spec.headers.update(self._headers())
        if key is not None:  # RFC 9449 §5: the initial token is then DPoP-bound
            spec.headers["DPoP"] = key.proof("POST", spec.url)
        exchange = session.transport.send(spec)
        token = access_token_of(exchange)
        session.transport.redactor.add_secret(token)
        return token, exchange

    def _register_with_dpop(self, session: DcrSession) -> DynamicClient:
        """RFC 9449 §7.1: the DPoP-bound initial token as ``Authorization: DPoP`` with a proof (ath)."""
        key = DpopKey.generate()
        token, exchange = self._initial_token(session, key)
        if token is None:
            raise SdkError(f"no initial token: {exchange.describe()}")
        bound = (exchange.json() or {}).get("token_type", "").lower() == "dpop"
        spec = registration_request(self.profile, None)
        spec.headers.update(self._headers())
        if bound:
            spec.headers["Authorization"] = f"DPoP {token}"
            spec.headers["DPoP"] = key.proof("POST", spec.url, access_token=token)
        else:
            spec.headers["Authorization"] = f"Bearer {token}"
        dyn, exchange = session.send_registration(spec)
        if dyn is None:
            raise SdkError(f"registration failed: {exchange.describe()}")
        dyn.dpop_key = key  # one device key for every request
        return dyn

    def _read(self, session: DcrSession, dyn: DynamicClient, state: dict) -> None:
        """RFC 7592 read; the server may rotate the secret and the registration token."""
        old = (dyn.client_secret, dyn.registration_access_token)
        session.read(dyn)
        if "ignores-rotation" in self.faults:
            dyn.client_secret, dyn.registration_access_token = old
        self._store_client(state, dyn)

    def _keep_token(self, state: dict, dyn: DynamicClient, exchange: Exchange) -> None:
        """cached-token: keep the access token, its type and expiry (RFC 6749 §5.1) with the client."""
        body = exchange.json()
        if "cached-token" not in self.variants or exchange.status != 200 or not isinstance(body, dict):
            return
        state["token"] = {"client_id": dyn.client_id, "access_token": body["access_token"],
                          "token_type": body.get("token_type"),
                          "expires_at": time.time() + int(body.get("expires_in") or 60)}
        self._store_client(state, dyn)

    def _use_cached(self, transport: Transport, dyn: DynamicClient, state: dict) -> Exchange | None:
        """Call the resource with the kept token while it is valid (a 401 sends the app back to the
        token endpoint)."""
        kept = state.get("token")
        url = self.profile.use.resource_url
        if not kept or kept["client_id"] != dyn.client_id or kept["expires_at"] <= time.time() + 5 or not url:
            return None
        transport.redactor.add_secret(kept["access_token"])
        spec = resource_request(url, kept["access_token"], kept["token_type"], dyn.dpop_key)
        spec.headers.update(self._headers())
        return transport.send(spec)

    def _token(self, session: DcrSession, dyn: DynamicClient) -> Exchange:
        """The HAAPI token request (client_credentials, DPoP) as the dynamic client."""
        profile, key = self.profile, session.dpop_key(dyn)
        if "keeps-using-main-client" in self.faults:
            main = profile.main_clients[self.main_label]
            return send_with_nonce_retry(
                session.transport, lambda nonce: dynamic_token_request(profile, main, dpop_key=key, nonce=nonce))
        if "omits-dpop" in self.faults:
            return session.transport.send(dynamic_token_request(profile, dyn))
        if "ignores-dpop-nonce" in self.faults:
            return session.transport.send(dynamic_token_request(profile, dyn, dpop_key=key))
        if "omits-scope" in self.variants:
            url = profile.token_endpoint_for(dyn)

            def build(nonce: str | None) -> RequestSpec:
                spec = authenticate(client_credentials(url, None), dyn, audience=url)
                spec.headers["DPoP"] = key.proof("POST", url, nonce=nonce)
                return spec

            exchange = send_with_nonce_retry(session.transport, build, self._nonce)
            self._nonce = exchange.header("DPoP-Nonce") or self._nonce
            session.transport.redactor.add_secret(access_token_of(exchange))
            return exchange
        return session.use(dyn)


def _error(exchange: Exchange) -> str | None:
    body = exchange.json()
    return body.get("error") if isinstance(body, dict) else None
