"""An interrupted run (Ctrl-C) leaves an Allure result saying so, sorted into "Interrupted runs",
and a summary that does not pass (verdict "incomplete": its check is "not run")."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from conformance.reporting import allure_results as ar

INTERRUPT = "import pytest\n\ndef pytest_runtest_call(item):\n    raise KeyboardInterrupt\n"


def test_an_interrupted_run_has_its_result_and_category(tmp_path):
    (tmp_path / "ux_interrupt.py").write_text(INTERRUPT)
    results, reports = tmp_path / "allure-results", tmp_path / "reports"
    done = subprocess.run([sys.executable, "-m", "pytest", "--pyargs", "conformance.suite", "-q", "-p", "no:cacheprovider",
                           "-p", "ux_interrupt", "-k", "DCR-META-001", "--alluredir", str(results),
                           "--dcr-report-dir", str(reports)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=180,
                          env={**__import__("os").environ, "PYTHONPATH": str(tmp_path)})
    assert done.returncode == 2, done.stdout[-2000:] + done.stderr[-2000:]
    found = [json.loads(p.read_text()) for p in results.glob("*-result.json")]
    [run] = [r for r in found if r.get("fullName") == "dcr-conformance#run"]
    message = run["statusDetails"]["message"]
    assert run["status"] == "broken" and message.startswith("Run interrupted: ")
    categories = json.loads((results / "categories.json").read_text())
    assert next(c["name"] for c in categories if c["name"] == "Interrupted runs"
                and run["status"] in c["matchedStatuses"] and re.fullmatch(c["messageRegex"], message))
    assert ar.INTERRUPTED == "Run interrupted"
    summary = json.loads((reports / "summary.json").read_text())
    assert summary["verdict"] == "incomplete" and any(r.startswith("run interrupted") for r in summary["verdict_reasons"])
