"""Outputs of an SDK verdict: text, JUnit XML, Allure results, summary.json / summary.md (the
latter through the one summary writer, :mod:`conformance.reporting.summary`).

The shapes follow the server runs: one JUnit test case and one Allure result per check (and
installation), requirement ids as JUnit properties and Allure links, and a summary per run.
Everything written comes from :class:`~conformance.sdk.checks.Result`, whose evidence was
redacted at capture time.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

from .checks import Result, requirement_info


def render_text(results: list[Result], *, verbose: bool = True) -> str:
    if not results:
        return "no results"
    scenario = results[0].scenario
    failed = [r for r in results if not r.passed]
    lines = [f"DCR-SDK verdict for scenario {scenario}: "
             f"{'PASS' if not failed else 'FAIL'} ({len(results) - len(failed)}/{len(results)} checks passed)"]
    for r in results:
        lines.append(f"  {r.verdict.upper():4} {r.id} [{r.installation}] {r.title}")
        if not r.passed or verbose:
            lines.append(f"       {r.message}")
        if not r.passed:
            for evidence in r.evidence:
                lines += ["         " + line for line in evidence.splitlines()]
    return "\n".join(lines)


def summary(results: list[Result], *, target: str = "recorded traffic") -> dict:
    """The certification summary of a verdict (:func:`conformance.reporting.summary.build_summary`):
    one row per check and installation, profile = the scenario, client = the installation."""
    from conformance.reporting.summary import build_summary

    rows = [SimpleNamespace(check_id=r.id, title=r.title, level=r.level, profile=r.scenario,
                            client=r.installation, verdict="passed" if r.passed else "failed",
                            detail=r.message) for r in results]
    failed = sum(1 for r in results if not r.passed)
    cases = {"tests": len(results), "passed": len(results) - failed, "failures": failed}
    cited = {rid for r in results for rid in r.requirements}
    return build_summary(rows, {r.id: r.requirements for r in results}, cases=cases,
                         profiles=list(dict.fromkeys(r.scenario for r in results)),
                         exit_status=1 if failed else 0, target=target, options={"kind": "sdk"},
                         requirements={rid: requirement_info(rid) for rid in sorted(cited)})


def write_summary(results: list[Result], directory: str | Path, *,
                  target: str = "recorded traffic") -> tuple[Path, Path]:
    """``summary.json`` and ``summary.md``, written as a server run writes them."""
    from conformance.reporting.summary import write_summary as write

    return write(summary(results, target=target), Path(directory))


def write_junit(results: list[Result], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    scenario = results[0].scenario if results else "none"
    suites = ET.Element("testsuites")
    suite = ET.SubElement(suites, "testsuite", name=f"dcr-sdk.{scenario}", tests=str(len(results)),
                          failures=str(sum(1 for r in results if not r.passed)), errors="0", skipped="0")
    for r in results:
        case = ET.SubElement(suite, "testcase", classname=f"dcr-sdk.{scenario}.{r.installation}",
                             name=f"{r.id} {r.title}", time="0")
        props = ET.SubElement(case, "properties")
        for rid in r.requirements:
            ET.SubElement(props, "property", name="requirement", value=rid)
        ET.SubElement(props, "property", name="level", value=r.level)
        if not r.passed:
            failure = ET.SubElement(case, "failure", message=r.message)
            failure.text = "\n\n".join(r.evidence)
        else:
            ET.SubElement(case, "system-out").text = r.message
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)
    return path


def write_allure(results: list[Result], directory: str | Path) -> Path:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    now = int(time.time() * 1000)
    for r in results:
        history = hashlib.sha256(f"{r.scenario}:{r.id}:{r.installation}".encode()).hexdigest()
        result_uuid = str(uuid.uuid4())
        data = {
            "uuid": result_uuid, "historyId": history, "name": f"{r.id} {r.title}",
            "fullName": f"dcr-sdk.{r.scenario}.{r.id}[{r.installation}]",
            "status": "passed" if r.passed else "failed", "stage": "finished",
            "statusDetails": {"message": r.message, "trace": "\n\n".join(r.evidence)},
            "start": now, "stop": now,
            "labels": [{"name": "suite", "value": "DCR-SDK"}, {"name": "subSuite", "value": r.scenario},
                       {"name": "tag", "value": r.level.lower()}, {"name": "testId", "value": r.id}],
            "parameters": [{"name": "installation", "value": r.installation}],
            "links": [{"name": rid, "url": requirement_info(rid).url, "type": "link"}
                      for rid in r.requirements],
        }
        (directory / f"{result_uuid}-result.json").write_text(json.dumps(data), encoding="utf-8")
    return directory
