"""State of one conformance run: profiles, sessions, the client registry, outcomes and summary.

The plugin keeps one ``RunState`` per pytest config. It is also registered as a plugin object so
it sees every test report (the summary is built on the controller when xdist is used).
"""

from __future__ import annotations

import json
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from conformance.client import management
from conformance.client.discovery import DiscoveryError, discover
from conformance.client.http import Transport
from conformance.client.redact import Redactor
from conformance.client.registration import DynamicClient
from conformance.client.session import DcrSession
from conformance.profile import ClientConfig, Profile, load_profile
from conformance.suite.aging import AgedValues
from conformance.suite.check import CHECKS, CheckInfo

EXIT_UNREACHABLE = 3
EXIT_USAGE = 4  # pytest's usage-error status; the CLI maps it to 2


class TargetUnusable(Exception):
    """A profile's target cannot be used at all: unreachable (exit 3) or undiscoverable (exit 2)."""

    def __init__(self, message: str, returncode: int) -> None:
        super().__init__(message)
        self.returncode = returncode
NOT_CLAIMED = "not claimed by profile"
#: Short enough that DCR-REG-008 can watch an initial token expire within --dcr-max-wait.
EMBEDDED_INITIAL_TOKEN_TTL_S = 5
#: The embedded server's read-write TTL of registration access tokens (DCR-MGT-014). Every other
#: check that GETs or PUTs a client does so within a second or two of registering it (DCR-FUZZ-003's
#: programs are at most 25 steps), so 8 s is a wide margin even on a slow CI machine, and the wait
#: of TTL + 1 s still fits the default --dcr-max-wait of 10 s. MGT-014's client is registered before
#: the run's first test and the check runs last, so in a full run nothing is left to wait.
EMBEDDED_READ_WRITE_TTL_S = 8
#: A token is surely older than a TTL this long after it (servers may count whole seconds).
AGING_MARGIN_S = 1.0


@dataclass(frozen=True)
class Target:
    """One parameter of a check: a profile and one of its main clients."""

    profile: Profile
    label: str
    main: ClientConfig
    session: DcrSession
    per_profile: bool = False

    @property
    def id(self) -> str:
        return self.profile.name if self.per_profile else f"{self.profile.name}-{self.label}"

    def __repr__(self) -> str:  # shown by pytest on errors; never the secrets
        return f"Target({self.id})"


@dataclass
class Outcome:
    check_id: str
    title: str
    level: str
    profile: str
    client: str
    verdict: str = "passed"
    detail: str = ""
    per_profile: bool = False  # every test of this cell ran once per profile (not per main client)


def _need_reason(profile: Profile, need: str, main: ClientConfig | None = None) -> str | None:
    """Why an optional part the check needs is missing from the profile (None when present)."""
    if need == "issuer" and not profile.server.issuer:
        return f"{NOT_CLAIMED}: no [server] issuer for discovery"
    if need == "introspector" and profile.introspector is None:
        return f"{NOT_CLAIMED}: no [introspector] client"
    if need == "management_client" and profile.management_client is None:
        return f"{NOT_CLAIMED}: no [management_client]"
    if need == "unlisted_client" and profile.unlisted_client is None:
        return f"{NOT_CLAIMED}: no [unlisted_client]"
    if need == "unauthorized_software_id" and not profile.template.unauthorized_software_id:
        return f"{NOT_CLAIMED}: no [template] unauthorized_software_id"
    if need == "resource_url" and not (profile.use.resource_url or profile.server.resource_url):
        return f"{NOT_CLAIMED}: no [use] resource_url"
    if need == "dpop" and not profile.use.dpop:
        return f"{NOT_CLAIMED}: [use] dpop = false"
    if need == "revocation_endpoint" and not profile.server.revocation_endpoint:
        return f"{NOT_CLAIMED}: no revocation_endpoint"
    if need == "introspection_endpoint" and not profile.server.introspection_endpoint:
        return f"{NOT_CLAIMED}: no introspection_endpoint"
    if need == "other_certificate" and main is not None and main.other_certificate is None:
        return f"{NOT_CLAIMED}: main client {main.label!r} has no other_certificate"
    return None


class RunState:
    """Profiles, sessions and bookkeeping of one run."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        opt = config.getoption
        self.profile_paths: list[str] = list(opt("--dcr-profile") or [])
        self.strict: bool = bool(opt("--dcr-strict"))
        self.defect: str | None = opt("--dcr-defect")
        self.rotation: bool = opt("--dcr-embedded-rotation") != "off"
        self.keep_clients: bool = bool(opt("--dcr-keep-clients"))
        self.max_wait_s: float = float(opt("--dcr-max-wait"))
        self.fuzz_examples: int | None = opt("--dcr-fuzz-examples")
        self.expected_failures_path: str | None = opt("--dcr-expected-failures")
        self.redactor = Redactor()
        self._profiles: list[Profile] | None = None
        self._loaded: list[Profile] = []
        self._sessions: dict[str, DcrSession] = {}
        self._server = None
        self._registered: list[tuple[DcrSession, Profile, DynamicClient]] = []
        self._lock = threading.Lock()
        self._expected: dict[str, set[str]] = {}
        self.leftovers: list[dict] = []
        self.unusable: TargetUnusable | None = None
        self.outcomes: dict[tuple[str, str, str], Outcome] = {}
        self.aged = AgedValues()  # tokens that expiry checks share (conformance.suite.aging)
        config.pluginmanager.register(self, "dcr_run_state")

    # ------------------------------------------------------------ profiles and targets

    def load_profiles(self) -> None:
        """Read every profile and the expected-failures file now, before any request."""
        self._loaded = [load_profile(path) for path in self.profile_paths]
        for profile in self._loaded:
            for secret in profile.secrets():
                self.redactor.add_secret(secret)
        if self.expected_failures_path:
            self._expected = _read_expected_failures(Path(self.expected_failures_path))
        if self.defect and self.profile_paths:
            raise pytest.UsageError("--dcr-defect applies to the embedded reference server only; drop --dcr-profile")

    @property
    def loaded_profiles(self) -> list[Profile]:
        return list(self._loaded)

    @property
    def embedded_server(self):
        return self._server

    def profiles(self) -> list[Profile]:
        """The profiles under test, discovered and probed once (the embedded server starts here)."""
        if self.unusable is not None:  # found out once; not again per test function
            raise self.unusable
        if self._profiles is None:
            loaded = self._loaded or [self._start_embedded()]
            self._profiles = [self._prepare(profile) for profile in loaded]
        return self._profiles

    def _start_embedded(self) -> Profile:
        from conformance.server import ReferenceServer

        self._server = ReferenceServer(defect=self.defect, rotate_on_read=self.rotation,
                                       variants=self.config.getoption("--dcr-variant") or (),
                                       initial_token_ttl_s=EMBEDDED_INITIAL_TOKEN_TTL_S,
                                       registration_token_read_write_ttl_s=EMBEDDED_READ_WRITE_TTL_S)
        self._server.__enter__()
        profile = load_profile(self._server.profile_path)
        for secret in profile.secrets():
            self.redactor.add_secret(secret)
        return profile

    def _prepare(self, profile: Profile) -> Profile:
        transport = Transport(profile.server.ca_bundle, profile.server.timeout_s, self.redactor)
        try:
            profile = discover(profile, transport)
        except DiscoveryError as exc:
            code = EXIT_UNREACHABLE if exc.unreachable else EXIT_USAGE
            hint = "" if exc.unreachable else " (set the endpoints in the profile's [server] table)"
            raise TargetUnusable(f"dcr-conformance: profile {profile.name!r} ({profile.path}): "
                                 f"{self.redact(str(exc))}{hint}", code) from None
        probe = transport.send(_probe_spec(profile.server.token_endpoint))
        if probe.error and "TLS" not in probe.error:
            raise TargetUnusable(f"dcr-conformance: the target of profile {profile.name!r} is unreachable: "
                                 f"{profile.server.token_endpoint}: {probe.error}", EXIT_UNREACHABLE)
        self._sessions[profile.name] = DcrSession(profile, transport, on_registered=self._on_registered(profile))
        return profile

    def _on_registered(self, profile: Profile):
        def record(dyn: DynamicClient) -> None:
            with self._lock:
                self._registered.append((self._sessions[profile.name], profile, dyn))
        return record

    def session(self, profile: Profile) -> DcrSession:
        return self._sessions[profile.name]

    def sessions(self) -> dict[str, DcrSession]:
        """The sessions prepared so far, by profile name (reports slice their capture logs)."""
        return dict(self._sessions)

    def aged_client(self, profile: Profile):
        """An ``Aged`` ``(client or None, exchanges)``: a client of the profile's first main client,
        registered once per run and process, as early as possible (DCR-MGT-014 needs an old
        registration access token). The cleanup deletes it like every other client."""
        label = next(iter(profile.main_clients))
        return self.aged.get(("aged-client", profile.name), lambda: self.session(profile).register_new(label))

    def expired_initial_token(self, profile: Profile):
        """An ``Aged`` ``(token or None, exchange)``: an initial token of the profile's first main
        client, obtained once per run and process, as early as possible (DCR-REG-008, DCR-REV-008)."""
        label = next(iter(profile.main_clients))
        return self.aged.get(("expired-initial-token", profile.name),
                             lambda: self.session(profile).initial_token(label))

    def start_aged(self, needed: set[tuple[str, str]]) -> None:
        """Obtain the aged values the run needs, ``(fixture, profile name)``, now, unless the wait
        for them could never fit --dcr-max-wait (their checks are then not claimed anyway)."""
        for profile in self._profiles or []:
            if ("aged_client", profile.name) in needed:
                ttl = profile.claims.registration_token_read_write_ttl_s
                if ttl is not None and ttl + AGING_MARGIN_S <= self.max_wait_s:
                    self.aged_client(profile)
            if ("expired_initial_token", profile.name) in needed:
                if profile.claims.initial_token_ttl_s + AGING_MARGIN_S <= self.max_wait_s:
                    self.expired_initial_token(profile)

    def targets_for(self, profile: Profile, info: CheckInfo | None) -> tuple[list[tuple[Target, str | None]], str]:
        """The main clients a check runs with in ``profile``, each with a skip reason or None."""
        session = self.session(profile)
        clients = list(profile.main_clients.values())
        if info is None:
            return [(Target(profile, c.label, c, session), None) for c in clients], ""
        if info.methods:
            clients = [c for c in clients if c.auth_method in info.methods]
            if not clients:
                return [], f"{NOT_CLAIMED}: no main client uses {' or '.join(info.methods)}"
        profile_reason = next((f"{NOT_CLAIMED}: [claims] {claim} "
                               + ("is not set" if getattr(profile.claims, claim) is None else "= false")
                               for claim in info.claims
                               if not getattr(profile.claims, claim)), None)
        profile_reason = profile_reason or next(
            (r for r in (_need_reason(profile, n) for n in info.needs) if r), None)
        if info.per_profile:
            clients = clients[:1]
        targets = []
        for client in clients:
            reason = profile_reason or next(
                (r for r in (_need_reason(profile, n, client) for n in info.needs) if r), None)
            targets.append((Target(profile, client.label, client, session, info.per_profile), reason))
        return targets, ""

    # ------------------------------------------------------------ expected failures and redaction

    def expected_failure(self, check_id: str, label: str) -> bool:
        labels = self._expected.get(check_id, set())
        return "*" in labels or label in labels

    def redact(self, text: str) -> str:
        return self.redactor.redact_text(text)

    # ------------------------------------------------------------ cleanup (leave no litter)

    def cleanup_clients(self) -> None:
        """Delete every client the suite registered (RFC 7592 §2.3); list the ones that stay."""
        with self._lock:
            registered, self._registered = self._registered, []
        managers: dict[str, str | None] = {}  # profile name -> a management client's dcrm token
        for session, profile, dyn in registered:
            entry = {"profile": profile.name, "client_id": dyn.client_id}
            if self.keep_clients:
                self.leftovers.append({**entry, "reason": "kept (--dcr-keep-clients)"})
                continue
            if not profile.claims.registration_management or not dyn.registration_client_uri:
                self.leftovers.append({**entry, "reason": "the profile does not claim RFC 7592 management"})
                continue
            # A 2xx DELETE, by a check or here, is checked: the client's own token must not read it any more.
            exchange = None if dyn.deleted else session.delete(dyn)
            if exchange is None or exchange.status == 204:
                if _still_readable(session, dyn):
                    self.leftovers.append({**entry, "reason": "DELETE answered 2xx, yet the client's registration "
                                                              "access token still reads it"})
                continue
            if exchange.status in (401, 404) and session.was_deleted(dyn):
                continue
            if exchange.status in (401, 403) and self._delete_as_manager(session, profile, dyn, managers):
                continue
            self.leftovers.append({**entry, "reason": self.redact(
                exchange.error or f"DELETE answered HTTP {exchange.status}")})

    @staticmethod
    def _delete_as_manager(session: DcrSession, profile: Profile, dyn: DynamicClient,
                           tokens: dict[str, str | None]) -> bool:
        """When the client's own token cannot delete it (e.g. a deployment refusing RFC 7592 calls of
        a revoked client), a claimed management client's ``dcrm`` token may (Curity
        ``management-clients``); one token per profile."""
        if not (profile.claims.management_clients and profile.management_client is not None):
            return False
        if profile.name not in tokens:
            tokens[profile.name] = session.management_token()[0]
        token = tokens[profile.name]
        return token is not None and session.delete(dyn, token=token).status == 204

    def close(self) -> None:
        for session in self._sessions.values():
            session.transport.close()
        if self._server is not None:
            self._server.__exit__(None, None, None)
            self._server = None

    # ------------------------------------------------------------ outcomes and summary

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props = dict(report.user_properties)
        if "dcr_check" not in props:
            return
        key = (props["dcr_check"], props["dcr_profile"], props["dcr_client"])
        per_profile = props.get("dcr_per_profile") == "1"
        outcome = self.outcomes.setdefault(key, Outcome(
            props["dcr_check"], props["dcr_title"], props["dcr_level"], props["dcr_profile"], props["dcr_client"],
            per_profile=per_profile))
        outcome.per_profile = outcome.per_profile and per_profile
        verdict = _verdict(report, props)
        if verdict is not None and _RANK[verdict] >= _RANK[outcome.verdict]:
            outcome.verdict = verdict
            if verdict in ("failed", "error", "warning", "unexpectedly passed", "not claimed", "expected failure"):
                outcome.detail = self.redact(_first_line(report, props))

    def counts(self) -> dict[str, int]:
        counts = {v: 0 for v in _RANK}
        for outcome in self.outcomes.values():
            counts[outcome.verdict] += 1
        return counts

    def write_terminal_summary(self, tr) -> None:
        if self.outcomes:
            _write_table(tr, self.outcomes)
            counts = self.counts()
            tr.write_line(
                f"dcr-conformance: {counts['passed']} passed, {counts['failed'] + counts['error']} failed (MUST), "
                f"{counts['warning']} warnings (SHOULD), {counts['not claimed']} not claimed, "
                f"{counts['expected failure']} expected failures, {counts['unexpectedly passed']} expected "
                f"failures that now pass")
        warned = [o for o in self.outcomes.values() if o.verdict == "warning"]
        if warned:
            tr.section("SHOULD-level findings (warnings; failures under --dcr-strict)", sep="-", yellow=True)
            for o in sorted(warned, key=lambda o: (o.check_id, o.profile, o.client)):
                tr.write_line(f"{o.check_id}[{o.profile}-{o.client}]: {o.detail}")
        if self.leftovers:
            tr.section("clients the suite could not delete", sep="-", yellow=True)
            for entry in self.leftovers:
                tr.write_line(f"{entry['profile']}: {entry['client_id']}: {entry['reason']}")


_RANK = {"passed": 0, "not claimed": 1, "expected failure": 2, "warning": 3,
         "unexpectedly passed": 4, "failed": 5, "error": 6}
_SYMBOL = {"passed": "pass", "not claimed": "n/c", "expected failure": "xfail", "warning": "WARN",
           "unexpectedly passed": "XPASS", "failed": "FAIL", "error": "ERROR"}


def _verdict(report: pytest.TestReport, props: dict) -> str | None:
    if hasattr(report, "wasxfail"):
        return "expected failure" if report.skipped else "unexpectedly passed"
    if report.skipped:
        return "not claimed"
    if report.failed:
        if "XPASS" in str(report.longrepr):
            return "unexpectedly passed"
        return "failed" if report.when == "call" else "error"
    if report.when == "call":
        return "warning" if "dcr_warning" in props else "passed"
    return None


def _first_line(report: pytest.TestReport, props: dict) -> str:
    if "dcr_warning" in props:
        return props["dcr_warning"].splitlines()[0]
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    lines = str(report.longrepr or getattr(report, "wasxfail", "")).splitlines()
    return lines[1] if len(lines) > 1 and lines[0].startswith("DCR-") else (lines[0] if lines else "")


def _write_table(tr, outcomes: dict[tuple[str, str, str], Outcome]) -> None:
    columns = sorted({(o.profile, o.client) for o in outcomes.values()})
    tr.section("dcr-conformance summary", sep="=")
    headers = [c if p == columns[0][0] else f"{p}/{c}" for p, c in columns]
    widths = [max(5, len(h)) for h in headers]
    tr.write_line(f"{'check':<13} {'title':<52} " + " ".join(h.ljust(w) for h, w in zip(headers, widths)))
    for check_id in sorted({o.check_id for o in outcomes.values()}):
        rows = {(o.profile, o.client): o for o in outcomes.values() if o.check_id == check_id}
        title = next(iter(rows.values())).title
        title = title if len(title) <= 52 else title[:51] + "…"
        once = {p for (p, _), o in rows.items() if o.per_profile and len([k for k in rows if k[0] == p]) == 1}
        cells = []
        for (profile, client), width in zip(columns, widths):
            outcome = rows.get((profile, client)) or rows.get((profile, "-"))
            symbol = _SYMBOL[outcome.verdict] if outcome else ("-" if profile in once else "")
            cells.append(symbol.ljust(width))
        tr.write_line(f"{check_id:<13} {title:<52} " + " ".join(cells))
    if any(o.per_profile for o in outcomes.values()):
        tr.write_line("(-: a check run once per profile, with the main client whose column shows its verdict)")


def _still_readable(session: DcrSession, dyn: DynamicClient) -> bool:
    """After a 204 DELETE, does the client's own token still read it (RFC 7592 §2.3: it MUST be
    invalidated)? One GET per client, so that a server that says it deleted but did not is caught."""
    return session.transport.send(management.read_request(dyn)).status == 200


def _read_expected_failures(path: Path) -> dict[str, set[str]]:
    """``{"DCR-TOK-011": ["es256", "*"]}`` as JSON, or a TOML table ``[expected_failures]``."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise pytest.UsageError(f"{path}: cannot read the expected-failures file ({exc.strerror})") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text).get("expected_failures", {})
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise pytest.UsageError(f"{path}: not valid {'JSON' if path.suffix == '.json' else 'TOML'}: {exc}") from None
    result: dict[str, set[str]] = {}
    for check_id, labels in data.items():
        if check_id not in CHECKS and CHECKS:
            raise pytest.UsageError(f"{path}: {check_id!r} is not a check id (see docs/requirements.md)")
        if isinstance(labels, str):
            labels = [labels]
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            raise pytest.UsageError(f"{path}: {check_id} must list main-client labels or \"*\"")
        result[check_id] = set(labels)
    return result


def _probe_spec(url: str):
    from conformance.client.http import RequestSpec

    return RequestSpec(method="GET", url=url, headers={})
