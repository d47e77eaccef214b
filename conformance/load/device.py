"""One device of the fleet, as a Locust user: the DCR fallback once, then relaunches.

A :class:`DeviceUser` takes the next main client of the profile in turn, gets its initial token
(RFC 6749 §4.4), registers (RFC 7591 §3.1) — a share of devices sends the registration with the
same token from several connections at once, the race single use must survive — gets its own
token (DPoP when ``[use] dpop``, RFC 9449 §5), calls the resource when there is one, and on each
"relaunch" asks for a token with its stored client from a new connection, without registering
again. Then it idles until the run stops (a stopped Locust user would be respawned).

Requests are built and sent by ``conformance.client`` (every main-client method: secrets, JWT
assertions, mTLS certificates) and timed into Locust's statistics through its ``request`` event.
Every client id is reported the moment a registration answer names it (for cleanup), every
device's outcome when it is done. Importing this module imports Locust (and gevent's patching).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gevent
from gevent.event import Event
from locust import User, constant, task

from conformance.client.http import Exchange, RequestSpec, Transport
from conformance.client.registration import DynamicClient
from conformance.client.session import DcrSession
from conformance.client.token import access_token_of
from conformance.load import oracles as o

WAIT_FACTOR = 4  # an httpx send may take its timeout once per phase (pool, connect, write, read)
IDLE_S = 3600.0  # a finished device waits for the run to stop (it never runs its task twice)
OPTION_PREFIX = "dcr_"  # fleet parameters travel in Locust's parsed options (master -> workers)


class LoadFailure(Exception):
    """What Locust's failure table shows for an answer an oracle rejected (no secrets, no ids)."""


class Fleet:
    """What every device of this process shares: the profile, the parameters, where reports go."""

    current: Fleet | None = None
    setup_error: tuple[str, Callable[[dict], None]] | None = None  # a worker could not set up

    def __init__(self, profile, params: dict[str, Any], on_client: Callable[[dict], None],
                 on_outcome: Callable[[dict], None]) -> None:
        self.profile = profile
        self.mains = sorted(profile.main_clients)
        if not self.mains:
            raise ValueError(f"profile {profile.name!r} has no main clients")
        self.race_every = int(params.get("race_every", 0))
        self.race_connections = int(params.get("race_connections", 3))
        self.relaunches = int(params.get("relaunches", 1))
        self.resource = bool(params.get("resource", True)) and profile.use.resource_url is not None
        self.on_client = on_client
        self.on_outcome = on_outcome
        self._counter = itertools.count()
        self.offset = int(params.get("index_offset", 0))

    def next_index(self) -> int:
        return next(self._counter) + self.offset


def fleet_params(options) -> dict[str, Any]:
    """The parameters a device needs, as Locust custom options (sent by a master to its workers)."""
    return {f"{OPTION_PREFIX}race_every": options.race_every(),
            f"{OPTION_PREFIX}race_connections": options.race_connections,
            f"{OPTION_PREFIX}relaunches": options.relaunches,
            f"{OPTION_PREFIX}resource": options.resource,
            f"{OPTION_PREFIX}profile": str(options.profile) if options.profile else ""}


def params_of(parsed_options) -> dict[str, Any]:
    values = vars(parsed_options) if parsed_options is not None else {}
    return {k[len(OPTION_PREFIX):]: v for k, v in values.items() if k.startswith(OPTION_PREFIX)}


class DeviceUser(User):
    """A device: the fallback once (see the module docstring)."""

    wait_time = constant(IDLE_S)

    def __init__(self, environment) -> None:
        super().__init__(environment)
        self.done = False
        self.requests = 0

    @task
    def fallback(self) -> None:
        if self.done:
            return
        self.done = True
        fleet = Fleet.current
        if fleet is None:
            if Fleet.setup_error is None:
                raise RuntimeError("no fleet configured in this process")
            text, report = Fleet.setup_error
            report({"device": -1, "requests": 0, "violations": [], "should": [], "error": text})
            return
        Device(fleet, self.environment).run()


class Device:
    """One run of the fallback; reports its clients and outcome to the fleet's sinks."""

    def __init__(self, fleet: Fleet, environment) -> None:
        self.fleet = fleet
        self.profile = fleet.profile
        self.env = environment
        self.index = fleet.next_index()
        self.label = fleet.mains[self.index % len(fleet.mains)]
        self.outcome: dict[str, Any] = {"device": self.index, "main": self.label, "requests": 0,
                                        "violations": [], "should": [], "raced": False,
                                        "race_accepted": 0, "client_id": None, "error": None}
        self.transports: list[Transport] = []

    def session(self, connections: int = 2) -> DcrSession:
        transport = Transport.for_profile(self.profile, max_connections=connections)
        self.transports.append(transport)
        return DcrSession(self.profile, transport, on_registered=self._registered)

    def _registered(self, dyn: DynamicClient) -> None:
        self.fleet.on_client({"client_id": dyn.client_id, "registration_client_uri": dyn.registration_client_uri,
                              "registration_access_token": dyn.registration_access_token,
                              "device": self.index, "main": self.label})

    def run(self) -> None:
        try:
            self._fallback()
        except Exception as exc:  # a suite-side error: reported, never hiding the device
            redactor = self.transports[-1].redactor if self.transports else None
            text = f"{type(exc).__name__}: {exc}"
            self.outcome["error"] = redactor.redact_text(text) if redactor else text
        finally:
            for transport in self.transports:
                transport.close()
            self.fleet.on_outcome(self.outcome)

    # -- the steps -----------------------------------------------------------------------------------

    def _fallback(self) -> None:
        session = self.session(self.fleet.race_connections + 1)
        token, ex = session.initial_token(self.label)
        if not self.record("initial-token", ex, o.initial_token_shape) or token is None:
            return
        if self.fleet.race_every and self.index % self.fleet.race_every == 0:
            dyn = self._race(session, token)
        else:
            dyn, ex = session.register(token, main_label=self.label)
            if not self.record("register", ex, o.registration_shape(self.profile)):
                dyn = None
        if dyn is None:
            return
        for secret in dyn.secrets():  # a racer's connection registered it: this one must know them too
            session.transport.redactor.add_secret(secret)
        self.outcome["client_id"] = dyn.client_id
        ex = session.use(dyn)
        if not self.record("device-token", ex, o.device_token_shape(self.profile)):
            return
        if self.fleet.resource:
            body = ex.json() or {}
            resource = session.call_resource(dyn, access_token_of(ex) or "", body.get("token_type"))
            self.record("resource", resource, o.resource_shape)
        for _ in range(self.fleet.relaunches):  # the app starts again: new connection, stored client
            relaunch = self.session()
            self.record("relaunch-token", relaunch.use(dyn), o.device_token_shape(self.profile))

    def _race(self, session: DcrSession, token: str) -> DynamicClient | None:
        """The same initial token from ``race_connections`` connections at once (DCR-REG-007).

        Each connection is opened first (a metadata read, timed as ``race-connect``), so that the
        registrations leave together instead of queueing behind TLS handshakes."""
        self.outcome["raced"] = True
        sessions = [self.session() for _ in range(self.fleet.race_connections)]
        warm = [gevent.spawn(self._connect, s) for s in sessions]
        gevent.joinall(warm, timeout=WAIT_FACTOR * session.transport.timeout_s)
        go = Event()

        def one(racer: DcrSession) -> tuple[DynamicClient | None, Exchange]:
            go.wait(WAIT_FACTOR * racer.transport.timeout_s)
            return racer.register(token, main_label=self.label)

        greenlets = [gevent.spawn(one, s) for s in sessions]
        gevent.sleep(0)
        go.set()
        gevent.joinall(greenlets, timeout=WAIT_FACTOR * session.transport.timeout_s)
        gevent.killall([g for g in greenlets if not g.ready()], block=False)  # bounded: never seen so far
        for g in greenlets:
            if g.exception is not None:
                raise g.exception  # a suite-side error, reported as the device's error
        results = [g.value for g in greenlets if g.successful() and g.value is not None]
        winners = [(dyn, ex) for dyn, ex in results if o.was_created(ex)]
        self.outcome["race_accepted"] = len(winners)
        if len(winners) > 1:
            evidence = "\n".join(ex.describe() for _, ex in winners[:2])
            self.outcome["violations"].append(
                ("initial-token-single-use",
                 f"one initial token registered {len(winners)} clients from {len(results)} concurrent "
                 f"requests\n  {evidence}"))
        first = winners[0] if winners else (results[0] if results else (None, None))
        dyn = None
        if first[1] is not None:
            dyn = first[0] if self.record("register", first[1], o.registration_shape(self.profile)) else None
        for other_dyn, ex in results:
            if ex is first[1]:
                continue
            if o.was_created(ex):  # judged above by the single-use oracle, not twice
                self.fire("register-replay", ex, "initial token accepted twice")
            else:
                self.record("register-replay", ex, o.replay_refused)
        return dyn

    def _connect(self, racer: DcrSession) -> None:
        """Open the racer's connection with a harmless request (the issuer's metadata, RFC 8414 §3,
        else a GET of the token endpoint); any answer below 500 will do."""
        issuer = self.profile.server.issuer
        url = (issuer.rstrip("/") + "/.well-known/oauth-authorization-server") if issuer \
            else self.profile.server.token_endpoint
        ex = racer.transport.send(RequestSpec("GET", url, {"Accept": "application/json"}))
        self.record("race-connect", ex, lambda _ex: None)

    def record(self, step: str, ex: Exchange, shape: Callable[[Exchange], Any]) -> bool:
        """Judge ``ex`` by the oracles, time it (and a ``use_dpop_nonce`` challenge before it)."""
        if ex.retry_of is not None:
            self.fire(f"{step} (nonce)", ex.retry_of, None)
        verdict = o.judge(ex, shape)
        self.outcome["should"] += [s.splitlines()[0] for s in verdict.should if s]
        if not verdict.ok:
            self.outcome["violations"].append((verdict.oracle, f"device {self.index} ({self.label}), "
                                                               f"{step}: {verdict.evidence}"))
        self.fire(step, ex, verdict.short)
        return verdict.ok

    def fire(self, step: str, ex: Exchange, failure: str | None) -> None:
        """One sample in Locust's statistics (its ``request`` event)."""
        self.outcome["requests"] += 1
        size = len(ex.response.content) if ex.response is not None else 0
        self.env.events.request.fire(
            request_type=ex.request.method, name=step, response_time=ex.elapsed_s * 1000.0,
            response_length=size, response=None, context={"device": self.index},
            exception=LoadFailure(failure) if failure else None,
            start_time=time.time() - ex.elapsed_s, url=ex.request.url)


def profile_for(params: dict[str, Any], override: Path | None):
    """The profile a process's devices use: the worker's own ``--profile``, else the master's."""
    from conformance.load.objectives import read_profile

    path = override or (Path(params["profile"]) if params.get("profile") else None)
    if path is None:
        raise ValueError("no profile: start the worker with --profile")
    return read_profile(path)
