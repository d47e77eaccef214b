"""docs/ci.md: the GitHub Actions workflow installs from the repository, runs one job per profile,
gates on the exit status, uploads JUnit and merges the Allure results of all jobs into one report."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")  # the test extra installs it

DOC = Path(__file__).resolve().parents[2] / "docs" / "ci.md"


def _workflow() -> dict:
    [block] = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    return yaml.safe_load(block)


def _steps(job: dict) -> list[dict]:
    return job.get("steps", [])


def _runs(job: dict) -> list[str]:
    return [" ".join(step["run"].split()) for step in _steps(job) if "run" in step]


def _matrix_job(workflow: dict) -> tuple[str, dict]:
    return next((name, job) for name, job in workflow["jobs"].items() if "matrix" in job.get("strategy", {}))


def test_installs_the_suite_from_the_repository():
    workflow = _workflow()
    _, job = _matrix_job(workflow)
    installs = [r for r in _runs(job) if r.startswith("pip install")]
    assert installs, "no pip install step"
    for command in installs:  # a checkout (., ./dir) or a git URL: no package name an index would have to serve
        target = command.split()[-1].strip("'\"")
        assert target.startswith((".", "git+https://")), command
    assert any(step.get("uses", "").startswith("actions/checkout@") for step in _steps(job))


def test_one_job_per_profile_gated_on_the_exit_status():
    _, job = _matrix_job(_workflow())
    profiles = job["strategy"]["matrix"]["profile"]
    assert len(profiles) >= 2 and job["strategy"].get("fail-fast") is False
    [run] = [step for step in _steps(job) if "dcr-conformance run" in " ".join(step.get("run", "").split())]
    command = " ".join(run["run"].split())
    assert "--profile profiles/${{ matrix.profile }}.toml" in command
    # The gate: the step's exit status fails the job; nothing swallows it.
    assert "continue-on-error" not in run and "continue-on-error" not in job
    assert "|| true" not in command and "; true" not in command and "set +e" not in command


def test_uploads_junit_even_when_the_run_failed():
    _, job = _matrix_job(_workflow())
    uploads = [s for s in _steps(job) if s.get("uses", "").startswith("actions/upload-artifact@")]
    junit = [s for s in uploads if str(s["with"]["path"]).endswith("junit.xml")]
    assert junit and all(s.get("if") == "always()" for s in junit)
    assert "${{ matrix.profile }}" in junit[0]["with"]["name"]  # one artifact per job, no clash


def test_merges_the_allure_results_of_all_jobs_into_one_report():
    workflow = _workflow()
    matrix_name, job = _matrix_job(workflow)
    uploads = [s for s in _steps(job) if s.get("uses", "").startswith("actions/upload-artifact@")]
    [results] = [s for s in uploads if str(s["with"]["path"]).endswith("allure-results")]
    prefix = results["with"]["name"].replace("${{ matrix.profile }}", "")
    merge = next(j for j in workflow["jobs"].values() if j.get("needs") in (matrix_name, [matrix_name]))
    assert merge.get("if") == "always()"  # the report is built above all when a deployment failed
    [download] = [s for s in _steps(merge) if s.get("uses", "").startswith("actions/download-artifact@")]
    assert download["with"]["pattern"] == prefix + "*" and download["with"]["merge-multiple"] is True
    generate = [r for r in _runs(merge) if "allure" in r and " generate " in f" {r} "]
    assert generate and download["with"]["path"] in generate[0]
