"""Outputs of an SDK verdict: text, JUnit XML, Allure results, summary.json / summary.md.

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


def summary(results: list[Result]) -> dict:
    return {"kind": "sdk", "scenario": results[0].scenario if results else None,
            "passed": all(r.passed for r in results), "total": len(results),
            "failed": sum(1 for r in results if not r.passed),
            "results": [r.to_dict() for r in results]}


def write_summary(results: list[Result], directory: str | Path) -> tuple[Path, Path]:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    data = summary(results)
    json_path = directory / "summary.json"
    json_path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    lines = [f"# DCR-SDK verdict: scenario `{data['scenario']}`", "",
             f"**{'PASS' if data['passed'] else 'FAIL'}**: {data['total'] - data['failed']}/{data['total']} "
             f"checks passed.", "", "| check | installation | verdict | requirements | message |",
             "|---|---|---|---|---|"]
    for r in results:
        reqs = ", ".join(f"[{rid}]({requirement_info(rid).url})" for rid in r.requirements)
        message = r.message.replace("|", "\\|")
        lines.append(f"| {r.id} {r.title} | {r.installation} | {r.verdict} | {reqs} | {message} |")
    md_path = directory / "summary.md"
    md_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return json_path, md_path


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
