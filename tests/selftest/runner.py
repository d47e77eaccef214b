"""In-process runs of the suite for its own tests: what each check did, and whether it failed for
the right reason.

:func:`run_suite` runs the suite in this process (``pytest.main``) against a profile, with a
:class:`Collector` plugin object recording every report by check id; :func:`run_against_server`
starts a :class:`~conformance.server.ReferenceServer` (optionally with a defect) for it and counts
the clients left in its store. The defect matrix (:mod:`tests.selftest.defect_matrix`) and the
suite's tests (``tests/suite``) are built on them.
"""

from __future__ import annotations

import contextlib
import io
import os
import time
from dataclasses import asdict, dataclass, field

import pytest

from conformance.harness.targets import EMBEDDED_INITIAL_TOKEN_TTL_S, EMBEDDED_READ_WRITE_TTL_S

#: Initial-token lifetime of the servers started here: as the plugin's embedded server (DCR-REG-008
#: sleeps it out; shorter would make the fuzzing checks' token pool churn under load).
MATRIX_INITIAL_TOKEN_TTL_S = EMBEDDED_INITIAL_TOKEN_TTL_S
#: ... and the read-write TTL of registration access tokens (DCR-MGT-014 waits it out).
MATRIX_READ_WRITE_TTL_S = EMBEDDED_READ_WRITE_TTL_S
SUITE = "conformance.suite"
SUITE_ARGS = ("-p", "no:cacheprovider", "-q", "--tb=short")


# ------------------------------------------------------------------------------------ results


@dataclass
class Failure:
    nodeid: str
    when: str
    message: str  # the first lines of the (redacted) failure text


@dataclass
class CheckOutcome:
    """What one check did in one run: how many of its tests ran, and how they failed."""

    check_id: str
    ran: int = 0
    skipped: list[str] = field(default_factory=list)   # "nodeid: reason"
    expected: list[str] = field(default_factory=list)  # nodeids failing (strict) only with the SHOULD
                                                       # findings the variants on must produce
    caught: list[str] = field(default_factory=list)    # nodeids failing with the check id first
    wrong: list[Failure] = field(default_factory=list)  # failures that are not the check failing
    functions: list[str] = field(default_factory=list)         # the check's test functions that ran
    caught_functions: list[str] = field(default_factory=list)  # ... and those among them that failed


@dataclass
class RunResult:
    """One in-process run of the suite against one reference server."""

    defect: str | None
    variants: list[str] = field(default_factory=list)  # the conformant variants that were on
    exit_code: int = -1
    duration_s: float = 0.0
    checks: dict[str, CheckOutcome] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)   # nodeids passed with a SHOULD finding
    failures: list[Failure] = field(default_factory=list)
    registered: int = 0       # clients the suite recorded for deletion
    clients_left: int = -1    # clients in the server's store after the run
    leftovers: list[dict] = field(default_factory=list)  # what the suite reported it could not delete
    summary_line: str = ""
    output_tail: str = ""
    output: str = ""          # the whole terminal output, when asked for (keep_output)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> RunResult:
        checks = {k: CheckOutcome(**{**v, "wrong": [Failure(**f) for f in v["wrong"]]})
                  for k, v in data["checks"].items()}
        failures = [Failure(**f) for f in data["failures"]]
        return cls(**{**data, "checks": checks, "failures": failures})


_ALREADY_CAUGHT = "dcr-selftest: this check already failed in this run"


def _message(report: pytest.TestReport) -> str:
    text = str(report.longrepr or "")
    return "\n".join(text.splitlines()[:6])


def names_the_check(check_id: str, report_text: str) -> bool:
    """The failure is the check's own verdict: its text opens with the check id, not a crash
    (traceback) and not a failed prerequisite of the check."""
    lines = report_text.splitlines()
    return bool(lines) and lines[0].startswith(check_id + " ") and not (
        len(lines) > 1 and lines[1].startswith("prerequisite:"))


class Collector:
    """A pytest plugin object: keeps only the named checks, records every report by check id.

    With ``stop_when_caught`` the remaining tests of a check are skipped once one of them failed
    with the check's own verdict (the matrix needs one proof per check, not all of them).
    """

    def __init__(self, only: set[str] | None = None, stop_when_caught: bool = False,
                 expected_findings: dict[str, set[str]] | None = None) -> None:
        self.only = only
        self.stop_when_caught = stop_when_caught
        self.expected_findings = expected_findings or {}  # check id -> requirement ids (variants')
        self.result = RunResult(defect=None)
        self._state = None
        self._functions: dict[str, str] = {}  # nodeid -> the check's test function

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session, config, items) -> None:
        if self.only is None:
            return
        keep, drop = [], []
        for item in items:
            marker = item.get_closest_marker("dcr_check")
            (keep if marker and marker.args[0].id in self.only else drop).append(item)
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item) -> None:
        marker = item.get_closest_marker("dcr_check")
        if marker is None:
            return
        info = marker.args[0]
        self._functions[item.nodeid] = info.function  # one check id may span several functions
        outcome = self.result.checks.get(info.id) if self.stop_when_caught else None
        if outcome is not None and info.function in outcome.caught_functions:
            pytest.skip(_ALREADY_CAUGHT)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props = dict(report.user_properties)
        check_id = props.get("dcr_check")
        outcome = self.result.checks.setdefault(check_id, CheckOutcome(check_id)) if check_id else None
        if report.skipped and _ALREADY_CAUGHT in str(report.longrepr):
            return
        if report.skipped and outcome is not None and not hasattr(report, "wasxfail"):
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            outcome.skipped.append(f"{report.nodeid}: {reason}")
        function = self._functions.get(report.nodeid)
        if report.when == "call" and outcome is not None:
            outcome.ran += 1
            if function and function not in outcome.functions:
                outcome.functions.append(function)
            if report.passed and "dcr_warning" in props:
                self.result.warnings.append(report.nodeid)
        if report.failed and outcome is not None and self._only_expected_findings(check_id, props):
            outcome.expected.append(report.nodeid)  # the variants' own SHOULD finding: proves nothing
            return
        if report.failed:
            failure = Failure(report.nodeid, report.when, _message(report))
            self.result.failures.append(failure)
            if outcome is not None:
                if report.when == "call" and names_the_check(check_id, str(report.longrepr)):
                    outcome.caught.append(report.nodeid)
                    if function and function not in outcome.caught_functions:
                        outcome.caught_functions.append(function)
                else:
                    outcome.wrong.append(failure)

    def _only_expected_findings(self, check_id: str, props: dict) -> bool:
        """A strict-mode failure made only of SHOULD findings the variants on must produce."""
        from conformance.harness.outcomes import FINDINGS_PROPERTY

        named = props.get(FINDINGS_PROPERTY)
        return named is not None and set(named.split()) <= self.expected_findings.get(check_id, set())

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session) -> None:
        # Before the plugin's own (trylast) hook deletes the clients: how many were recorded.
        from conformance.harness.runstate import state_of

        self._state = state_of(session.config)
        self.result.registered = self._state.registered_count

    def finish(self) -> None:
        if self._state is not None:
            self.result.leftovers = list(self._state.leftovers)


def run_suite(profile_path: str | os.PathLike | None, *, only: set[str] | None = None, strict: bool = False,
              args: tuple[str, ...] | list[str] = (), plugins: tuple | list = (),
              keep_output: bool = False, stop_when_caught: bool = False,
              modules: tuple[str, ...] | list[str] = (SUITE,),
              expected_findings: dict[str, set[str]] | None = None) -> RunResult:
    """Run the suite in this process (``pytest.main``) and collect its reports.

    ``profile_path`` None runs against the plugin's embedded server. The terminal output is kept
    (its tail in ``output_tail``, all of it with ``keep_output``, the ``dcr-conformance:`` count
    line in ``summary_line``). The fuzzing checks run derandomized (``CI=true``): the same examples
    every time, and no Hypothesis example database written under the working directory; a
    ``--dcr-fuzz-seed`` in ``args`` pins them further. ``expected_findings`` (check id ->
    requirement ids): SHOULD findings that neither catch a defect nor count as failures.
    """
    collector = Collector(only, stop_when_caught, expected_findings)
    argv = ["--pyargs", *modules, *SUITE_ARGS]
    if profile_path is not None:
        argv += ["--dcr-profile", str(profile_path)]
    if strict:
        argv.append("--dcr-strict")
    argv += list(args)
    buffer = io.StringIO()
    started = time.monotonic()
    with contextlib.redirect_stdout(buffer), _environment(CI="true"):
        exit_code = pytest.main(argv, plugins=[collector, *plugins])
    collector.finish()
    result = collector.result
    result.exit_code = int(exit_code)
    result.duration_s = round(time.monotonic() - started, 2)
    output = buffer.getvalue()
    result.summary_line = next((line for line in output.splitlines() if line.startswith("dcr-conformance: ")
                                and " passed, " in line), "")
    result.output_tail = "\n".join(output.splitlines()[-60:])
    result.output = output if keep_output else ""
    return result


@contextlib.contextmanager
def _environment(**values: str):
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_against_server(defect: str | None, *, only: set[str] | None = None, strict: bool = False,
                       args: tuple[str, ...] | list[str] = (), keep_output: bool = False,
                       stop_when_caught: bool = False, modules: tuple[str, ...] | list[str] = (SUITE,),
                       variants: tuple[str, ...] | list[str] = (), **server_options) -> RunResult:
    """Start a reference server (with ``defect`` and the conformant ``variants``), run the suite
    against its profile, inspect its store. The SHOULD findings the variants must produce
    (:func:`conformance.server.variants.expected_findings`) do not count as failures."""
    from conformance.server import ReferenceServer
    from conformance.server.variants import expected_findings

    server_options.setdefault("initial_token_ttl_s", MATRIX_INITIAL_TOKEN_TTL_S)
    server_options.setdefault("registration_token_read_write_ttl_s", MATRIX_READ_WRITE_TTL_S)
    with ReferenceServer(defect=defect, variants=variants, **server_options) as srv:
        result = run_suite(srv.profile_path, only=only, strict=strict, args=args, keep_output=keep_output,
                           stop_when_caught=stop_when_caught, modules=modules,
                           expected_findings=expected_findings(variants))
        result.clients_left = srv.store.count_clients()
    result.defect = defect
    result.variants = list(variants)
    return result
