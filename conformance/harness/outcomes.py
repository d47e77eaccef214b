"""The verdict of each check per profile and main client, folded from pytest's test reports.

A cell (check, profile, main client) may hold several tests; it shows the worst verdict among
them, in the order of :data:`VERDICT_RANK`. A test that started but never reported its call (cut
off by a signal), or never started (the run ended first), is "not run": never passed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

NOT_RUN = "not run"
VERDICT_RANK = {"passed": 0, "not claimed": 1, "expected failure": 2, "warning": 3,
                "unexpectedly passed": 4, NOT_RUN: 5, "failed": 6, "error": 7}
#: Verdicts whose first line of text is kept as the cell's detail.
_WITH_DETAIL = ("failed", "error", "warning", "unexpectedly passed", "not claimed", "expected failure", NOT_RUN)
#: The user property of a test the harness did not run (``--dcr-max-run-time``): its reason.
NOT_RUN_PROPERTY = "dcr_not_run"
#: The detail of a test cut off before its result.
CUT_OFF = "did not finish: the run was interrupted"


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


def _first_line(report: pytest.TestReport, props: dict, redact: Callable[[str], str]) -> str:
    """The line of the report's text that says what happened, taken after the whole text is redacted
    (a secret split over lines, or masked by its key on an earlier line, is masked first)."""
    if NOT_RUN_PROPERTY in props:
        return redact(props[NOT_RUN_PROPERTY])
    if "dcr_warning" in props:
        return (redact(props["dcr_warning"]).splitlines() or [""])[0]
    if report.skipped and isinstance(report.longrepr, tuple):
        return redact(str(report.longrepr[2])).removeprefix("Skipped: ")
    lines = redact(str(report.longrepr or getattr(report, "wasxfail", ""))).splitlines()
    return lines[1] if len(lines) > 1 and lines[0].startswith("DCR-") else (lines[0] if lines else "")
