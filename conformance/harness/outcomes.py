"""The verdict of each check per profile and main client, folded from pytest's test reports.

A cell (check, profile, main client) may hold several tests; it shows the worst verdict among
them, in the order of :data:`VERDICT_RANK`. A test that started but never reported its call (cut
off by a signal), or never started (the run ended first), is "not run": never passed.

**Blocked**: a check fails only for a broken requirement of its own (its ``@check`` ids). When a
step it builds on breaks another requirement, or a prerequisite did not work, it is blocked
(:func:`blocked_reason`): neither passed nor failed, "blocked by DCR-XXX-NNN: <one line>", naming
the check that owns the broken requirement (:func:`owner_of`: MUST checks first, then by protocol
step and id), which reports it. The plugin turns a
blocked test into a skip carrying the reason (JUnit ``<skipped>``) and the user property
``dcr_blocked``; a run with a blocked check never passes (exit status 1, see the README).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import pytest

from conformance.catalogue import CheckInfo, checks_by_requirement
from conformance.oracles.failures import CheckFailure, is_blocking
from conformance.requirements import MUST

NOT_RUN = "not run"
VERDICT_RANK = {"passed": 0, "not applicable": 1, "not claimed": 2, "expected failure": 3, "warning": 4,
                "blocked": 5, NOT_RUN: 6, "unexpectedly passed": 7, "failed": 8, "error": 9}
#: Verdicts whose first line of text is kept as the cell's detail.
_WITH_DETAIL = ("failed", "error", "warning", "blocked", "unexpectedly passed", "not claimed", "not applicable",
                "expected failure", NOT_RUN)
#: The user property of a test the harness did not run (``--dcr-max-run-time``): its reason.
NOT_RUN_PROPERTY = "dcr_not_run"
#: The detail of a test cut off before its result.
CUT_OFF = "did not finish: the run was interrupted"
#: A skip whose reason starts so observed nothing to judge (``conformance.suite.check.not_applicable``).
NOT_APPLICABLE = "not applicable: "
#: The user property of a blocked test: its reason ("blocked by DCR-XXX-NNN: ...").
BLOCKED_PROPERTY = "dcr_blocked"
#: The user property of a test with SHOULD findings (warned, or failed by --dcr-strict): the
#: requirement ids they name, space-separated.
FINDINGS_PROPERTY = "dcr_finding_requirements"


#: The protocol's steps in order: an owner is looked for in the earliest step first.
_STEP_ORDER = ("token", "register", "use", "manage", "revoke")


def _owner_rank(info: CheckInfo) -> tuple:
    """Catalogue order for owners: MUST checks first (a SHOULD owner only warns), then by protocol
    step, the example-based checks before the fuzzing properties, then by id."""
    step = _STEP_ORDER.index(info.step) if info.step in _STEP_ORDER else len(_STEP_ORDER)
    return info.level != MUST, step, info.id.startswith("DCR-FUZZ-"), info.id


@lru_cache(maxsize=None)
def owner_of(requirement_id: str, besides: str = "") -> str | None:
    """The check that owns a requirement: the first citing it in catalogue order
    (:func:`_owner_rank`), other than ``besides`` (None: no such check)."""
    owners = sorted((info for info in checks_by_requirement().get(requirement_id) or [] if info.id != besides),
                    key=_owner_rank)
    return owners[0].id if owners else None


def blocked_reason(failure: CheckFailure, info: CheckInfo) -> str | None:
    """"blocked by DCR-XXX-NNN: <one line>" when ``failure`` blocks the check ``info`` instead
    of failing it (:func:`~conformance.oracles.failures.is_blocking`); None when it fails it."""
    if not is_blocking(failure, info.requirements):
        return None
    lines = [line.strip() for line in str(failure).splitlines() if line.strip()]
    line = lines[0].removeprefix("prerequisite: ") if lines else "a prerequisite failed"
    owners = [(rid, owner_of(rid, info.id)) for rid in failure.requirements]
    owned = [(rid, owner) for rid, owner in owners if owner is not None]
    if owned:
        rid, owner = owned[0]
        return f"blocked by {owner}: {line} [{rid}]"
    if set(failure.requirements) & set(info.requirements):
        return None  # a step broke a requirement only this check owns: it reports it, failing
    named = f" [{', '.join(failure.requirements)}]" if failure.requirements else ""
    return f"blocked: {line}{named}"


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
    tests: dict[str, tuple[str, str]] = field(default_factory=dict, repr=False)  # nodeid -> (verdict, detail)

    def fold(self, nodeid: str, verdict: str, detail: str, *, replace: bool) -> None:
        """Record a test's verdict (``replace``: over its placeholder); the cell shows the worst."""
        current = self.tests.get(nodeid)
        if current is None or replace and current[0] == NOT_RUN or VERDICT_RANK[verdict] >= VERDICT_RANK[current[0]]:
            self.tests[nodeid] = (verdict, detail)
        self.verdict, self.detail = max(self.tests.values(), key=lambda vd: VERDICT_RANK[vd[0]])


def record_report(outcomes: dict[tuple[str, str, str], Outcome], report: pytest.TestReport,
                  redact: Callable[[str], str]) -> None:
    """Fold one test report of a check (its ``dcr_*`` user properties) into its cell."""
    props = dict(report.user_properties)
    if "dcr_check" not in props:
        return
    key = (props["dcr_check"], props["dcr_profile"], props["dcr_client"])
    per_profile = props.get("dcr_per_profile") == "1"
    outcome = outcomes.setdefault(key, Outcome(
        props["dcr_check"], props["dcr_title"], props["dcr_level"], props["dcr_profile"], props["dcr_client"],
        per_profile=per_profile))
    outcome.per_profile = outcome.per_profile and per_profile
    if report.when == "setup" and report.passed:  # "not run" until its call reports
        outcome.fold(report.nodeid, NOT_RUN, CUT_OFF, replace=False)
        return
    verdict = _verdict(report, props)
    if verdict is not None:
        detail = _first_line(report, props, redact) if verdict in _WITH_DETAIL else ""
        outcome.fold(report.nodeid, verdict, detail, replace=report.when == "call")


def record_not_run(outcomes: dict[tuple[str, str, str], Outcome], nodeid: str, properties: list[tuple[str, str]],
                   reason: str) -> None:
    """A selected test that never started (the run ended before it): a "not run" result."""
    report = _NotRunReport(nodeid, list(properties) + [(NOT_RUN_PROPERTY, reason)])
    record_report(outcomes, report, lambda text: text)  # type: ignore[arg-type]


@dataclass
class _NotRunReport:
    nodeid: str
    user_properties: list[tuple[str, str]]
    when: str = "setup"
    passed: bool = False
    failed: bool = False
    skipped: bool = True
    longrepr: object = None


def count_verdicts(outcomes: dict[tuple[str, str, str], Outcome]) -> dict[str, int]:
    counts = {v: 0 for v in VERDICT_RANK}
    for outcome in outcomes.values():
        counts[outcome.verdict] += 1
    return counts


def _verdict(report: pytest.TestReport, props: dict) -> str | None:
    if NOT_RUN_PROPERTY in props:
        return NOT_RUN
    if BLOCKED_PROPERTY in props:
        return "blocked"
    if hasattr(report, "wasxfail"):
        return "expected failure" if report.skipped else "unexpectedly passed"
    if report.skipped:
        reason = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
        return "not applicable" if reason.removeprefix("Skipped: ").startswith(NOT_APPLICABLE) else "not claimed"
    if report.failed:
        if "XPASS" in str(report.longrepr):
            return "unexpectedly passed"
        return "failed" if report.when == "call" else "error"
    if report.when == "call":
        return "warning" if "dcr_warning" in props else "passed"
    return None


def _first_line(report: pytest.TestReport, props: dict, redact: Callable[[str], str]) -> str:
    """The line of the report's text that says what happened, taken after the whole text is redacted
    (a secret split over lines, or masked by its key on an earlier line, is masked first)."""
    if NOT_RUN_PROPERTY in props:
        return redact(props[NOT_RUN_PROPERTY])
    if BLOCKED_PROPERTY in props:
        return redact(props[BLOCKED_PROPERTY])
    if "dcr_warning" in props:
        return (redact(props["dcr_warning"]).splitlines() or [""])[0]
    if report.skipped and isinstance(report.longrepr, tuple):
        return redact(str(report.longrepr[2])).removeprefix("Skipped: ")
    lines = redact(str(report.longrepr or getattr(report, "wasxfail", ""))).splitlines()
    return lines[1] if len(lines) > 1 and lines[0].startswith("DCR-") else (lines[0] if lines else "")
