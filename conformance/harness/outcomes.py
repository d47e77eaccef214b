"""The verdict of each check per profile and main client, folded from pytest's test reports.

A cell (check, profile, main client) may hold several tests; it shows the worst verdict among
them, in the order of :data:`VERDICT_RANK`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

VERDICT_RANK = {"passed": 0, "not applicable": 1, "not claimed": 2, "expected failure": 3, "warning": 4,
                "unexpectedly passed": 5, "failed": 6, "error": 7}
#: Verdicts whose first line of text is kept as the cell's detail.
_WITH_DETAIL = ("failed", "error", "warning", "unexpectedly passed", "not claimed", "not applicable",
                "expected failure")
#: A skip whose reason starts so observed nothing to judge (``conformance.suite.check.not_applicable``).
NOT_APPLICABLE = "not applicable: "


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
    verdict = _verdict(report, props)
    if verdict is not None and VERDICT_RANK[verdict] >= VERDICT_RANK[outcome.verdict]:
        outcome.verdict = verdict
        if verdict in _WITH_DETAIL:
            outcome.detail = redact(_first_line(report, props))


def count_verdicts(outcomes: dict[tuple[str, str, str], Outcome]) -> dict[str, int]:
    counts = {v: 0 for v in VERDICT_RANK}
    for outcome in outcomes.values():
        counts[outcome.verdict] += 1
    return counts


def _verdict(report: pytest.TestReport, props: dict) -> str | None:
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


def _first_line(report: pytest.TestReport, props: dict) -> str:
    if "dcr_warning" in props:
        return props["dcr_warning"].splitlines()[0]
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    lines = str(report.longrepr or getattr(report, "wasxfail", "")).splitlines()
    return lines[1] if len(lines) > 1 and lines[0].startswith("DCR-") else (lines[0] if lines else "")
