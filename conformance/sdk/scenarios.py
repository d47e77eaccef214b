"""Scenarios of the SDK conformance mode, and the engine that plays them in front of a server.

A :class:`Scenario` says how the server side behaves while the app runs (what the attestation
stand-in answers at each launch, whether a stored client is revoked, whether DPoP nonces are
required, whether the server fails with 5xx for a while), what the vendor does at each launch,
and which ``DCR-SDK-*`` checks grade the traffic.

:class:`ScenarioEngine` sits in front of an inner ``WireRequest -> WireResponse`` handler (the
reference server in :mod:`.observer`, the emulation in :mod:`.emulator` for the kit). For each
request it records the facts (:class:`~conformance.sdk.recording.Recorder`), lets the scenario
answer when it has to (attestation, outage, revocation, nonce challenge), otherwise passes it
to the inner server, and records the answer.

The attestation stand-in (``POST /attestation``): the app calls it once at the start of every
launch, where the real SDK would attest. Body and headers are optional: ``X-Installation-Id``
(or ``{"installation_id": ...}``) names the installation. The answer is always
``200 {"result": "accepted" | "rejected" | "unavailable", "installation_id": ..., "launch": n}``.
``accepted``: attestation worked, the app must not use DCR. ``rejected`` (the server judged the
attestation data invalid) and ``unavailable`` (the device cannot attest): the app falls back to
DCR. Every call also starts a new launch of the installation in the recording.
"""

from __future__ import annotations

import dataclasses
import secrets
import threading
from dataclasses import dataclass
from typing import Any, Callable

from .recording import Call, Paths, Recorder, Recording
from .http_messages import WireRequest, WireResponse, json_response, oauth_error

ACCEPTED, REJECTED, UNAVAILABLE = "accepted", "rejected", "unavailable"


@dataclass(frozen=True)
class Scenario:
    """How the server behaves, what the vendor does, and which checks grade it."""

    name: str
    summary: str
    steps: tuple[str, ...]  # what the vendor does, one entry per launch
    checks: tuple[str, ...]  # DCR-SDK check ids that grade this scenario
    attestation: tuple[str, ...] = (REJECTED,)  # stand-in answer per launch (the last repeats)
    launches: int = 1  # launches the scenario needs
    revoke_from_launch: int | None = None  # clients registered before this launch get invalid_client
    require_nonce: bool = False  # DPoP token requests of dynamic clients need a server nonce
    fail_count: int | None = 0  # token/registration requests answered 503 first; None: all of them
    read_in_launch: int | None = None  # the launch in which the app reads its registration
    clear_in_launch: int | None = None  # the launch built with shouldClearExistingDCRClient
    # grading knobs (options; change with .with_options or ?option= on the observer)
    software_id: str = "haapi-template"  # the template the app must name
    min_delay_s: float = 0.2  # least pause before retrying after a 5xx (DCR-SDK-011)
    max_attempts: int = 5  # most consecutive attempts answered 5xx (DCR-SDK-012)
    max_rejected_retries: int = 1  # requests with a client after its invalid_client (DCR-SDK-009)

    OPTIONS = ("software_id", "min_delay_s", "max_attempts", "max_rejected_retries", "fail_count")

    def attestation_for(self, launch: int) -> str:
        index = max(launch, 1) - 1
        return self.attestation[min(index, len(self.attestation) - 1)]

    def with_options(self, **options: Any) -> Scenario:
        """A copy with grading knobs changed (``min_delay_s=0.05``...)."""
        unknown = set(options) - set(self.OPTIONS)
        if unknown:
            raise ValueError(f"unknown scenario option(s): {', '.join(sorted(unknown))}; "
                             f"known: {', '.join(self.OPTIONS)}")
        converted = {}
        for name, value in options.items():
            if name == "fail_count":
                converted[name] = None if value in (None, "none", "") else int(value)
            elif name in ("min_delay_s",):
                converted[name] = float(value)
            elif name in ("max_attempts", "max_rejected_retries"):
                converted[name] = int(value)
            else:
                converted[name] = str(value)
        return dataclasses.replace(self, **converted)

    def options(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.OPTIONS}


_ALWAYS = ("DCR-SDK-006", "DCR-SDK-007", "DCR-SDK-008")

SCENARIOS: dict[str, Scenario] = {s.name: s for s in (
    Scenario(
        "first-launch", "A fresh install whose attestation fails registers exactly once and uses the new client.",
        ("Launch the freshly installed app once (attestation answers 'unavailable').",),
        ("DCR-SDK-001",) + _ALWAYS, attestation=(UNAVAILABLE,)),
    Scenario(
        "second-launch", "The second launch reuses the stored dynamic client: no new registration.",
        ("Launch the freshly installed app (attestation 'rejected').",
         "Stop it and launch it again (attestation 'unavailable')."),
        ("DCR-SDK-001", "DCR-SDK-002") + _ALWAYS, attestation=(REJECTED, UNAVAILABLE), launches=2),
    Scenario(
        "attestation-ok", "When attestation succeeds the app makes no DCR request at all.",
        ("Launch the freshly installed app (attestation 'accepted').",
         "Optionally launch it again (attestation 'accepted')."),
        ("DCR-SDK-004",), attestation=(ACCEPTED,)),
    Scenario(
        "clear-client", "Building with shouldClearExistingDCRClient registers a new client with a new id.",
        ("Launch the freshly installed app (attestation 'rejected').",
         "Launch it again, building the accessor with shouldClearExistingDCRClient=true."),
        ("DCR-SDK-001", "DCR-SDK-003") + _ALWAYS, launches=2, clear_in_launch=2),
    Scenario(
        "revoked-client", "A stored client rejected with invalid_client is replaced by one new registration.",
        ("Launch the freshly installed app (attestation 'rejected').",
         "Launch it again: the stored client is now revoked (401 invalid_client; its tokens get "
         "401 invalid_token); the app must register again, once."),
        ("DCR-SDK-001", "DCR-SDK-009") + _ALWAYS, launches=2, revoke_from_launch=2),
    Scenario(
        "rotation", "Credentials rotated by an RFC 7592 read are adopted at once and kept across launches.",
        ("Launch the freshly installed app (attestation 'rejected').",
         "Launch it again and make it read its client configuration (RFC 7592 GET on "
         "registration_client_uri, which rotates client_secret and registration_access_token), "
         "then request a token (also when a cached one is still valid).",
         "Launch it a third time (it must use the rotated secret)."),
        ("DCR-SDK-001", "DCR-SDK-010", "DCR-SDK-008"), launches=3, read_in_launch=2),
    Scenario(
        "dpop-nonce", "A use_dpop_nonce challenge is answered by one retry carrying the server's nonce.",
        ("Launch the freshly installed app (attestation 'rejected'); the token endpoint requires "
         "DPoP nonces (RFC 9449 §8).",),
        ("DCR-SDK-001", "DCR-SDK-005", "DCR-SDK-008"), require_nonce=True),
    Scenario(
        "server-errors", "Token and registration requests fail with 503 three times: retries pause and stop.",
        ("Launch the freshly installed app (attestation 'rejected'); the first three token or "
         "registration requests get 503, then the server recovers.",),
        ("DCR-SDK-001", "DCR-SDK-011", "DCR-SDK-012"), fail_count=3),
    Scenario(
        "server-down",
        "Token and registration requests always fail with 503: the app gives up after a few paced tries.",
        ("Launch the freshly installed app (attestation 'rejected'); every token or registration "
         "request gets 503. Let the app give up (or stop it after a minute).",),
        ("DCR-SDK-011", "DCR-SDK-012"), fail_count=None),
)}


def get_scenario(name: str | Scenario, **options: Any) -> Scenario:
    """The scenario called ``name`` (with grading options applied)."""
    if isinstance(name, Scenario):
        return name.with_options(**options) if options else name
    try:
        scenario = SCENARIOS[name]
    except KeyError:
        raise KeyError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}") from None
    return scenario.with_options(**options) if options else scenario


Handler = Callable[[WireRequest], WireResponse]


class ScenarioEngine:
    """Records traffic and plays the active scenario in front of ``inner``; thread-safe.

    ``use_scenario`` starts a new session: the recording restarts, earlier ones stay readable
    through :meth:`recording_of` (the last session of each scenario).
    """

    def __init__(self, inner: Handler | None = None, scenario: str | Scenario = "first-launch", *,
                 paths: Paths | None = None, main_clients: frozenset[str] | None = None,
                 **options: Any) -> None:
        self.inner = inner
        self.paths = paths or Paths()
        self.main_clients = main_clients
        self._lock = threading.RLock()
        self._archive: dict[str, Recording] = {}
        self.use_scenario(scenario, **options)

    # -- sessions ------------------------------------------------------------------------------

    def use_scenario(self, scenario: str | Scenario, **options: Any) -> Scenario:
        chosen = get_scenario(scenario, **options)
        with self._lock:
            current = getattr(self, "recorder", None)
            if current is not None and len(current.recording):
                self._archive[self.scenario.name] = current.recording
            self.scenario = chosen
            self.recorder = Recorder(chosen.name, chosen.options(), paths=self.paths,
                                     main_clients=self.main_clients)
            self._failures: dict[str, int] = {}
            self._nonces: dict[str, set[str]] = {}
        return chosen

    def set_paths(self, paths: Paths) -> None:
        """Tell the recorder where the endpoints of the server in front of it are."""
        with self._lock:
            self.paths = self.recorder.paths = paths

    def set_main_clients(self, client_ids: frozenset[str]) -> None:
        """Tell the recorder which client ids are the configured main clients."""
        with self._lock:
            self.main_clients = self.recorder.main_clients = frozenset(client_ids)

    @property
    def recording(self) -> Recording:
        return self.recorder.recording

    def recording_of(self, scenario: str | None = None) -> Recording:
        """The current recording, or the last one made under ``scenario``."""
        with self._lock:
            if scenario is None or scenario == self.scenario.name:
                return self.recording
            if scenario in self._archive:
                return self._archive[scenario]
        get_scenario(scenario)  # unknown names raise KeyError
        return Recording(scenario, [], get_scenario(scenario).options())

    def launch(self, installation: str | None = None) -> Call:
        """Mark the start of a launch (for apps that do not call the attestation stand-in)."""
        return self.recorder.mark_launch(installation)

    # -- traffic -------------------------------------------------------------------------------

    def handle(self, request: WireRequest, inner: Handler | None = None) -> WireResponse:
        """Record ``request``, answer it by the scenario or by ``inner`` (default: ``self.inner``)."""
        with self._lock:
            recorder, scenario = self.recorder, self.scenario
        call = recorder.begin(request)
        response = self._intercept(scenario, recorder, call)
        answered_by = "scenario"
        if response is None:
            answered_by = "server"
            inner = inner or self.inner
            response = inner(request) if inner is not None else oauth_error(404, "not_found")
        recorder.finish(call, request, response, answered_by)
        return response

    def _intercept(self, scenario: Scenario, recorder: Recorder, call: Call) -> WireResponse | None:
        inst = call.installation
        if call.kind == "attestation":
            return json_response(200, {"result": scenario.attestation_for(call.launch),
                                       "installation_id": inst, "launch": call.launch}, no_store=True)
        if call.kind in ("token", "register") and scenario.fail_count != 0:
            with self._lock:
                failed = self._failures.get(inst, 0)
                if scenario.fail_count is None or failed < scenario.fail_count:
                    self._failures[inst] = failed + 1
                    return oauth_error(503, "temporarily_unavailable", "the server is failing on purpose")
        if scenario.revoke_from_launch is not None and call.launch >= scenario.revoke_from_launch:
            revoked = self._revoked(scenario, recorder, call)
            if revoked is not None:
                return revoked
        if scenario.require_nonce and call.kind == "token" and call.dpop and call.client_role == "dynamic":
            with self._lock:
                issued = self._nonces.setdefault(inst, set())
                if call.dpop_nonce not in issued:
                    nonce = secrets.token_urlsafe(16)
                    issued.add(nonce)
                    return oauth_error(400, "use_dpop_nonce", "a server nonce is required",
                                       [("DPoP-Nonce", nonce)])
        return None

    @staticmethod
    def _revoked(scenario: Scenario, recorder: Recorder, call: Call) -> WireResponse | None:
        """invalid_client for clients registered before ``revoke_from_launch`` (RFC 6749 §5.2);
        their access tokens and registration tokens are refused too (invalid_token, RFC 6750 §3.1)."""
        def registered_before(client_id: str | None) -> bool:
            origin = recorder.dynamic.get(client_id or "")
            return origin is not None and origin[1] < scenario.revoke_from_launch

        if call.kind in ("token", "revoke", "introspect") and call.client_role == "dynamic" \
                and registered_before(call.client_id):
            headers = [("WWW-Authenticate", 'Basic realm="dcr-conformance"')] \
                if call.auth_method == "client_secret_basic" else []
            return oauth_error(401, "invalid_client", "the client has been revoked", headers)
        if call.kind == "resource" and registered_before(call.token_client):
            scheme = "DPoP" if call.auth_scheme == "dpop" else "Bearer"  # RFC 6750 §3.1, RFC 9449 §7.1
            return oauth_error(401, "invalid_token", "the client has been revoked",
                               [("WWW-Authenticate", f'{scheme} error="invalid_token"')])
        if call.kind == "manage" and registered_before(call.target_client):
            return oauth_error(401, "invalid_token", "the client has been revoked",
                               [("WWW-Authenticate", 'Bearer error="invalid_token"')])
        return None
