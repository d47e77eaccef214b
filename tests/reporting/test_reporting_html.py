"""The Allure HTML report: built when the allure CLI can run, a clear message when it cannot."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

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


def _results(tmp_path):
    results = tmp_path / "allure-results"
    results.mkdir()
    (results / "x-result.json").write_text("{}")
    return results


def _fake_npx(tmp_path, monkeypatch, script: str):
    fake = tmp_path / "npx"
    fake.write_text(f"#!{sys.executable}\n{script}")
    fake.chmod(0o755)
    monkeypatch.setattr(html.shutil, "which", lambda name: str(fake) if name == "npx" else None)


def test_an_npm_cache_failure_says_what_failed_not_the_node_version(tmp_path, monkeypatch, capsys):
    """Offline with an empty npm cache, npx fails with ENOTCACHED: the message names the npm
    registry and cache, and does not claim Node.js is too old."""
    _fake_npx(tmp_path, monkeypatch, "import sys\nprint('npm error code ENOTCACHED', file=sys.stderr)\n"
              "print('npm error request to https://registry.npmjs.org/allure failed: cache mode is only-if-cached',"
              " file=sys.stderr)\nsys.exit(1)\n")
    monkeypatch.setattr(html, "_node_major", lambda: 20)
    assert html.build_html_report(_results(tmp_path), tmp_path / "allure-report") is None
    err = capsys.readouterr().err
    assert "building the Allure HTML report with npx allure@3" in err  # said before the wait
    assert "npx could not get allure@3 from the npm registry (ENOTCACHED)" in err
    assert "Node.js 18" not in err


def test_an_old_node_is_named_as_the_cause(tmp_path, monkeypatch, capsys):
    _fake_npx(tmp_path, monkeypatch, "import sys\nprint('SyntaxError: Unexpected token', file=sys.stderr)\nsys.exit(1)\n")
    monkeypatch.setattr(html, "_node_major", lambda: 16)
    assert html.build_html_report(_results(tmp_path), tmp_path / "allure-report") is None
    assert "needs Node.js 18 or newer; this machine has Node.js 16" in capsys.readouterr().err


#: A stand-in for ``npx allure@3 generate RESULTS -o OUT --config RC``: appends one line per run to
#: the config's historyPath and writes an index.html saying how many runs the history holds.
FAKE_ALLURE3 = """\
import json, pathlib, sys
args = sys.argv[1:]
out = pathlib.Path(args[args.index("-o") + 1])
config = json.loads(pathlib.Path(args[args.index("--config") + 1]).read_text())
history = pathlib.Path(config["historyPath"])
lines = history.read_text().splitlines() if history.exists() else []
lines.append(json.dumps({"run": len(lines) + 1}))
history.write_text("\\n".join(lines) + "\\n")
out.mkdir(parents=True, exist_ok=True)
(out / "index.html").write_text(f"runs in history: {len(lines)}")
"""


def test_history_continues_from_a_previous_report(tmp_path, monkeypatch, capsys):
    _fake_npx(tmp_path, monkeypatch, FAKE_ALLURE3)
    results, out = _results(tmp_path), tmp_path / "allure-report"
    assert html.build_html_report(results, out) == out
    assert (out / "history" / "history.jsonl").read_text().count("\n") == 1
    # The next run names the previous report (here the same directory, replaced by the new one).
    assert html.build_html_report(results, out, history=out) == out
    assert (out / "index.html").read_text() == "runs in history: 2"
    assert (out / "history" / "history.jsonl").read_text().count("\n") == 2
    # Without --history a report starts a new history.
    other = tmp_path / "fresh-report"
    assert html.build_html_report(results, other) == other
    assert (other / "index.html").read_text() == "runs in history: 1"
    capsys.readouterr()
    assert html.build_html_report(results, other, history=tmp_path / "nowhere") == other
    assert "not a directory" in capsys.readouterr().err


def test_history_of_allure2_is_copied_into_the_results(tmp_path, monkeypatch):
    previous = tmp_path / "old-report"
    (previous / "history").mkdir(parents=True)
    (previous / "history" / "history-trend.json").write_text("[]")
    fake = tmp_path / "allure"
    fake.write_text(f"#!{sys.executable}\nimport pathlib, sys\nout = pathlib.Path(sys.argv[sys.argv.index('-o') + 1])\n"
                    "out.mkdir(parents=True, exist_ok=True)\n(out / 'index.html').write_text('ok')\n")
    fake.chmod(0o755)
    monkeypatch.setattr(html.shutil, "which", lambda name: str(fake) if name == "allure" else None)
    results = _results(tmp_path)
    assert html.build_html_report(results, tmp_path / "allure-report", history=previous) is not None
    assert (results / "history" / "history-trend.json").read_text() == "[]"


def test_the_allure3_configuration_groups_by_profile_step_and_check(tmp_path):
    results = _results(tmp_path)
    (results / "categories.json").write_text('[{"name": "MUST failures", "matchedStatuses": ["failed"]}]')
    config = json.loads(Path(html._allure3_config(results, tmp_path, tmp_path / "h.jsonl")).read_text())
    assert config["plugins"]["awesome"]["options"]["groupBy"] == ["parentSuite", "suite", "subSuite"]
    assert config["categories"][0]["name"] == "MUST failures"
    assert config["historyPath"] == str((tmp_path / "h.jsonl").resolve())
