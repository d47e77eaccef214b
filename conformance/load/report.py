"""Reports of a load run: the figures in the console, ``load-summary.json``, Locust's HTML report
and one Allure result per oracle (the schema of ``conformance.reporting``: a load run sits in the
same Allure report as a conformance run). Every text passes the run's redactor on its way out.

The figures are Locust's: per step the sample count, failures and the p50 / p95 / p99 of its
response times (``StatsEntry.get_response_time_percentile``); registrations per second are the
successful ``register`` samples over the time from the start of the run to the last of them.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conformance.load.objectives import PERCENTILES, Objectives
from conformance.load.oracles import Verdict

SUMMARY_FILE, HTML_FILE, ALLURE_DIR = "load-summary.json", "locust-report.html", "allure-results"
CONSOLE_EVIDENCE_LINES = 12


def step_figures(stats) -> dict[str, dict[str, Any]]:
    """Per step (Locust entry name): requests, failures, percentiles in ms, max, mean."""
    out: dict[str, dict[str, Any]] = {}
    for entry in sorted(stats.entries.values(), key=lambda s: s.name):
        out[entry.name] = {
            "method": entry.method,
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            **{p: round(entry.get_response_time_percentile(q), 1) if entry.num_requests else None
               for p, q in PERCENTILES.items()},
            "max": round(entry.max_response_time, 1) if entry.num_requests else None,
            "mean": round(entry.avg_response_time, 1),
        }
    return out


def registrations_per_s(stats) -> tuple[float, int, float]:
    """(rate, successful registrations, seconds) from Locust's ``register`` entry."""
    entry = next((s for s in stats.entries.values() if s.name == "register"), None)
    if entry is None or not entry.num_requests or entry.last_request_timestamp is None:
        return 0.0, 0, 0.0
    ok = entry.num_requests - entry.num_failures
    span = max(entry.last_request_timestamp - stats.start_time, 1e-3)
    return ok / span, ok, span


def objective_misses(objectives: Objectives, steps: dict[str, dict[str, Any]], rate: float) -> list[str]:
    """Every objective missed, with the measured figure."""
    misses = []
    if objectives.min_registrations_per_s is not None and rate < objectives.min_registrations_per_s:
        misses.append(f"registrations/s {rate:.1f} < {objectives.min_registrations_per_s:g}")
    for step, limits in objectives.latency_ms.items():
        figures = steps.get(step)
        for name, limit in limits.items():
            if figures is None or figures.get(name) is None:
                misses.append(f"{step} {name}: no samples (objective {limit:g} ms)")
            elif figures[name] > limit:
                misses.append(f"{step} {name} {figures[name]:g} ms > {limit:g} ms")
    return misses


def console(summary: dict[str, Any], redact: Callable[[str], str]) -> str:
    """The figures as people read them."""
    lines = [f"dcr-conformance load: {summary['devices']} devices against {summary['target']} "
             f"({summary['mode']}), {summary['duration_s']:.1f} s",
             f"{'step':<26}{'requests':>9}{'fails':>7}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}  (ms)"]
    for name, f in summary["steps"].items():
        cells = [f"{f[k]:.0f}" if f[k] is not None else "-" for k in ("p50", "p95", "p99", "max")]
        lines.append(f"{name:<26}{f['requests']:>9}{f['failures']:>7}" + "".join(f"{c:>8}" for c in cells))
    reg = summary["registrations"]
    lines.append(f"registrations/s: {reg['per_s']:.1f} ({reg['ok']} registrations in {reg['seconds']:.1f} s)")
    lines.append("main clients: " + ", ".join(f"{k} {v}" for k, v in summary["main_clients"].items()))
    lines.append("oracles:")
    for verdict in summary["oracles"]:
        lines.append(f"  {'PASS' if verdict['passed'] else 'FAIL'} {verdict['oracle']:<26} {verdict['summary']}")
        for evidence in verdict["evidence"][:2]:  # all of it is in load-summary.json
            shown = evidence.splitlines()
            if len(shown) > CONSOLE_EVIDENCE_LINES:
                shown = shown[:CONSOLE_EVIDENCE_LINES] + [f"... ({SUMMARY_FILE} has the rest)"]
            lines += ["       " + line[:300] for line in shown]
    if summary.get("errors"):
        lines.append(f"suite errors ({len(summary['errors'])}):")
        lines += [f"  {text}" for text in summary["errors"][:5]]
    if summary.get("should"):
        lines.append("SHOULD findings: " + "; ".join(f"{k} (x{v})" for k, v in list(summary["should"].items())[:5]))
    clients = summary["clients"]
    lines.append(f"clients: {clients['registered']} registered, {clients['deleted']} deleted, "
                 f"{len(clients['left'])} left" + (": " + ", ".join(clients["left"][:20]) if clients["left"] else ""))
    lines.append(f"reports: {summary['report_dir']}")
    return redact("\n".join(lines))


def write_summary(directory: Path, summary: dict[str, Any], redact: Callable[[str], str]) -> Path:
    path = directory / SUMMARY_FILE
    path.write_text(redact(json.dumps(summary, indent=2)) + "\n", encoding="utf-8")
    return path


def write_html(directory: Path, environment, redact: Callable[[str], str]) -> Path:
    """Locust's own HTML report of the run."""
    from locust.html import get_html_report

    path = directory / HTML_FILE
    path.write_text(redact(get_html_report(environment, show_download_link=False)), encoding="utf-8")
    return path


def write_allure(directory: Path, verdicts: list[Verdict], profile_name: str, started: float,
                 redact: Callable[[str], str]) -> Path:
    """One Allure result per oracle, in the schema allure-pytest writes."""
    from allure_commons.logger import AllureFileLogger
    from allure_commons.model2 import Label, Parameter, Status, StatusDetails, TestResult

    from conformance.reporting.allure_results import MUST_FAILED

    out = directory / ALLURE_DIR
    out.mkdir(parents=True, exist_ok=True)
    writer = AllureFileLogger(str(out), clean=False)
    stop = int(time.time() * 1000)
    for verdict in verdicts:
        details = None
        if not verdict.passed:
            details = StatusDetails(message=redact(f"{MUST_FAILED}: {verdict.summary}"),
                                    trace=redact("\n\n".join(verdict.evidence)) or None)
        result = TestResult(
            uuid=str(uuid.uuid4()), name=verdict.title, fullName=f"dcr-conformance-load#{verdict.oracle}",
            status=Status.PASSED if verdict.passed else Status.FAILED, statusDetails=details,
            start=int(started * 1000), stop=stop, description=redact(f"{verdict.title}\n\n{verdict.summary}"),
            labels=[Label(name="suite", value="load"), Label(name="epic", value=profile_name),
                    Label(name="feature", value="launch day"), Label(name="tag", value=f"LOAD {verdict.oracle}"),
                    Label(name="severity", value="critical"), Label(name="framework", value="locust")],
            parameters=[Parameter(name="profile", value=profile_name)],
        )
        result.historyId = result.testCaseId = f"dcr-conformance-load-{verdict.oracle}"
        writer.report_result(result)
    return out
