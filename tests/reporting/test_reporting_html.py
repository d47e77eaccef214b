"""The Allure HTML report: built when the allure CLI can run, a clear message when it cannot."""

from __future__ import annotations

import json
import shutil

import pytest

from conformance.reporting import html
from reporting_kit import junit_cases


def test_html_report_holds_one_result_per_executed_check(report_runs):
    run = report_runs["no-store"]  # small, with failures and warnings
    out = run.report_dir / "allure-report"
    if not (out / "index.html").is_file():
        if shutil.which("npx") is None and shutil.which("allure") is None:
            pytest.skip("the allure CLI is unavailable: neither npx (Node.js) nor allure is on the PATH")
        pytest.skip("the allure CLI could not build the report here (offline without npm cache?): "
                    + (run.stderr.strip().splitlines() or [""])[-1][:300])
    cases = junit_cases(run.junit)
    stats = json.loads((out / "summary.json").read_text())["stats"]
    assert stats["total"] == len(cases)
    assert stats.get("failed", 0) == sum(c["outcome"] == "failure" for c in cases)
    results = [json.loads(p.read_text()) for p in (out / "data" / "test-results").glob("*.json")]
    assert len(results) == len(cases)
    executed = {(c["props"]["dcr_check"], c["props"]["dcr_client"]) for c in cases}
    assert {(_tag(r), _param(r, "main client")) for r in results} == executed
    # Allure 3 sorts them with our categories (passed to it as its configuration).
    categories = {(r["status"], tuple(c["name"] for c in r.get("categories") or [])) for r in results}
    assert ("failed", ("MUST failures",)) in categories
    assert ("broken", ("Blocked by another check's failure",)) in categories
    assert not [c for c in categories if c[0] == "failed" and c[1] != ("MUST failures",)]
    assert "Allure HTML report:" in run.stderr


def _tag(result: dict) -> str:
    return next(label["value"] for label in result.get("labels", [])
                if label["name"] == "tag" and label["value"].startswith("DCR-"))


def _param(result: dict, name: str) -> str:
    return next(p["value"].strip("'") for p in result.get("parameters", []) if p["name"] == name)


def test_no_node_means_a_message_not_a_traceback(tmp_path, monkeypatch, capsys):
    results = tmp_path / "allure-results"
    results.mkdir()
    (results / "x-result.json").write_text("{}")
    monkeypatch.setattr(html.shutil, "which", lambda name: None)
    assert html.build_html_report(results, tmp_path / "allure-report") is None
    err = capsys.readouterr().err
    assert "Node.js" in err and "npx --yes allure@3 generate" in err and "Traceback" not in err


def test_no_results_means_no_report(tmp_path, capsys):
    assert html.build_html_report(tmp_path / "missing", tmp_path / "out") is None
    assert "no Allure results" in capsys.readouterr().err


def test_a_failing_cli_is_reported(tmp_path, monkeypatch, capsys):
    results = tmp_path / "allure-results"
    results.mkdir()
    (results / "x-result.json").write_text("{}")
    fake = tmp_path / "npx"
    fake.write_text("#!/bin/sh\necho 'npm ERR! network unreachable' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setattr(html.shutil, "which", lambda name: str(fake) if name == "npx" else None)
    assert html.build_html_report(results, tmp_path / "allure-report") is None
    err = capsys.readouterr().err
    assert "exit status 1" in err and "network unreachable" in err


def test_an_unrelated_output_directory_is_not_overwritten(tmp_path, capsys):
    results = tmp_path / "allure-results"
    results.mkdir()
    (results / "x-result.json").write_text("{}")
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    assert html.build_html_report(results, out) is None
    assert (out / "notes.txt").read_text() == "keep me"
