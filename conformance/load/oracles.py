"""The oracles under load: the suite's own oracles applied to every answer, plus fleet-wide ones.

Per answer (:func:`judge`): an HTTP answer below 500 came back, and it has the shape the ordinary
checks verify, by the same oracle functions (``conformance.oracles``: reused,
never copied). Fleet-wide (:class:`OracleBook`, fed by the devices as the run goes, on the master
when the run is distributed): client ids distinct, no initial token accepted twice, one client per
device, objectives met, nothing left behind.

This is the only module of ``conformance.load`` importing the oracles.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from conformance.client.http import Exchange
from conformance.oracles import expect, failures
from conformance.oracles.token_response import token_success

#: Oracle id -> what holds when it passes (with the clause it comes from).
ORACLES = {
    "distinct-client-ids": "Every registered client gets its own client_id (RFC 7591 §3.2.1: "
                           "the unique client identifier)",
    "initial-token-single-use": "No initial access token registers twice, also when replayed from several "
                                "connections at once (Curity DCR: the initial token is single-use)",
    "no-5xx": "Every request gets an HTTP answer, none of them 5xx",
    "rfc-shape": "Every answer has the shape the conformance checks verify (RFC 6749 §5.1, RFC 7591 §3.2.1, "
                 "RFC 7592 §2.3), by the same oracles",
    "one-client-per-device": "The client store grows by exactly the number of devices",
    "objectives": "Latency percentiles and registrations per second meet the [load] objectives",
    "nothing-left-behind": "Every client the run registered is deleted at its end (RFC 7592 §2.3)",
}
MAX_EVIDENCE = 5  # examples kept per oracle; the counts are complete
REPLAY_REFUSALS = {400, 401, 403}  # as DCR-REG-006 accepts


@dataclass
class Judgement:
    """What the oracles say of one answer. ``short`` is for Locust's error table (no values)."""

    oracle: str | None = None
    evidence: str | None = None
    short: str | None = None
    should: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.oracle is None


def judge(ex: Exchange, shape: Callable[[Exchange], Any]) -> Judgement:
    """An answer below 500, then ``shape`` (a suite oracle); SHOULD findings are kept aside."""
    if ex.error:
        return Judgement("no-5xx", f"no HTTP answer ({ex.error})\n  {ex.describe()}", "no HTTP answer")
    if ex.status is not None and ex.status >= 500:
        return Judgement("no-5xx", f"HTTP {ex.status}\n  {ex.describe()}", f"HTTP {ex.status}")
    failures.reset_findings()
    try:
        shape(ex)
    except failures.CheckFailure as exc:
        text = str(exc)
        return Judgement("rfc-shape", text, text.splitlines()[0][:120], failures.findings())
    finally:
        should = failures.findings()
        failures.reset_findings()
    return Judgement(should=should)


# -- shapes: the suite's oracles, as the ordinary checks call them ---------------------------------


def initial_token_shape(ex: Exchange) -> None:
    """DCR-TOK-001/002: a client_credentials token response with the ``dcr`` scope (RFC 6749 §5.1)."""
    token_success(ex, "initial token", scope_contains="dcr")


def registration_shape(profile) -> Callable[[Exchange], None]:
    """DCR-REG-001/002/005: 201 with a client_id, and management credentials when claimed."""

    def shape(ex: Exchange) -> None:
        body = expect.success(ex, 201, "registration")
        expect.expect(isinstance(body.get("client_id"), str) and body["client_id"],
                 "registration: client_id is missing or empty", "a client_id", ex)
        if profile.claims.registration_management:
            expect.expect(isinstance(body.get("registration_access_token"), str) and body["registration_access_token"],
                     "registration: registration_access_token is missing", "a registration_access_token", ex)
            expect.expect(isinstance(body.get("registration_client_uri"), str),
                     "registration: registration_client_uri is missing", "a registration_client_uri", ex)

    return shape


def replay_refused(ex: Exchange) -> None:
    """DCR-REG-006/007: a used initial token is refused (400, 401 or 403)."""
    expect.refused(ex, "registration replaying an initial token already used", statuses=REPLAY_REFUSALS)


def device_token_shape(profile) -> Callable[[Exchange], None]:
    """DCR-USE-001: the dynamic client's token response (``DPoP`` when ``[use] dpop``)."""
    token_type = "DPoP" if profile.use.dpop else "Bearer"
    return lambda ex: token_success(ex, "device token", token_type=token_type)


def resource_shape(ex: Exchange) -> None:
    """The protected resource accepts the device's token (RFC 6750 §2.1, RFC 9449 §7.1)."""
    expect.status_in(ex, {200, 201, 202, 203, 204}, "resource call with the device token")


def delete_shape(ex: Exchange) -> None:
    """RFC 7592 §2.3: a deprovisioned client is answered 204 No Content."""
    expect.status_in(ex, 204, "delete of the client")


def was_created(ex: Exchange) -> bool:
    """A registration answer that created a client (2xx naming a client_id): the replay oracle."""
    body = ex.json()
    return ex.status is not None and 200 <= ex.status < 300 and isinstance(body, dict) and bool(body.get("client_id"))


# -- the fleet-wide book -----------------------------------------------------------------------------


@dataclass
class Verdict:
    oracle: str
    passed: bool
    summary: str
    evidence: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return ORACLES[self.oracle]


class OracleBook:
    """Everything the devices reported (clients and outcomes), and the verdicts drawn from it."""

    def __init__(self, devices: int) -> None:
        self.devices = devices
        self.clients: dict[str, dict[str, Any]] = {}  # client_id -> handle (first registration)
        self.duplicate_ids: dict[str, int] = {}
        self.devices_done = 0
        self.devices_with_client = 0
        self.requests_fired = 0
        self.race_devices = 0
        self.race_accepted_twice = 0
        self.should: dict[str, int] = {}
        self.mains: dict[str, int] = {}  # main client label -> devices that used it
        self.counts: dict[str, int] = {o: 0 for o in ORACLES}
        self.evidence: dict[str, list[str]] = {o: [] for o in ORACLES}

    def violation(self, oracle: str, evidence: str) -> None:
        self.counts[oracle] += 1
        if len(self.evidence[oracle]) < MAX_EVIDENCE:
            self.evidence[oracle].append(evidence)

    def client_registered(self, handle: dict[str, Any]) -> None:
        """A registration answer named a client (sent as soon as it comes back, for cleanup)."""
        client_id = handle["client_id"]
        if client_id in self.clients:
            self.duplicate_ids[client_id] = self.duplicate_ids.get(client_id, 1) + 1
            self.violation("distinct-client-ids", f"client_id {client_id} was returned to devices "
                                                  f"{self.clients[client_id].get('device')} and {handle.get('device')}")
            return
        self.clients[client_id] = handle

    def device_finished(self, outcome: dict[str, Any]) -> None:
        """A device's outcome: its violations, its request count, whether it raced."""
        self.devices_done += 1
        self.requests_fired += int(outcome.get("requests", 0))
        if outcome.get("main"):
            self.mains[outcome["main"]] = self.mains.get(outcome["main"], 0) + 1
        if outcome.get("client_id"):
            self.devices_with_client += 1
        if outcome.get("raced"):
            self.race_devices += 1
            if int(outcome.get("race_accepted", 0)) > 1:
                self.race_accepted_twice += 1
        for oracle, evidence in outcome.get("violations", []):
            self.violation(oracle, evidence)
        for finding in outcome.get("should", []):
            head = finding.splitlines()[0] if finding else ""
            self.should[head] = self.should.get(head, 0) + 1

    def verdicts(self, *, store_growth: int | None, objective_misses: list[str],
                 objectives_set: bool, left: list[str], cleaned: int) -> list[Verdict]:
        """One verdict per oracle of :data:`ORACLES`."""
        out = []
        n = self.devices
        out.append(self._verdict("distinct-client-ids",
                                 f"{len(self.clients)} distinct client ids, {sum(self.duplicate_ids.values())} repeats"))
        out.append(self._verdict("initial-token-single-use",
                                 f"{self.race_devices} devices replayed their token; accepted twice: "
                                 f"{self.race_accepted_twice}"))
        out.append(self._verdict("no-5xx", f"{self.counts['no-5xx']} answers 5xx or missing"))
        out.append(self._verdict("rfc-shape", f"{self.counts['rfc-shape']} answers out of shape"))
        created = len(self.clients) + sum(c - 1 for c in self.duplicate_ids.values())
        problems = []
        if self.devices_done < n:
            problems.append(f"only {self.devices_done} of {n} devices finished")
        if self.devices_with_client != n:
            problems.append(f"{self.devices_with_client} of {n} devices got a client")
        if created != n:
            problems.append(f"registrations created {created} clients for {n} devices")
        if store_growth is not None and store_growth != n:
            problems.append(f"the server's client store grew by {store_growth} for {n} devices")
        growth = f", store +{store_growth}" if store_growth is not None else ""
        out.append(Verdict("one-client-per-device", not problems,
                           f"{n} devices, {created} clients created{growth}", problems))
        out.append(Verdict("objectives", not objective_misses,
                           ("all met" if objectives_set else "none set") if not objective_misses
                           else f"{len(objective_misses)} missed", list(objective_misses)))
        out.append(Verdict("nothing-left-behind", not left, f"{cleaned} deleted, {len(left)} left",
                           [f"left behind: {cid}" for cid in left[:50]]))
        return out

    def _verdict(self, oracle: str, summary: str) -> Verdict:
        count = self.counts[oracle]
        if count > len(self.evidence[oracle]):
            summary += f" ({count} violations, first {len(self.evidence[oracle])} shown)"
        return Verdict(oracle, count == 0, summary, list(self.evidence[oracle]))
