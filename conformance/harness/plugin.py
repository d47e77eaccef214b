"""The pytest plugin of dcr-conformance (entry point ``pytest11``).

It reads the ``--dcr-*`` options, loads the profiles (or starts the embedded reference server),
parameterises every check by profile × main client (test ids such as
``DCR-REG-001[staging-mtls]``), skips what a profile does not claim, turns SHOULD findings into
warnings, applies the expected-failures file, records every client the suite registers and deletes
them at the end (after failures and Ctrl-C too), and prints the per-check summary.

The reports sit above the harness: :mod:`conformance.reporting.plugin` (a pytest11 entry point of
its own) receives the run state through the hook ``pytest_dcr_run_state``
(:mod:`~conformance.harness.hookspecs`); the harness imports nothing of reporting.
"""

from __future__ import annotations

import json
import time

import pytest

from conformance.harness import hookspecs
from conformance.harness.interrupts import RUN, RunInterrupted
from conformance.harness.options import add_options, requested
from conformance.harness.outcomes import BLOCKED_PROPERTY, FINDINGS_PROPERTY, NOT_RUN_PROPERTY, blocked_reason
from conformance.harness.runstate import RUN_STATE, RunState, state_of
from conformance.harness.targets import Target, TargetUnusable, describe_target
from conformance.oracles import failures
from conformance.requirements import SHOULD
from conformance.catalogue import CheckInfo
from conformance.suite import steps
from conformance.suite.check import STEPS
from conformance.suite.expiry import AGING_MARGIN_S
from conformance.vocabulary import DCR_SCOPE

#: Fixtures whose values are obtained before the first test (before collection when nothing narrows
#: the run), so that their checks, run last, find them old enough: the run itself is the wait
#: (DCR-MGT-014's client, the expired initial token of DCR-REG-008 and DCR-REV-008).
AGED_FIXTURES = ("aged_client", "expired_initial_token")
#: (fixture, profile name) pairs that selected, claimed checks will need.
_AGED_NEEDED = pytest.StashKey[set]()


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    for step in STEPS:
        config.addinivalue_line("markers", f"{step}: checks of the {step} step of the DCR fallback")
    config.addinivalue_line("markers", "must: checks of MUST-level requirements")
    config.addinivalue_line("markers", "should: checks of SHOULD-level requirements (warnings unless --dcr-strict)")
    config.addinivalue_line("markers", "dcr_check(info): the catalogue entry a test enforces")
    config.addinivalue_line("markers", "fuzz: Hypothesis-driven properties")
    # Python 3.12+ warns at every fork of a process with threads. The run forks on purpose, and its
    # children say what they may use (conformance.fuzz.ahead, conformance.reporting.forked).
    config.addinivalue_line("filterwarnings", "ignore:This process .* is multi-threaded, use of fork:DeprecationWarning")
    state = RunState(config)
    state.requested = requested(config)
    try:
        state.load_profiles()
    except Exception as exc:  # ProfileError and unreadable files: usage errors, exit status 2 in the CLI
        raise pytest.UsageError(str(exc)) from None
    config.stash[RUN_STATE] = state
    if state.cli_exit_statuses or state.profile_paths or config.getoption("--dcr-report-dir"):
        state.interrupts.install()  # a run of checks: signals during collection are handled too
        state.heap.start()  # what the run keeps is frozen out of the collector's walks
        # Unfrozen last: after pytest's own collections at the end (its unraisable-exception plugin
        # collects in pytest_unconfigure and in the cleanup it registered after this one).
        config.add_cleanup(state.heap.stop)
    # The reports (and any plugin registered later: a historic hook) receive the state here.
    config.hook.pytest_dcr_run_state.call_historic(kwargs={"config": config, "state": state})


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(RUN_STATE, None)
    if state is not None:
        state.interrupts.uninstall()
        state.close()


def pytest_report_header(config: pytest.Config) -> list[str]:
    """The target, when the run asked for the suite (silent in other projects' runs)."""
    state = state_of(config)
    if not state.requested:
        return []
    return describe_target(state.profile_paths, state.defect)


# ---------------------------------------------------------------- parametrisation


def _check_info(item_or_definition) -> CheckInfo | None:
    marker = item_or_definition.get_closest_marker("dcr_check")
    return marker.args[0] if marker else None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "target" not in metafunc.fixturenames:
        return
    info = _check_info(metafunc.definition)
    state = state_of(metafunc.config)
    try:
        profiles = state.profiles()
    except TargetUnusable as exc:  # reported once, after collection (pytest.exit is not allowed here)
        state.unusable = exc
        metafunc.parametrize("target", [])
        return
    params = []
    for profile in profiles:
        targets, reason = state.targets_for(profile, info)
        if not targets:
            params.append(pytest.param(None, id=profile.name, marks=pytest.mark.skip(reason=reason)))
        for target, skip_reason in targets:
            marks = [pytest.mark.skip(reason=skip_reason)] if skip_reason else []
            params.append(pytest.param(target, id=target.id, marks=marks))
    metafunc.parametrize("target", params)


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    state = state_of(config)
    if state.unusable is not None:
        pytest.exit(str(state.unusable), returncode=state.unusable.returncode)
    for item in items:
        info = _check_info(item)
        if info is None:
            continue
        state.checks_collected = True
        callspec = getattr(item, "callspec", None)
        param_id = callspec.id if callspec else ""
        # DCR-REG-001[staging-mtls]: the check id leads, so JUnit readers find the requirement.
        new_name = f"{info.id}[{param_id}]" if param_id else info.id
        _rename(item, new_name)
        item.keywords[info.id] = True
        target = callspec.params.get("target") if callspec else None
        item.user_properties.extend([
            ("dcr_check", info.id), ("dcr_title", info.title), ("dcr_level", info.level),
            ("dcr_step", info.step), ("dcr_requirements", " ".join(info.requirements)),
            ("dcr_profile", target.profile.name if target else param_id.split("-")[0]),
            ("dcr_client", target.label if target else "-"),
        ])
        if target is not None and target.per_profile:  # run once, with the profile's first main client
            item.user_properties.append(("dcr_per_profile", "1"))
        label = target.label if target else "*"
        if state.expected_failure(info.id, label):
            item.add_marker(pytest.mark.xfail(
                reason=f"expected failure of {info.id} for {label} ({state.expected_failures_path})", strict=True))
    # Checks waiting for an aged value to grow old run last: the run is their wait.
    items[:] = sorted(items, key=lambda item: bool(_aged_fixtures(item)))


def _aged_fixtures(item: pytest.Item) -> list[str]:
    return [name for name in AGED_FIXTURES if name in getattr(item, "fixturenames", ())]


def pytest_collection_finish(session: pytest.Session) -> None:
    """Remember the aged values (and of which profiles) the selected, claimed checks will need, and
    the selected checks (those no process reports are "not run"); a run of checks handles signals."""
    needed = set()
    state = state_of(session.config)
    state.pytest_session = session
    checks = {item.nodeid: list(item.user_properties) for item in session.items if _check_info(item) is not None}
    if checks and not session.config.option.collectonly:
        state.record_unreported(checks)
        state.interrupts.install()
        if state.deadline is not None:  # a check still running at the deadline is cut off
            state.interrupts.arm_deadline(state.deadline - time.time(), state.deadline_reached)
    for item in session.items:
        callspec = getattr(item, "callspec", None)
        target = callspec.params.get("target") if callspec else None
        if target is not None and item.get_closest_marker("skip") is None:
            needed.update((name, target.profile.name) for name in _aged_fixtures(item))
    session.config.stash[_AGED_NEEDED] = needed


@pytest.hookimpl(tryfirst=True)
def pytest_collection(session: pytest.Session) -> None:
    """Reach the targets (discovery, probe; the embedded server starts) before the check modules
    are imported: start-up is the time to the first request. Not on an xdist controller, which
    runs no checks, nor in sessions that do not collect the suite (the project's own tests); a
    target found unusable is reported after collection, as before. The xdist controller (which
    collects nothing) reaches a profile's target here only to find it unusable, once: a worker
    cannot end the run from its collection."""
    config = session.config
    state = state_of(config)
    if state.is_controller and state.profile_paths:
        try:
            state.profiles()
        except TargetUnusable as exc:
            pytest.exit(str(exc), returncode=exc.returncode)
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        return
    if not any(_names_the_suite(arg) for arg in config.args):
        return
    try:
        profiles = state.profiles()
    except TargetUnusable as exc:
        state.unusable = exc
        return
    if _selects_every_check(config):  # the aged checks are among them: their waits start now
        state.start_aged({(name, profile.name) for profile in profiles for name in AGED_FIXTURES})


def _selects_every_check(config: pytest.Config) -> bool:
    """Nothing narrows the run (``-k``, ``-m``, ``--deselect``, a module or node id, a collect-only
    listing): every check will be collected, those waiting for aged values among them."""
    option = config.option
    if option.keyword or option.markexpr or getattr(option, "deselect", None) or option.collectonly:
        return False
    return all(arg == "conformance.suite" or arg.replace("\\", "/").rstrip("/").endswith("conformance/suite")
               for arg in config.args)


def _names_the_suite(arg: str) -> bool:
    """A command-line argument naming the checks (``--pyargs conformance.suite[...]`` or their path)."""
    return arg.startswith("conformance.suite") or "conformance/suite" in arg.replace("\\", "/")


def _rename(item: pytest.Item, name: str) -> None:
    """Give a collected check the id ``DCR-XXX-NNN[params]`` (pytest 9 keeps ids in ``_id``, 8 in ``_nodeid``)."""
    if hasattr(item, "_id") and hasattr(item.parent, "id"):
        item._id = item.parent.id.child(name)
    else:
        item._nodeid = item.nodeid[: item.nodeid.rindex("::") + 2] + name
    item.name = name


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def dcr_state(request: pytest.FixtureRequest) -> RunState:
    return state_of(request.config)


@pytest.fixture
def profile(target: Target):
    return target.profile


@pytest.fixture
def main_client(target: Target):
    return target.main


@pytest.fixture
def dcr_session(target: Target):
    """The profile's DCR session (pooled connections, capture, redaction)."""
    return target.session


@pytest.fixture
def new_initial_token(target: Target):
    """A factory of fresh initial registration tokens for the target's main client (step 1)."""
    def get(scope: str = DCR_SCOPE) -> str:
        return steps.setup_initial_token(target.session, target.label, scope)  # blocks when it fails
    return get


@pytest.fixture
def initial_token(new_initial_token) -> str:
    return new_initial_token()


@pytest.fixture
def expired_initial_token(target: Target, dcr_state) -> str:
    """An initial token older than ``initial_token_ttl_s``: obtained before the run's first test, once
    per profile and process, and shared by the checks needing an expired token (DCR-REG-008,
    DCR-REV-008), which run last and wait only for what is left."""
    ttl = target.profile.claims.initial_token_ttl_s
    if ttl + AGING_MARGIN_S > dcr_state.max_wait_s:
        pytest.skip(f"not claimed by profile: initial_token_ttl_s = {ttl} is longer than --dcr-max-wait")
    aged = dcr_state.expired_initial_token(target.profile)
    token, exchange = aged.value
    steps.initial_token_answer(exchange, "the initial token request of the profile's first main client")
    aged.wait_until_older_than(ttl + AGING_MARGIN_S, dcr_state.max_wait_s, f"initial_token_ttl_s = {ttl}")
    return token


@pytest.fixture
def register(target: Target, new_initial_token):
    """A factory registering a fresh dynamic client with a fresh initial token (steps 1 and 2)."""
    def do(metadata: dict | None = None):
        return steps.setup_registration(target.session, new_initial_token(), metadata)  # blocks when it fails
    return do


@pytest.fixture
def registered(register):
    """A freshly registered dynamic client (deleted at the end of the run)."""
    return register()


@pytest.fixture
def aged_client(target: Target, dcr_state):
    """``Aged((client or None, exchanges))``: a client registered before the run's first test, so
    that its registration access token is old when the check using it runs, last (DCR-MGT-014)."""
    ttl = target.profile.claims.registration_token_read_write_ttl_s or 0
    if ttl + AGING_MARGIN_S > dcr_state.max_wait_s:  # no client registered for a wait that cannot fit
        pytest.skip(f"not claimed by profile: registration_token_read_write_ttl_s = {ttl} is longer than "
                    "--dcr-max-wait")
    return dcr_state.aged_client(target.profile)


# ---------------------------------------------------------------- outcomes


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session):
    """Before the first test (of each xdist worker too): the aged values the selected checks need
    start ageing (those :func:`pytest_collection` started already keep their age)."""
    needed = session.config.stash.get(_AGED_NEEDED, None)
    state = state_of(session.config)
    state.pytest_session = session
    state.interrupts.phase = RUN
    if needed and not session.config.option.collectonly and state.not_run_reason() is None:
        state.start_aged(needed)
    return (yield)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    failures.reset_findings()
    _skip_if_not_to_run(item)
    if _aged_fixtures(item):  # the checks that wait run last: earlier clients are deleted meanwhile
        state_of(item.config).clean_while_waiting()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """A check's own code; the first signal cuts it off: "not run" (never passed)."""
    state = state_of(item.config)
    _skip_if_not_to_run(item)
    state.interrupts.in_call = True
    try:
        return (yield)
    except RunInterrupted as exc:
        reason = f"{exc} while the check ran"
        item.user_properties.append((NOT_RUN_PROPERTY, reason))
        pytest.skip(reason)
    finally:
        state.interrupts.in_call = False


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    """After each check (torn down, reported): what survived a full collection is frozen."""
    try:
        return (yield)
    finally:
        state = item.config.stash.get(RUN_STATE, None)
        if state is not None:
            state.heap.after_check()


def _skip_if_not_to_run(item: pytest.Item) -> None:
    """After a signal or past --dcr-max-run-time, a check is not started: "not run"."""
    reason = state_of(item.config).not_run_reason()
    if reason is not None and _check_info(item) is not None:
        item.user_properties.append((NOT_RUN_PROPERTY, reason))
        pytest.skip(reason)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    info = _check_info(item)
    if info is None:
        return report
    state = state_of(item.config)
    blocked = None
    if call.excinfo is not None and call.excinfo.errisinstance(failures.CheckFailure) and report.failed:
        blocked = blocked_reason(call.excinfo.value, info)
    if blocked is not None:  # not its own requirement: neither passed nor failed (outcomes.py)
        text = state.redact(blocked)
        path, line = item.reportinfo()[:2]
        report.outcome = "skipped"
        report.longrepr = (str(path), (line or 0) + 1, text)
        report.user_properties.append((BLOCKED_PROPERTY, text))
        item.user_properties.append((BLOCKED_PROPERTY, text))  # JUnit writes the teardown report's
        return report
    head = _failure_head(item, info)
    if report.longrepr is not None and not hasattr(report, "wasxfail"):
        if call.excinfo is not None and call.excinfo.errisinstance(failures.CheckFailure):
            report.longrepr = f"{head}\n{call.excinfo.value}"
        if report.skipped and isinstance(report.longrepr, tuple):  # (path, line, reason): pytest reads it as such
            path, line, reason = report.longrepr
            report.longrepr = (path, line, state.redact(str(reason)))
        else:
            report.longrepr = state.redact(str(report.longrepr))
    if call.when != "call":
        return report
    records = failures.finding_records(info.requirements)
    notes = [text for text, _ in records]
    named = [requirements for _, requirements in records]
    failed_check = call.excinfo is not None and call.excinfo.errisinstance(failures.CheckFailure) \
        and not call.excinfo.errisinstance(failures.PrerequisiteFailure)
    if report.failed and info.level == SHOULD and failed_check and not state.strict:
        notes.append(str(call.excinfo.value))
        named.append(call.excinfo.value.requirements)
        report.outcome = "passed"
        report.longrepr = None
    if notes and report.passed and not hasattr(report, "wasxfail"):
        # which requirements the findings name (the check's own where one names none): the
        # self-test tells the SHOULD findings a conformant variant must produce from the others
        ids = sorted({rid for requirements in named for rid in (requirements or info.requirements)})
        report.user_properties.append((FINDINGS_PROPERTY, " ".join(ids)))
        text = state.redact("\n".join(notes))
        if state.strict:
            report.outcome = "failed"
            report.longrepr = f"{head} (SHOULD, failing in strict mode)\n{text}"
        else:
            report.user_properties.append(("dcr_warning", text))
    return report


def _failure_head(item: pytest.Item, info: CheckInfo) -> str:
    """First line of a failure: the check id, where it ran (profile, main client) and its title."""
    callspec = getattr(item, "callspec", None)
    target = callspec.params.get("target") if callspec else None
    if target is None:
        return f"{info.id} {info.title}"
    where = f"profile {target.profile.name}" + ("" if target.per_profile else f", main client {target.label}")
    return f"{info.id} ({where}): {info.title}"


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config):
    if report.when == "call" and report.passed and any(k == "dcr_warning" for k, _ in report.user_properties):
        return "warned", "W", ("WARN", {"yellow": True})
    if report.skipped and any(k == BLOCKED_PROPERTY for k, _ in report.user_properties):
        return "blocked", "b", ("BLOCKED", {"yellow": True})
    return None


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = state_of(session.config)
    state.cleanup_clients()
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: hand what the controller reports over
        workeroutput["dcr_leftovers"] = json.dumps(state.leftovers)
        workeroutput["dcr_unresponsive"] = json.dumps(state.watch.summary())
        workeroutput["dcr_out_of_time"] = state.out_of_time
        workeroutput["dcr_unreported"] = json.dumps(
            {nodeid: props for nodeid, props in state.unreported.items() if nodeid not in state.reported})
        return
    if session.exitstatus != pytest.ExitCode.USAGE_ERROR:  # a wrong command line (-k) selected nothing to run
        state.add_not_run()
    if session.exitstatus == pytest.ExitCode.OK and state.counts().get("blocked"):
        # A blocked check is no pass: the check owning the broken requirement fails the run; when
        # it was not selected (or not claimed), the blocked checks do.
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    final = state.final_status(session.exitstatus)
    if final != session.exitstatus:  # interrupted (128 + N) or out of time (124)
        session.exitstatus = final


def pytest_testnodedown(node, error) -> None:
    state = state_of(node.config)
    output = getattr(node, "workeroutput", None) or {}
    if not output or id(output) in state.nodes_down:  # xdist reports an interrupted worker twice
        return
    state.nodes_down.add(id(output))
    state.leftovers.extend(json.loads(output.get("dcr_leftovers", "[]")))
    state.unresponsive.extend(json.loads(output.get("dcr_unresponsive", "[]")))
    state.out_of_time = state.out_of_time or bool(output.get("dcr_out_of_time"))
    state.record_unreported(json.loads(output.get("dcr_unreported", "{}")))


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    """xdist: the workers share the controller's --dcr-max-run-time deadline."""
    deadline = state_of(node.config).deadline
    if deadline is not None:
        node.workerinput["dcr_deadline"] = deadline


@pytest.hookimpl(optionalhook=True)
def pytest_testnodeready(node) -> None:
    """xdist: the controller forwards signals to its workers."""
    try:
        pid = node.gateway._rinfo().pid  # cached by xdist at the worker's setup
    except Exception:  # noqa: BLE001 - an execnet without it: Ctrl-C still reaches the process group
        return
    state_of(node.config).interrupts.worker_pids.append(pid)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node, ids) -> None:
    """xdist controller: a run of checks handles signals (it collects nothing itself)."""
    if any("::DCR-" in nodeid for nodeid in ids):
        state_of(node.config).interrupts.install()


@pytest.hookimpl(tryfirst=True)  # what made the run incomplete, then the table, then the reports' verdict line
def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    state = state_of(config)
    if state.requested or state.checks_collected or state.outcomes:
        state.write_terminal_summary(terminalreporter, int(exitstatus))

