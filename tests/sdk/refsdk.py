"""A reference "SDK" on the project's own DCR client, and deliberately broken variants of it.

It behaves as the HAAPI SDKs are documented to (protocol.md §4.3): at each launch it asks the
attestation stand-in; when attestation fails it falls back to templatized DCR once, keeps the
dynamic client in a JSON file (the device's storage) and uses it on later launches; it follows
RFC 7592 rotation, answers ``use_dpop_nonce`` with one retry, replaces a client rejected with
``invalid_client`` by one new registration, and retries 5xx answers a few times with
exponential back-off. Each *fault* switches on one deliberate deviation; :data:`FAULTS` names
the check that must catch it.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from conformance.client.fields import OMIT
from conformance.client.http import Exchange, RequestSpec, Transport
from conformance.client.registration import DynamicClient
from conformance.client.session import DcrSession
from conformance.client.use import dynamic_token_request, send_with_nonce_retry
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

BACKOFF = (0.06, 0.12, 0.24, 0.48)  # 5 attempts at most; the tests grade with min_delay_s=0.05


class SdkError(Exception):
    pass


class RetryingTransport(Transport):
    """Retries 5xx answers (and lost connections) after each delay of ``delays``."""

    def __init__(self, *args, delays: tuple[float, ...] = BACKOFF, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.delays = delays

    def send(self, spec: RequestSpec) -> Exchange:
        exchange = super().send(spec)
        for delay in self.delays:
            if exchange.status is not None and exchange.status < 500:
                break
            time.sleep(delay)
            exchange = super().send(spec)
        return exchange


@dataclass
class Outcome:
    mode: str  # "attested" | "dcr"
    client_id: str | None = None
    token_status: int | None = None


class RefSdk:
    """One app installation: ``launch()`` is one start of the app."""

    def __init__(self, profile: Profile, store: Path, *, attestation_url: str, installation: str,
                 main_label: str = "basic", faults: frozenset[str] | set[str] = frozenset()) -> None:
        unknown = set(faults) - set(FAULTS)
        assert not unknown, f"unknown faults {unknown}"
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

    @staticmethod
    def _client_of(state: dict) -> DynamicClient | None:
        data = state.get("client")
        if not data:
            return None
        return DynamicClient(data["client_id"], data.get("client_secret"), data.get("registration_access_token"),
                             data.get("registration_client_uri"), dict(data.get("metadata") or {}),
                             data.get("auth_method", "client_secret_basic"))

    def _store_client(self, state: dict, dyn: DynamicClient | None) -> None:
        state["client"] = None if dyn is None else {
            "client_id": dyn.client_id, "client_secret": dyn.client_secret,
            "registration_access_token": dyn.registration_access_token,
            "registration_client_uri": dyn.registration_client_uri, "metadata": dyn.metadata,
            "auth_method": dyn.auth_method}
        self._save(state)

    # -- a launch ------------------------------------------------------------------------------

    def launch(self, *, clear_client: bool = False, read_configuration: bool = False) -> Outcome:
        delays = BACKOFF
        if "retries-5xx-without-pause" in self.faults:
            delays = (0.0,) * len(BACKOFF)
        if "retries-5xx-forever" in self.faults:
            delays = (0.06,) * 7  # paced, but 8 attempts
        server = self.profile.server
        with RetryingTransport(server.ca_bundle, server.timeout_s, delays=delays) as transport:
            session = DcrSession(self.profile, transport)
            state = self._load()
            if self._attest(transport) == "accepted" and "registers-despite-attestation" not in self.faults:
                return Outcome("attested")
            dyn = self._client_of(state)
            if clear_client and "keeps-cleared-client" not in self.faults:
                dyn = None
            if "reregisters-every-launch" in self.faults:
                dyn = None
            if dyn is None:
                dyn = self._register(session, state)
                self._store_client(state, dyn)
            if read_configuration:
                self._read(session, dyn, state)
            exchange = self._token(session, dyn)
            if _error(exchange) == "invalid_client":
                if "loops-on-invalid-client" in self.faults:
                    for _ in range(8):
                        exchange = self._token(session, dyn)
                    raise SdkError("the stored client keeps being rejected")
                dyn = self._register(session, state)  # the stored client is gone: discard it
                self._store_client(state, dyn)
                exchange = self._token(session, dyn)
            return Outcome("dcr", dyn.client_id, exchange.status)

    def _attest(self, transport: Transport) -> str:
        """The attestation step: the stand-in says accepted, rejected or unavailable."""
        spec = RequestSpec("POST", self.attestation_url, {"X-Installation-Id": self.installation},
                           json={"installation_id": self.installation})
        body = transport.send(spec).json()
        return body.get("result", "unavailable") if isinstance(body, dict) else "unavailable"

    def _register(self, session: DcrSession, state: dict) -> DynamicClient:
        stale = state.get("initial_token")
        if "reuses-initial-token" in self.faults and stale:
            dyn, _ = session.register(stale)  # the bug: a used initial token is tried again
            if dyn is not None:
                return dyn
        token, exchange = session.initial_token(self.main_label)
        if token is None:
            raise SdkError(f"no initial token: {exchange.describe()}")
        if "reuses-initial-token" in self.faults:
            state["initial_token"] = token
        metadata = {"software_id": OMIT} if "omits-software-id" in self.faults else None
        dyn, exchange = session.register(token, metadata)
        if dyn is None:
            raise SdkError(f"registration failed: {exchange.describe()}")
        return dyn

    def _read(self, session: DcrSession, dyn: DynamicClient, state: dict) -> None:
        """RFC 7592 read; the server may rotate the secret and the registration token."""
        old = (dyn.client_secret, dyn.registration_access_token)
        session.read(dyn)
        if "ignores-rotation" in self.faults:
            dyn.client_secret, dyn.registration_access_token = old
        self._store_client(state, dyn)

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
        return session.use(dyn)


def _error(exchange: Exchange) -> str | None:
    body = exchange.json()
    return body.get("error") if isinstance(body, dict) else None
