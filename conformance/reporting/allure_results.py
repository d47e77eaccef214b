"""Allure results of a conformance run (only when ``--alluredir`` is given).

For every check (a test carrying the ``dcr_check`` marker):

* title: check id, main-client label and the check's one-sentence title (``DCR-REG-006 [mtls]
  A second registration ...``); description: check id, level and the requirements' texts;
  labels: suites profile › step › check id and title (the tree a certification is read by),
  epic = profile, feature = protocol step, story = requirement id(s), severity MUST → critical /
  SHOULD → normal, tag = check id; the module-derived ``package`` label is dropped;
  one link per requirement (its RFC section); parameters ``profile`` and ``main client`` (the
  ``target`` parameter object is dropped: labels, never secrets);
* one step per HTTP exchange the test made (setup and call), titled with method, path, status and
  duration, timed from the capture log, with the redacted capture attached as readable text
  (request line, one header per line, pretty JSON body; then the status line and the response);
* the status from the *final* report (after SHOULD findings became warnings and messages were
  redacted), with a message whose first words say what it is, so ``categories.json`` can sort:
  ``MUST requirement not met``, ``SHOULD recommendation not met``, ``Target unreachable``,
  ``Target unusable``, ``Run interrupted``, ``Suite error``, ``Expected failure``,
  ``Unexpectedly passed``, ``Not claimed``;
* a Hypothesis failure attaches its minimal (falsifying) example.

Beside the results: ``environment.properties``, ``categories.json`` and ``executor.json``.

Redaction: exchanges are redacted when captured; every result and container file, and every
text attachment not produced from a capture, passes the run's redactor again on its way to disk
(:class:`RedactingFileLogger` replaces allure's file writer for the run).
"""

from __future__ import annotations

import json
import os
import platform
import queue
import socket
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import allure
import allure_commons
from allure_commons.logger import AllureFileLogger
from allure_commons.model2 import ATTACHMENT_PATTERN, Attachment, Status, StatusDetails, TestStepResult
from allure_commons.types import AttachmentType, LinkType

from conformance import __version__
from conformance.forking import fork_available
from conformance.harness.aging import WAITING
from conformance.harness.cleanup import CLEANUP_THREADS
from conformance.harness.options import option
from conformance.harness.outcomes import BLOCKED_PROPERTY, NOT_RUN_PROPERTY
from conformance.reporting.forked import run_in_child
from conformance.requirements import MUST, REQUIREMENTS

#: Exchanges attached in full per test; beyond this the rest are summarised in one step.
MAX_EXCHANGE_STEPS = 200
#: First words of the status message, per kind of result (categories.json matches on them).
MUST_FAILED = "MUST requirement not met"
SHOULD_FAILED = "SHOULD recommendation not met"
UNREACHABLE = "Target unreachable"
UNUSABLE = "Target unusable"
INTERRUPTED = "Run interrupted"
SUITE_ERROR = "Suite error"
EXPECTED = "Expected failure"
XPASS = "Unexpectedly passed"
NOT_CLAIMED = "Not claimed"
BLOCKED = "Blocked"
_NO_ANSWER = ("no HTTP answer", "got no response", "connection refused", "timed out after")

CATEGORIES = [
    {"name": "Target unreachable or unusable", "matchedStatuses": ["failed", "broken"],
     "messageRegex": f"({UNREACHABLE}|{UNUSABLE})" + r"[\s\S]*"},
    {"name": "Interrupted runs", "matchedStatuses": ["broken", "failed", "skipped", "unknown"],
     "messageRegex": INTERRUPTED + r"[\s\S]*"},
    {"name": "MUST failures", "matchedStatuses": ["failed"], "messageRegex": MUST_FAILED + r"[\s\S]*"},
    {"name": "SHOULD failures (strict mode)", "matchedStatuses": ["failed"],
     "messageRegex": SHOULD_FAILED + r"[\s\S]*"},
    {"name": "SHOULD warnings", "matchedStatuses": ["passed"], "messageRegex": SHOULD_FAILED + r"[\s\S]*"},
    {"name": "Expected failures that now pass", "matchedStatuses": ["failed"], "messageRegex": XPASS + r"[\s\S]*"},
    {"name": "Blocked by another check's failure", "matchedStatuses": ["broken"],
     "messageRegex": BLOCKED + r"[\s\S]*"},
    {"name": "Suite errors", "matchedStatuses": ["broken"]},
    {"name": "Expected failures", "matchedStatuses": ["skipped"], "messageRegex": EXPECTED + r"[\s\S]*"},
]


class PreRedacted(str):
    """Text built from redacted captures: the file writer does not scan it again."""

    __slots__ = ()


# ------------------------------------------------------------------------ timed capture log


class TimedLog(list):
    """``Transport.exchanges`` with the wall-clock time each exchange was appended (its end).

    ``Transport.send`` appends under the transport's lock, so the two lists stay aligned.
    """

    def __init__(self, items=()) -> None:
        super().__init__(items)
        self.ended_at: list[float | None] = [None] * len(self)

    def append(self, item) -> None:  # noqa: D102 (list API)
        self.ended_at.append(time.time())
        super().append(item)


def timed_log(transport) -> TimedLog:
    log = transport.exchanges
    if not isinstance(log, TimedLog):
        log = transport.exchanges = TimedLog(log)
    return log


# ------------------------------------------------------------------------ per-test decoration


class AllureDecorator:
    """Adds the dcr-conformance view of each check to the test result allure-pytest is writing."""

    def __init__(self, config, state) -> None:
        self.config = config
        self.state = state
        self._marks: dict[str, dict[str, int]] = {}  # phase -> profile -> index in the capture log
        self._excinfo: dict[str, Any] = {}
        self._reports: dict[str, Any] = {}

    # -- bookkeeping -------------------------------------------------------------------------

    def _logs(self) -> dict[str, TimedLog]:
        return {name: timed_log(session.transport) for name, session in self.state.sessions().items()}

    def mark(self, phase: str) -> None:
        if phase == "setup":
            self._marks.clear()
            self._excinfo.clear()
            self._reports.clear()
        self._marks[phase] = {name: len(log) for name, log in self._logs().items()}

    def record_exception(self, when: str, excinfo) -> None:
        if excinfo is not None:
            self._excinfo[when] = excinfo

    def _current_test(self):
        """The test result allure-pytest is building (None outside a test, e.g. on the xdist controller)."""
        listener = self.config.pluginmanager.getplugin("allure_listener")
        return listener.allure_logger.get_test(None) if listener is not None else None

    # -- reports -----------------------------------------------------------------------------

    def on_report(self, item, report) -> None:
        info = _check_info(item)
        if info is None or self._current_test() is None:
            return
        self._reports[report.when] = report
        if report.when == "setup":
            self._decorate(item, info)
        elif report.when == "teardown":
            test = self._current_test()
            # allure-pytest's module-derived label ("package": test_register), added at teardown,
            # would give a second tree by Python module.
            test.labels[:] = [label for label in test.labels if label.name != "package"]
            verdict = _status_of(self._reports, self._excinfo, info, self.state)
            # A check that passed without a warning: one transcript of all its exchanges.
            self._add_steps(test, bundle=verdict[0] == Status.PASSED and not verdict[1])
            self._set_status(test, item, verdict)

    def _decorate(self, item, info) -> None:
        target = item.callspec.params.get("target") if hasattr(item, "callspec") else None
        profile = target.profile.name if target is not None else dict(item.user_properties).get("dcr_profile", "")
        client = target.label if target is not None else "-"
        dynamic = allure.dynamic
        per_profile = target is not None and target.per_profile
        dynamic.title(f"{info.id} [{client}{', once per profile' if per_profile else ''}] {info.title}")
        lines = [f"**{info.id}** ({info.level}, step {info.step})", "", info.title, "", "Requirements:", ""]
        for rid in info.requirements:
            req = REQUIREMENTS.get(rid)
            if req is not None:
                lines.append(f"- [{rid}]({req.url}) ({req.level}): {req.text}")
        dynamic.description("\n".join(lines))
        dynamic.epic(profile)
        dynamic.feature(info.step)
        dynamic.story(*info.requirements)
        dynamic.severity(allure.severity_level.CRITICAL if info.level == MUST else allure.severity_level.NORMAL)
        dynamic.tag(info.id)
        dynamic.parent_suite(profile)
        dynamic.suite(info.step)
        dynamic.sub_suite(f"{info.id} {info.title}")
        for rid in info.requirements:
            req = REQUIREMENTS.get(rid)
            if req is not None:
                dynamic.link(req.url, link_type=LinkType.LINK, name=f"{rid}: {req.spec} §{req.section}")
        test = self._current_test()
        test.parameters[:] = [p for p in test.parameters if p.name != "target"]
        dynamic.parameter("profile", profile)
        dynamic.parameter("main client", client)

    def _add_steps(self, test, *, bundle: bool = False) -> None:
        """A step per exchange the check made. Each step has its transcript attached, except with
        ``bundle`` (a check that passed without a warning) and the run's writer: then the steps are
        titles on the timeline and the test has one attachment, every transcript in order (one file
        a check instead of one an exchange: a run writes about a third of the files)."""
        start = self._marks.get("setup", {})
        call = self._marks.get("call", {})
        writer = run_writer()
        bundled: list[tuple[str, Any]] | None = [] if bundle and writer is not None else None
        count = 0
        for name, log in self._logs().items():
            first, end = start.get(name, len(log)), len(log)
            call_start = call.get(name, first)
            for index in range(first, end):
                if log[index].thread.startswith(CLEANUP_THREADS):  # deletes made while the check waited
                    continue
                count += 1
                if count > MAX_EXCHANGE_STEPS:
                    continue
                title = _exchange_step(test, log[index], log.ended_at[index],
                                       "setup" if index < call_start else None, writer, attach=bundled is None)
                if bundled is not None:
                    bundled.append((title, log[index]))
        if bundled:
            file_name = ATTACHMENT_PATTERN.format(prefix=uuid.uuid4(), ext=AttachmentType.TEXT.extension)
            test.attachments.append(Attachment(source=file_name, name=f"HTTP exchanges ({len(bundled)}, redacted)",
                                               type=AttachmentType.TEXT.mime_type))
            writer.attach_exchanges(bundled, file_name)
        if count > MAX_EXCHANGE_STEPS:
            with allure.step(f"{count - MAX_EXCHANGE_STEPS} more HTTP exchanges (not attached)"):
                pass

    def _set_status(self, test, item, verdict: tuple[str, str, str | None]) -> None:
        status, message, trace = verdict
        redact = self.state.redact
        test.status = status
        test.statusDetails = StatusDetails(message=redact(message), trace=redact(trace) if trace else None) \
            if message or trace else None
        if status in (Status.FAILED, Status.BROKEN):
            example = _hypothesis_example(item, self._excinfo.get("call"), message)
            if example:
                allure.attach(redact(example), name="Hypothesis minimal example", attachment_type=AttachmentType.TEXT)


def _check_info(item):
    marker = item.get_closest_marker("dcr_check")
    return marker.args[0] if marker else None


def _exchange_step(test, exchange, ended_at: float | None, phase: str | None, writer=None, *,
                   attach: bool = True) -> str:
    """One step for one exchange, its redacted transcript attached (with ``writer`` and not
    ``attach``: the caller attaches it with the others). With ``writer`` (the run's
    :class:`RedactingFileLogger`) the step is added to the result directly and the transcript is
    built and written on the writer's thread (what ``allure.step`` + ``allure.attach`` would do,
    without the plugin hooks, and off the path of the next request). Returns the step's title
    (with ``writer``: not yet redacted; the writer redacts it)."""
    spec, response = exchange.spec, exchange.response
    # With the run's writer the title is made of what was sent and received, unredacted, and the
    # writer redacts it with the rest of the result: the redacted capture is then built only on
    # the writer's thread, for the transcript, not on the check's thread for a title.
    raw = writer is not None and spec is not None and (bool(exchange.error) or response is not None)
    if raw:
        method, url = spec.method.upper(), spec.url
    else:
        method, url = exchange.request.method, exchange.request.url
    path = urlsplit(url).path or url
    if exchange.error:
        outcome = f"no response: {exchange.error}"
    elif raw:
        outcome = f"{response.status_code} {response.reason_phrase}".strip()
    elif exchange.reply is not None:
        outcome = f"{exchange.reply.status} {exchange.reply.reason}".strip()
    else:
        outcome = "no response"
    elapsed_ms = exchange.elapsed_s * 1000
    title = f"{method} {path} → {outcome} ({elapsed_ms:.0f} ms)"
    if phase:
        title = f"{phase}: {title}"
    name = f"{method} {path} (redacted)"
    if writer is None:
        with allure.step(title):
            allure.attach(PreRedacted(exchange_text(exchange.to_dict())), name=name,
                          attachment_type=AttachmentType.TEXT)
        step = test.steps[-1] if test.steps else None
    else:
        # Unredacted words (and an error text) are scanned by the writer; the capture's are redacted.
        now_ms = int(time.time() * 1000)
        step = TestStepResult(name=title if raw or exchange.error else PreRedacted(title), status=Status.PASSED,
                              start=now_ms, stop=now_ms)
        if attach:
            file_name = ATTACHMENT_PATTERN.format(prefix=uuid.uuid4(), ext=AttachmentType.TEXT.extension)
            step.attachments.append(Attachment(source=file_name, name=name if raw else PreRedacted(name),
                                               type=AttachmentType.TEXT.mime_type))
            writer.attach_exchange(exchange, file_name)
        test.steps.append(step)
    if step is not None and ended_at is not None:
        step.stop = int(ended_at * 1000)
        step.start = int((ended_at - exchange.elapsed_s) * 1000)
    return title


def exchange_text(capture: dict) -> str:
    """A captured exchange (``Exchange.to_dict``, already redacted) as an HTTP transcript: the
    request line, one header per line, the body (JSON pretty-printed, form fields one per line),
    then the status line, headers and body of the response (or why there was none)."""
    request = capture["request"]
    lines = [f"{request['method']} {request['url']}"]
    if request.get("client_certificate"):
        lines.append(f"(TLS client certificate: {request['client_certificate']})")
    lines += [f"{name}: {value}" for name, value in request.get("headers") or []]
    lines += _body_lines(request.get("body"), request.get("headers"))
    lines.append("")
    response = capture.get("response")
    elapsed = capture.get("elapsed_ms")
    if response is None:
        lines.append(f"no response: {capture.get('error') or 'none'} (after {elapsed} ms)")
    else:
        version = response.get("http_version") or "HTTP/1.1"
        lines.append(f"{version} {response['status']} {response.get('reason') or ''}".rstrip() + f"  ({elapsed} ms)")
        lines += [f"{name}: {value}" for name, value in response.get("headers") or []]
        lines += _body_lines(response.get("body"), response.get("headers"))
    return "\n".join(lines) + "\n"


def _body_lines(body: str | None, headers) -> list[str]:
    if not body:
        return []
    content_type = next((v for k, v in headers or [] if k.lower() == "content-type"), "").lower()
    try:
        return ["", json.dumps(json.loads(body), indent=2, ensure_ascii=False)]
    except (ValueError, TypeError, RecursionError):  # not JSON, or nested too deep (fuzzing): as sent
        pass
    if "x-www-form-urlencoded" in content_type:
        return ["", *body.split("&")]
    return ["", body]


def _first_lines(report) -> str:
    if report is None:
        return ""
    text = str(report.longrepr or "")
    if isinstance(report.longrepr, tuple):  # skips: (file, line, "Skipped: reason")
        text = str(report.longrepr[2]).removeprefix("Skipped: ")
    return text


def _status_of(reports: dict, excinfo: dict, info, state) -> tuple[str, str, str | None]:
    """(allure status, message, trace) from the final setup / call / teardown reports."""
    setup, call, teardown = reports.get("setup"), reports.get("call"), reports.get("teardown")
    head = f"{info.id} {info.title}"
    for report in (setup, call):  # a step it builds on broke another check's requirement
        blocked = dict(report.user_properties).get(BLOCKED_PROPERTY) if report is not None else None
        if blocked:
            return Status.BROKEN, f"{BLOCKED}: {head}\n{blocked}", None
    if setup is not None and setup.failed:
        return Status.BROKEN, _prefixed(SUITE_ERROR + " (setup)", head, setup, excinfo.get("setup")), None
    not_run = next((dict(r.user_properties).get(NOT_RUN_PROPERTY) for r in (setup, call) if r is not None
                    and NOT_RUN_PROPERTY in dict(r.user_properties)), None)
    if not_run is not None:  # cut off by a signal or --max-run-time, or never started: never passed
        return Status.SKIPPED, f"{not_run}: {head}", None
    if setup is not None and setup.skipped:
        if hasattr(setup, "wasxfail"):
            return Status.SKIPPED, f"{EXPECTED}: {head}\n{setup.wasxfail}", None
        return Status.SKIPPED, f"{NOT_CLAIMED}: {_first_lines(setup)}", None
    status, message, trace = Status.PASSED, "", None
    if call is not None:
        props = dict(call.user_properties)
        if hasattr(call, "wasxfail"):
            if call.skipped:
                status, message = Status.SKIPPED, f"{EXPECTED}: {head}\n{call.wasxfail}\n{_body(call)}".rstrip()
            else:
                status, message = Status.PASSED, f"{XPASS} (not strict): {head}\n{call.wasxfail}"
        elif call.failed:
            exc = excinfo.get("call")
            text = _body(call)
            if "XPASS" in text and exc is None:
                status, message = Status.FAILED, f"{XPASS}: {head}\n{text}"
            elif exc is not None and not exc.errisinstance(AssertionError):
                status, message = Status.BROKEN, f"{SUITE_ERROR}: {head}\n{text}"
                trace = text
            else:
                kind = MUST_FAILED if info.level == MUST else SHOULD_FAILED + " (failing in strict mode)"
                status, message = Status.FAILED, _prefixed(kind, head, call, exc)
        elif "dcr_warning" in props:
            status, message = Status.PASSED, f"{SHOULD_FAILED} (warning): {head}\n{props['dcr_warning']}"
    if teardown is not None and teardown.failed and status == Status.PASSED:
        status, message = Status.BROKEN, f"{SUITE_ERROR} (teardown): {head}\n{_body(teardown)}"
    return status, message, trace


def _body(report) -> str:
    text = _first_lines(report)
    lines = text.splitlines()
    if lines and lines[0].startswith("DCR-"):  # "DCR-XXX-NNN title" heads CheckFailure messages
        lines = lines[1:]
    return "\n".join(lines)


def _prefixed(kind: str, head: str, report, exc) -> str:
    body = _body(report)
    if any(marker in (body.splitlines() or [""])[0] for marker in _NO_ANSWER):
        kind = UNREACHABLE + f" ({kind})"
    return f"{kind}: {head}\n{body}"


def _hypothesis_example(item, excinfo, message: str) -> str | None:
    """The minimal failing example of a Hypothesis-driven check: Hypothesis' notes ("Falsifying
    example: ..."), else the check's own message, which names the shrunk input and the seed."""
    notes: list[str] = []
    exc = excinfo.value if excinfo is not None else None
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        notes += [str(n) for n in getattr(exc, "__notes__", None) or []]
        exc = exc.__cause__ or exc.__context__
    if notes:
        return "\n".join(notes)
    if item.get_closest_marker("fuzz") is not None or "Falsifying example" in message:
        return message
    return None


# ------------------------------------------------------------------------ run-level files


def environment(config, state) -> dict[str, str]:
    """The environment.properties entries this process knows (endpoints only after collection)."""
    env: dict[str, str] = {
        "suite.version": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
    }
    try:
        import pytest

        env["pytest"] = pytest.__version__
    except Exception:  # pragma: no cover
        pass
    sessions = state.sessions()
    if state.profile_paths:
        env["target"] = "profiles: " + ", ".join(str(p) for p in state.profile_paths)
    else:
        env["target"] = "embedded reference server" + (f" (defect {state.defect})" if state.defect else "")
    names = list(sessions)
    if names:
        env["profiles"] = ", ".join(names)
    for name, session in sessions.items():
        profile = session.profile
        server = profile.server
        for key in ("issuer", "token_endpoint", "registration_endpoint", "revocation_endpoint",
                    "introspection_endpoint", "mtls_token_endpoint", "resource_url"):
            value = getattr(server, key, None)
            if value:
                env[f"profile.{name}.{key}"] = str(value)
        env[f"profile.{name}.main_clients"] = ", ".join(
            f"{label} ({client.auth_method})" for label, client in profile.main_clients.items())
    env["strict"] = "true" if state.strict else "false"
    if state.expected_failures_path:
        env["expected_failures"] = str(state.expected_failures_path)
    seed = option(config, "--dcr-fuzz-seed")
    if seed is None:
        seed = option(config, "hypothesis_seed")
    if seed is not None:
        env["hypothesis.seed"] = str(seed)
    if state.fuzz_examples is not None:
        env["hypothesis.examples"] = str(state.fuzz_examples)
    keyword, markexpr = option(config, "keyword"), option(config, "markexpr")
    if keyword:
        env["selection.keyword"] = keyword
    if markexpr:
        env["selection.marker"] = markexpr
    return {key: state.redact(value) for key, value in env.items()}


def merge_environments(envs: list[dict[str, str]]) -> dict[str, str]:
    """One environment from several processes (xdist workers): differing values are joined."""
    merged: dict[str, list[str]] = {}
    for env in envs:
        for key, value in env.items():
            values = merged.setdefault(key, [])
            if value not in values:
                values.append(value)
    return {key: " | ".join(values) for key, values in merged.items()}


def write_environment(directory: Path, env: dict[str, str]) -> Path:
    lines = [f"{_prop_escape(key, True)}={_prop_escape(value)}" for key, value in sorted(env.items())]
    return _atomic_write(Path(directory) / "environment.properties", "\n".join(lines) + "\n")


def write_categories(directory: Path) -> Path:
    return _atomic_write(Path(directory) / "categories.json", json.dumps(CATEGORIES, indent=2) + "\n")


def write_executor(directory: Path, profiles: str = "") -> Path:
    executor: dict[str, Any] = {
        "name": "dcr-conformance",
        "type": "dcr-conformance",
        "buildName": f"dcr-conformance {__version__} on {socket.gethostname()}",
        "reportName": "OAuth 2.0 DCR fallback conformance" + (f": {profiles}" if profiles else ""),
    }
    build_url = _ci_build_url()
    if build_url:
        executor["buildUrl"] = build_url
    return _atomic_write(Path(directory) / "executor.json", json.dumps(executor, indent=2) + "\n")


def _ci_build_url() -> str | None:
    env = os.environ
    if env.get("GITHUB_SERVER_URL") and env.get("GITHUB_REPOSITORY") and env.get("GITHUB_RUN_ID"):
        return f"{env['GITHUB_SERVER_URL']}/{env['GITHUB_REPOSITORY']}/actions/runs/{env['GITHUB_RUN_ID']}"
    return env.get("CI_JOB_URL") or env.get("BUILD_URL") or None


def write_unreachable_result(message: str, redact: Callable[[str], str], kind: str = UNREACHABLE) -> None:
    """One result saying the target could not be used (the run stopped before any check):
    ``kind`` is :data:`UNREACHABLE` or :data:`UNUSABLE` (not discoverable)."""
    _write_run_result("The target under test can be reached", "target", f"{kind}: {message}", redact)


def write_interrupted_result(message: str, redact: Callable[[str], str]) -> None:
    """One result saying the run was interrupted (Ctrl-C, SIGTERM): its results are incomplete."""
    _write_run_result("The run finished", "run", f"{INTERRUPTED}: {message}", redact)


def _write_run_result(name: str, what: str, message: str, redact: Callable[[str], str]) -> None:
    from allure_commons.model2 import Label, TestResult

    now = int(time.time() * 1000)
    result = TestResult(
        uuid=str(uuid.uuid4()), name=name, fullName=f"dcr-conformance#{what}",
        status=Status.BROKEN, start=now, stop=now,
        statusDetails=StatusDetails(message=redact(message)),
        labels=[Label(name="parentSuite", value="dcr-conformance"), Label(name="suite", value=what),
                Label(name="framework", value="pytest")],
    )
    result.historyId = result.testCaseId = f"dcr-conformance-{what}"
    allure_commons.plugin_manager.hook.report_result(result=result)


def _prop_escape(text: str, key: bool = False) -> str:
    out = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    if key:
        out = out.replace("=", "\\=").replace(":", "\\:").replace(" ", "\\ ")
    return out


def _atomic_write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


# ------------------------------------------------------------------------ redacting writer


#: Files the run's writer holds at most (those of about 2,000 checks that passed: a result and one
#: transcript each) before it writes while checks run; and how often a holding writer looks again.
HELD_MAX = 4096
HOLD_POLL_S = 0.05
#: Files a forked child of the run writes at a time (a fork costs the run's process a few
#: milliseconds: its page tables are copied), and how long the child may take.
CHILD_BATCH = 128
CHILD_LIMIT_S = 30


class RedactingFileLogger(AllureFileLogger):
    """allure's file writer, with every string of a result and every text attachment redacted.

    With ``background=True`` (the run's writer) files are redacted, serialised and written off the
    checks' thread, in the order they were reported: a result is final when allure-pytest reports
    it, and an exchange is immutable once captured. Every :data:`CHILD_BATCH` files go to a child
    forked by the writer's thread (:mod:`conformance.reporting.forked`), which writes them on
    another core while the checks go on. The rest is written on the writer's thread while a check
    sleeps through a designed wait (:data:`~conformance.harness.aging.WAITING`), when more than
    :data:`HELD_MAX` files are held, and from :meth:`flush` on: taking turns with the checks for
    the interpreter lock (a hand-off at every system call of either) made the two slower together
    than one after the other (``benchmarks/README.md``). A batch no child wrote is written there
    too, and no child is forked after it. :meth:`flush` waits until everything queued is on disk
    (the run calls it before its reports are read); an error of the thread is raised there."""

    def __init__(self, report_dir, redact: Callable[[str], str], *, background: bool = False) -> None:
        super().__init__(report_dir, clean=False)
        self._redact = redact
        self._queue: queue.SimpleQueue | None = queue.SimpleQueue() if background else None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._lock = threading.Lock()
        self._released = not background  # from flush() on, nothing is held
        self._forking = background and fork_available()
        self.child_batches = 0  # batches a child wrote

    # -- queueing ------------------------------------------------------------------------------

    def _submit(self, task: Callable[[], None]) -> None:
        if self._queue is None:
            task()
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name=f"dcr-allure-writer",  # noqa: F541 (no new constant for Hypothesis)
                                                daemon=True)
                self._thread.start()
        self._queue.put(task)

    def _may_write(self) -> bool:
        return self._released or WAITING.now() or self._queue.qsize() >= HELD_MAX  # and the one in hand

    def _batch_ready(self) -> bool:
        return self._forking and self._queue.qsize() + 1 >= CHILD_BATCH  # and the one in hand

    def _work(self) -> None:
        while True:
            task = self._queue.get()
            if isinstance(task, threading.Event):
                task.set()
                continue
            while not self._may_write() and not self._batch_ready():
                WAITING.wait(HOLD_POLL_S)
            if self._batch_ready():
                self._write_batch(task)
            else:
                self._run(task)

    def _run(self, task: Callable[[], None]) -> None:
        try:
            task()
        except BaseException as exc:  # noqa: BLE001 - kept, raised by flush() in the run's thread
            if self._error is None:
                self._error = exc

    def _write_batch(self, first: Callable[[], None]) -> None:
        """Write ``first`` and up to :data:`CHILD_BATCH` - 1 more queued files in a forked child; if
        it fails, here (and no more children: the in-process writer takes over)."""
        batch, done = [first], None
        while len(batch) < CHILD_BATCH:
            try:
                task = self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(task, threading.Event):  # a flush: answered once the batch is written
                done = task
                break
            batch.append(task)
        if run_in_child(batch, CHILD_LIMIT_S):
            self.child_batches += 1
        else:
            self._forking = False
            for task in batch:
                self._run(task)
        if done is not None:
            done.set()

    def flush(self, timeout_s: float = 2 * 60) -> None:
        """Wait (at most ``timeout_s``) until every queued file is written; raise the thread's error.
        Nothing is held from here on."""
        self._released = True
        if self._queue is not None and self._thread is not None and self._thread.is_alive():
            done = threading.Event()
            self._queue.put(done)
            done.wait(timeout_s)
        error, self._error = self._error, None
        if error is not None:
            raise error

    # -- allure's writer hooks -----------------------------------------------------------------

    def _report_item(self, item) -> None:
        filename = item.file_pattern.format(prefix=uuid.uuid4())  # now: a batch written again keeps it
        self._submit(lambda: self._write_item(item, filename))

    def _write_item(self, item, filename: str) -> None:
        from attr import asdict

        data = _redact_obj(asdict(item, filter=lambda _, v: v or v is False), self._redact)
        indent = 4 if os.environ.get("ALLURE_INDENT_OUTPUT") else None
        tmp = self._report_dir / f"{filename}.tmp"
        with open(tmp, "w", encoding="utf8") as handle:
            json.dump(data, handle, indent=indent, ensure_ascii=False)
        os.replace(tmp, self._report_dir / filename)

    @allure_commons.hookimpl
    def report_result(self, result):
        self._report_item(result)

    @allure_commons.hookimpl
    def report_container(self, container):
        # allure-pytest writes one container per fixture per test; those of fixtures that worked
        # only name the fixture (its HTTP exchanges are the test's "setup:" steps). Skipping them
        # halves the files a run writes; a fixture that failed keeps its container and its error.
        if any(_eventful(fixture) for fixture in [*container.befores, *container.afters]):
            self._report_item(container)

    @allure_commons.hookimpl
    def report_globals(self, globals_item):
        self._report_item(globals_item)

    @allure_commons.hookimpl
    def report_attached_data(self, body, file_name):
        self._submit(lambda: self._write_data(body, file_name))

    def attach_exchange(self, exchange, file_name: str) -> None:
        """Write the redacted transcript of a captured exchange (:func:`exchange_text`) as ``file_name``."""
        self._submit(lambda: self._write_data(PreRedacted(exchange_text(exchange.to_dict())), file_name))

    def attach_exchanges(self, titled: list[tuple[str, Any]], file_name: str) -> None:
        """Write the transcripts of several exchanges as one file ``file_name``, each headed by its
        number and step title (redacted here, like the steps' titles)."""
        def text() -> PreRedacted:
            parts = [f"=== {number}/{len(titled)}  {self._redact(title)}\n\n{exchange_text(exchange.to_dict())}"
                     for number, (title, exchange) in enumerate(titled, 1)]
            return PreRedacted("\n\n".join(parts))

        self._submit(lambda: self._write_data(text(), file_name))

    def _write_data(self, body, file_name) -> None:
        body = self._redact_body(body)
        # One write, no temporary file and rename: attachments are only read after the run.
        with open(self._report_dir / file_name, "wb") as handle:
            # A text may hold lone surrogates (bytes a server sent that are not UTF-8): kept as escapes.
            handle.write(body.encode("utf-8", "backslashreplace") if isinstance(body, str) else body)

    @allure_commons.hookimpl
    def report_attached_file(self, source, file_name):
        try:
            data = Path(source).read_bytes()  # now: the file may be temporary
        except OSError:
            return super().report_attached_file(source, file_name)
        self.report_attached_data(data, file_name)

    def _redact_body(self, body):
        if isinstance(body, PreRedacted):
            return str(body)
        if isinstance(body, str):
            return self._redact(body)
        if isinstance(body, (bytes, bytearray)):
            try:
                text = bytes(body).decode("utf-8")
            except UnicodeDecodeError:
                return body  # binary (an image): nothing the suite captured
            return self._redact(text).encode("utf-8")
        return body


#: Members of result / container files where text from a test can end up: messages and traces
#: (also of steps and fixtures), names, parameter values, descriptions. The others hold uuids,
#: file names, timestamps, statuses, hashes and the labels and links this plugin sets.
_TEXT_MEMBERS = frozenset({"message", "trace", "name", "value", "description", "descriptionHtml"})
_NESTED_MEMBERS = frozenset({"statusDetails", "parameters", "steps", "befores", "afters", "attachments"})


def _eventful(fixture) -> bool:
    return (fixture.status not in (None, Status.PASSED) or fixture.statusDetails is not None
            or bool(fixture.attachments) or bool(fixture.steps))


def _redact_obj(value, redact: Callable[[str], str]):
    """A copy of a result / container dict with its free-text members redacted."""
    if isinstance(value, list):
        return [_redact_obj(v, redact) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, member in value.items():
        if key in _TEXT_MEMBERS and isinstance(member, str) and not isinstance(member, PreRedacted):
            member = redact(member)
        elif key in _NESTED_MEMBERS:
            member = _redact_obj(member, redact)
        out[key] = member
    return out


def install_redacting_writer(config, redact: Callable[[str], str]) -> bool:
    """Swap allure-pytest's file writer for :class:`RedactingFileLogger` (writing on its own
    thread) until the run ends; at the end everything queued is written before it is put back."""
    manager = allure_commons.plugin_manager
    swapped = False
    for plugin in list(manager.get_plugins()):
        if type(plugin) is not AllureFileLogger:
            continue
        name = manager.get_name(plugin)
        replacement = RedactingFileLogger(plugin._report_dir, redact, background=True)
        manager.unregister(plugin)
        manager.register(replacement)

        def restore(original=plugin, name=name, replacement=replacement) -> None:
            try:
                replacement.flush()
            finally:
                # allure-pytest's own cleanup unregisters the original by name: put it back first.
                if manager.is_registered(replacement):
                    manager.unregister(replacement)
                if not manager.is_registered(original):
                    manager.register(original, name)

        config.add_cleanup(restore)
        swapped = True
    return swapped


def run_writer() -> RedactingFileLogger | None:
    """The run's redacting writer (None when allure's own is in place)."""
    for plugin in allure_commons.plugin_manager.get_plugins():
        if isinstance(plugin, RedactingFileLogger):
            return plugin
    return None
