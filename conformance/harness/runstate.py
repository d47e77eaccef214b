"""State of one conformance run: profiles, sessions, the client registry, aged values and outcomes.

The plugin keeps one ``RunState`` per pytest config (:func:`state_of`). It is also registered as
a plugin object so it sees every test report (the summary is built on the controller when xdist is
used). The parts live beside it: :mod:`~conformance.harness.targets` (embedded server, probe,
targets), :mod:`~conformance.harness.cleanup`, :mod:`~conformance.harness.expected_failures`,
:mod:`~conformance.harness.outcomes` and :mod:`~conformance.harness.console`.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from conformance.client.redact import Redactor
from conformance.client.registration import DynamicClient
from conformance.client.session import DcrSession
from conformance.harness.aging import AgedValues
from conformance.harness.cleanup import ABANDONED, CLEANUP_THREADS, delete_clients
from conformance.harness.console import write_not_started, write_terminal_summary
from conformance.harness.expected_failures import is_expected, read_expected_failures
from conformance.harness.exitcodes import EXIT_OUT_OF_TIME, contract_status
from conformance.harness.heap import KeptHeap
from conformance.harness.interrupts import CLEANUP, DONE, CleanupAbandoned, Interrupts
from conformance.harness.options import option
from conformance.harness.outcomes import Outcome, count_verdicts, record_not_run, record_report
from conformance.harness.unresponsive import EndpointWatch
from conformance.harness.targets import Target, TargetUnusable, reach, start_embedded_server, targets_for
from conformance.profile import Profile, load_profile
from conformance.catalogue import CheckInfo
from conformance.suite.expiry import AGING_MARGIN_S

#: Where the plugin keeps the run state of a pytest config, once its profiles were read.
RUN_STATE = pytest.StashKey["RunState"]()


def state_of(config: pytest.Config) -> RunState:
    """The run state of this pytest config (made by the plugin's ``pytest_configure``)."""
    return config.stash[RUN_STATE]


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
        self.registered_count = 0  # clients recorded for deletion over the whole run
        self._early_cleanup: threading.Thread | None = None  # see clean_while_waiting
        self._early_leftovers: list[dict] | None = None
        self._lock = threading.Lock()
        self._expected: dict[str, set[str]] = {}
        self.leftovers: list[dict] = []
        self.unusable: TargetUnusable | None = None
        #: The run asked for the suite (a --dcr-* option, the suite named); set by the plugin.
        self.requested: bool = False
        #: A check was collected in this process (the suite's modules are part of the run).
        self.checks_collected: bool = False
        self.outcomes: dict[tuple[str, str, str], Outcome] = {}
        self.aged = AgedValues()  # tokens that expiry checks share (conformance.harness.aging)
        # Bounds of the run (issue: a hostile server cannot stall, exhaust or litter a run).
        self.max_response_bytes: int = int(opt("--dcr-max-response-bytes"))
        self.watch = EndpointWatch(opt("--dcr-unresponsive-after"))
        self.unresponsive: list[dict] = []  # marked endpoints of the xdist workers
        self.cli_exit_statuses: bool = bool(opt("--dcr-cli-exit-statuses"))
        workerinput = getattr(config, "workerinput", None)
        max_run_time = opt("--dcr-max-run-time")
        self.max_run_time_s: float | None = float(max_run_time) if max_run_time else None
        self.deadline: float | None = (workerinput or {}).get("dcr_deadline") or (
            time.time() + self.max_run_time_s if self.max_run_time_s else None)  # wall clock, shared with workers
        self.out_of_time = False  # a test was not run because the deadline had passed
        self.pytest_session: pytest.Session | None = None
        self.is_controller = workerinput is None and getattr(config.option, "numprocesses", None) not in (None, 0) \
            and getattr(config.option, "dist", "no") != "no"
        self.interrupts = Interrupts(controller=self.is_controller, stop_session=self._stop_session)
        self.heap = KeptHeap()  # started by a run of checks (plugin.pytest_configure)
        self.reported: set[str] = set()  # nodeids with a report
        self.unreported: dict[str, list] = {}  # nodeid -> user properties of selected tests no one reported
        self.nodes_down: set[int] = set()  # xdist workers whose output was read
        config.pluginmanager.register(self, "dcr_run_state")

    # ------------------------------------------------------------ profiles and targets

    def load_profiles(self) -> None:
        """Read every profile and the expected-failures file now, before any request."""
        self._loaded = [load_profile(path) for path in self.profile_paths]
        for profile in self._loaded:
            for secret in profile.secrets():
                self.redactor.add_secret(secret)
        if self.expected_failures_path:
            self._expected = read_expected_failures(Path(self.expected_failures_path))
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
        self._server = start_embedded_server(self.defect, self.rotation,
                                             variants=self.config.getoption("--dcr-variant") or ())
        profile = load_profile(self._server.profile_path)
        for secret in profile.secrets():
            self.redactor.add_secret(secret)
        return profile

    def _prepare(self, profile: Profile) -> Profile:
        profile, transport = reach(profile, self.redactor, max_response_bytes=self.max_response_bytes, watch=self.watch)
        self._sessions[profile.name] = DcrSession(profile, transport, on_registered=self._on_registered(profile))
        return profile

    def _on_registered(self, profile: Profile):
        def record(dyn: DynamicClient) -> None:
            with self._lock:
                self._registered.append((self._sessions[profile.name], profile, dyn))
                self.registered_count += 1
        return record

    def session(self, profile: Profile) -> DcrSession:
        return self._sessions[profile.name]

    def sessions(self) -> dict[str, DcrSession]:
        """The sessions prepared so far, by profile name (reports slice their capture logs)."""
        return dict(self._sessions)

    def targets_for(self, profile: Profile, info: CheckInfo | None) -> tuple[list[tuple[Target, str | None]], str]:
        """The main clients a check runs with in ``profile``, each with a skip reason or None."""
        return targets_for(profile, self.session(profile), info)

    # ------------------------------------------------------------ values aged by the run itself

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

    # ------------------------------------------------------------ expected failures and redaction

    def expected_failure(self, check_id: str, label: str) -> bool:
        return is_expected(self._expected, check_id, label)

    def redact(self, text: str) -> str:
        return self.redactor.redact_text(text)

    # ------------------------------------------------------------ cleanup (leave no litter)

    def clean_while_waiting(self) -> None:
        """The checks left wait for aged values, and run last (DCR-MGT-014, DCR-REG-008, DCR-REV-008):
        the clients every earlier check registered are no check's any more. Delete them now, on a
        background thread, so that the deletes overlap the wait; the aged clients stay, and what the
        last checks register is deleted by :meth:`cleanup_clients`, which also joins this thread
        and lists what it could not delete. Once per run and process."""
        if self.keep_clients or self._early_cleanup is not None:
            return
        aged = {id(value[0]) for value in (a.value for a in self.aged.values())
                if isinstance(value, tuple) and isinstance(value[0], DynamicClient)}
        with self._lock:
            batch = [entry for entry in self._registered if id(entry[2]) not in aged]
            self._registered = [entry for entry in self._registered if id(entry[2]) in aged]
        interrupts = self.interrupts

        def delete() -> None:
            try:
                self._early_leftovers = delete_clients(batch, keep=False, redact=self.redact,
                                                       abandoned=lambda: interrupts.abandoned)
            except BaseException:  # noqa: BLE001 (listed below: nothing may leave silently)
                self._early_leftovers = [{"profile": p.name, "client_id": d.client_id, "reason": ABANDONED}
                                         for _, p, d in batch if not d.deleted]
        self._early_cleanup = threading.Thread(target=delete, name=CLEANUP_THREADS + "-early", daemon=True)
        self._early_cleanup.start()

    def _join_early_cleanup(self) -> None:
        thread = self._early_cleanup
        if thread is None:
            return
        while thread.is_alive():  # short joins: a signal is still handled meanwhile
            thread.join(0.1)
        self.leftovers.extend(self._early_leftovers or [])
        self._early_leftovers = []

    def cleanup_clients(self) -> None:
        """Delete every client the suite registered (RFC 7592 §2.3); list the ones that stay. A
        second signal stops it (:mod:`~conformance.harness.interrupts`): the rest is listed and printed."""
        with self._lock:
            registered, self._registered = self._registered, []
        interrupts = self.interrupts
        try:
            interrupts.phase = CLEANUP
            self._join_early_cleanup()
            left = delete_clients(registered, keep=self.keep_clients, redact=self.redact,
                                  abandoned=lambda: interrupts.abandoned)
        except CleanupAbandoned:  # between two clients
            left = [{"profile": p.name, "client_id": d.client_id, "reason": ABANDONED} for _, p, d in registered if not d.deleted]
        finally:
            self._join_early_cleanup()  # again after a second signal: that thread stops at once then
            interrupts.phase = DONE
        self.leftovers.extend(left)
        if interrupts.abandoned:
            stopped = [e for e in left if e["reason"] == ABANDONED]
            ids = ", ".join(self.redact(e["client_id"]) for e in stopped[:20]) + (" ..." if len(stopped) > 20 else "")
            interrupts._out(f"\ndcr-conformance: cleanup stopped: {len(stopped)} registered client(s) left on the "
                            f"server{': ' + ids if ids else ''} (listed in the reports)")

    # ------------------------------------------------------------ the end of a run: signals, time, status

    def _stop_session(self, reason: str) -> None:
        if self.is_controller:
            dsession = self.config.pluginmanager.getplugin("dsession")
            if dsession is not None and not dsession.shouldstop:
                dsession.shouldstop = reason
        elif self.pytest_session is not None:
            self.pytest_session.shouldstop = reason

    def past_deadline(self) -> bool:
        """Whether --dcr-max-run-time has passed (remembered: the run is then incomplete)."""
        if self.deadline is not None and time.time() >= self.deadline:
            self.out_of_time = True
        return self.out_of_time

    def deadline_reached(self) -> str | None:
        """SIGALRM at --dcr-max-run-time: the check running is cut off with this reason."""
        self.out_of_time = True
        return self.not_run_reason()

    def not_run_reason(self) -> str | None:
        """Why a test about to start must not run: the run was interrupted or is out of time."""
        if self.interrupts.interrupted:
            return f"not run: {self.interrupts.reason}"
        if self.past_deadline():
            return f"not run: --dcr-max-run-time of {self.max_run_time_s:g} s reached"
        return None

    def incomplete_reason(self) -> str | None:
        """Why the run did not run every selected check (None: it did)."""
        if self.interrupts.interrupted:
            return f"run {self.interrupts.reason}"
        if self.out_of_time:
            return f"run stopped at --dcr-max-run-time ({self.max_run_time_s:g} s)"
        return None

    def final_status(self, code: int) -> int:
        """The run's exit status: an interrupted run 128 + N, an out-of-time run 124, else ``code``."""
        if self.interrupts.interrupted:
            return self.interrupts.exit_status()
        if self.out_of_time:
            return EXIT_OUT_OF_TIME
        return int(code)

    def process_status(self, code: int) -> int:
        """What the process exits with (``dcr-conformance run`` maps pytest's codes, README)."""
        final = self.final_status(code)
        return contract_status(final) if self.cli_exit_statuses else final

    def record_unreported(self, items: dict[str, list]) -> None:
        """Selected tests of a worker (or of this process) that may not have run: kept until the end."""
        for nodeid, props in items.items():
            self.unreported.setdefault(nodeid, props)

    def add_not_run(self) -> None:
        """Every selected check no process reported becomes a "not run" result."""
        if self.interrupts.interrupted:
            reason = f"not run: {self.interrupts.reason}"
        elif self.out_of_time:
            reason = f"not run: --dcr-max-run-time of {self.max_run_time_s:g} s reached"
        else:
            reason = "not run: the run ended before it (-x, --maxfail or a crashed worker)"
        for nodeid, props in self.unreported.items():
            if nodeid not in self.reported and any(k == "dcr_check" for k, _ in props):
                record_not_run(self.outcomes, nodeid, [tuple(p) for p in props], reason)
                self.reported.add(nodeid)

    def unresponsive_endpoints(self) -> list[dict]:
        seen, out = set(), []
        for entry in [*self.watch.summary(), *self.unresponsive]:
            if entry["endpoint"] not in seen:
                seen.add(entry["endpoint"])
                out.append(entry)
        return out

    def close(self) -> None:
        for session in self._sessions.values():
            session.transport.close()
        if self._server is not None:
            self._server.__exit__(None, None, None)
            self._server = None

    # ------------------------------------------------------------ outcomes and summary

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.reported.add(report.nodeid)
        record_report(self.outcomes, report, self.redact)

    def counts(self) -> dict[str, int]:
        return count_verdicts(self.outcomes)

    def selection(self) -> tuple[int, int] | None:
        """(checks with a result, checks in the catalogue) when -k or -m narrowed the run, else None."""
        if not (option(self.config, "keyword") or option(self.config, "markexpr")):
            return None
        from conformance.catalogue import load_checks

        return len({o.check_id for o in self.outcomes.values()}), len(load_checks())

    def not_started(self, exitstatus: int) -> tuple[str, str] | None:
        """(why, hint) when no check ran because of the command line (a usage error, or -k / -m
        selecting nothing): such a run has no verdict. None when the run started."""
        if self.outcomes or exitstatus not in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.NO_TESTS_COLLECTED):
            return None
        keyword, marker = option(self.config, "keyword"), option(self.config, "markexpr")
        markers = "token, register, use, manage, revoke, must, should, fuzz"
        if exitstatus == pytest.ExitCode.USAGE_ERROR:
            return ("the command line is wrong (the error follows)",
                    f"-k takes check ids and words joined by and / or / not (e.g. -k \"DCR-REG and not DCR-REG-008\"); "
                    f"-m takes {markers}")
        chosen = " and ".join(f"{flag} {value!r}" for flag, value in (("-k", keyword), ("-m", marker)) if value)
        if chosen:
            return (f"{chosen} selected none of the checks",
                    f"check ids look like DCR-REG-006 (dcr-conformance requirements lists them); -m takes {markers}")
        return ("no check was collected", "the checks are the module conformance.suite (--pyargs conformance.suite)")

    def write_terminal_summary(self, tr, exitstatus: int = 0) -> None:
        why = self.not_started(exitstatus)
        if why is not None:
            write_not_started(tr, *why)
            return
        write_terminal_summary(tr, self.outcomes, self.leftovers, selection=self.selection(),
                               incomplete=self.incomplete_reason(), unresponsive=self.unresponsive_endpoints(),
                               redact=self.redact)
