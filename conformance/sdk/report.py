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


def render_text(results: list[Result], *, verbose: bool = True, strict: bool = False) -> str:
    """The verdict as text: PASS, PASS with warnings (SHOULD findings), or FAIL (a MUST failed, or,
    with ``strict``, a SHOULD finding)."""
    if not results:
        return "no results"
    scenario = results[0].scenario
    failed = [r for r in results if not r.passed]
    warned = [r for r in results if r.warned]
    verdict = "FAIL" if failed or (strict and warned) else "PASS"
    counts = f"{len(results) - len(failed) - len(warned)}/{len(results)} checks passed"
    if warned:
        counts += f", {len(warned)} warning(s) (SHOULD{', failing in strict mode' if strict else ''})"
    lines = [f"DCR-SDK verdict for scenario {scenario}: {verdict} ({counts})"]
    for r in results:
        lines.append(f"  {r.verdict.upper():4} {r.id} [{r.installation}] {r.title}")
        if not r.passed or r.warned or verbose:
            lines.append(f"       {r.message}")
        if not r.passed or r.warned:
            for evidence in r.evidence:
                lines += ["         " + line for line in evidence.splitlines()]
    return "\n".join(lines)


def _row_verdict(r: Result, strict: bool) -> str:
    return "failed" if not r.passed or (strict and r.warned) else "warning" if r.warned else "passed"


def summary(results: list[Result], *, target: str = "recorded traffic", strict: bool = False) -> dict:
    """The certification summary of a verdict (:func:`conformance.reporting.summary.build_summary`):
    one row per check and installation, profile = the scenario, client = the installation; a SHOULD
    finding is a ``warning`` (``failed`` with ``strict``)."""
    from conformance.reporting.summary import build_summary

    rows = [SimpleNamespace(check_id=r.id, title=r.title, level=r.level, profile=r.scenario,
                            client=r.installation, verdict=_row_verdict(r, strict),
                            detail=r.message) for r in results]
    failed = sum(1 for row in rows if row.verdict == "failed")
    warnings = sum(1 for row in rows if row.verdict == "warning")
    cases = {"tests": len(results), "passed": len(results) - failed, "failures": failed, "warnings": warnings}
    cited = {rid for r in results for rid in r.requirements}
    return build_summary(rows, {r.id: r.requirements for r in results}, cases=cases,
                         profiles=list(dict.fromkeys(r.scenario for r in results)),
                         exit_status=1 if failed else 0, target=target, options={"kind": "sdk"},
                         requirements={rid: requirement_info(rid) for rid in sorted(cited)})


def write_summary(results: list[Result], directory: str | Path, *,
                  target: str = "recorded traffic", strict: bool = False) -> tuple[Path, Path]:
    """``summary.json`` and ``summary.md``, written as a server run writes them."""
    from conformance.reporting.summary import write_summary as write

    return write(summary(results, target=target, strict=strict), Path(directory))


def write_junit(results: list[Result], path: str | Path, *, strict: bool = False) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    scenario = results[0].scenario if results else "none"
    suites = ET.Element("testsuites")
    suite = ET.SubElement(suites, "testsuite", name=f"dcr-sdk.{scenario}", tests=str(len(results)),
                          failures=str(sum(1 for r in results if _row_verdict(r, strict) == "failed")),
                          errors="0", skipped="0")
    for r in results:
        case = ET.SubElement(suite, "testcase", classname=f"dcr-sdk.{scenario}.{r.installation}",
                             name=f"{r.id} {r.title}", time="0")
        props = ET.SubElement(case, "properties")
        for rid in r.requirements:
            ET.SubElement(props, "property", name="requirement", value=rid)
        ET.SubElement(props, "property", name="level", value=r.level)
        if r.warned:
            ET.SubElement(props, "property", name="dcr_warning", value=r.message)
        if _row_verdict(r, strict) == "failed":
            failure = ET.SubElement(case, "failure", message=r.message)
            failure.text = "\n\n".join(r.evidence)
        else:
            ET.SubElement(case, "system-out").text = (f"WARNING (SHOULD): {r.message}" if r.warned else r.message)
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)
    return path


def write_allure(results: list[Result], directory: str | Path, *, strict: bool = False) -> Path:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    now = int(time.time() * 1000)
    for r in results:
        history = hashlib.sha256(f"{r.scenario}:{r.id}:{r.installation}".encode()).hexdigest()
        result_uuid = str(uuid.uuid4())
        data = {
            "uuid": result_uuid, "historyId": history, "name": f"{r.id} {r.title}",
            "fullName": f"dcr-sdk.{r.scenario}.{r.id}[{r.installation}]",
            "status": "failed" if _row_verdict(r, strict) == "failed" else "passed", "stage": "finished",
            "statusDetails": {"message": f"WARNING (SHOULD): {r.message}" if r.warned else r.message,
                              "trace": "\n\n".join(r.evidence)},
            "start": now, "stop": now,
            "labels": [{"name": "suite", "value": "DCR-SDK"}, {"name": "subSuite", "value": r.scenario},
                       {"name": "tag", "value": r.level.lower()}, {"name": "testId", "value": r.id},
                       *([{"name": "tag", "value": "warning"}] if r.warned else [])],
            "parameters": [{"name": "installation", "value": r.installation}],
            "links": [{"name": rid, "url": requirement_info(rid).url, "type": "link"}
                      for rid in r.requirements],
        }
        (directory / f"{result_uuid}-result.json").write_text(json.dumps(data), encoding="utf-8")
    return directory
