"""One secret, one fingerprint: on a failing run, every ``[redacted:xxxxxxxx]`` in the console, JUnit,
Allure results and attachments and the summary is the fingerprint of a secret the run really used
or received (never of a marker redacted again), and each one on the console or in JUnit can be
found in the Allure results."""

from __future__ import annotations

import re

import pytest

from conformance.client.redact import fingerprint
from reporting_kit import cli_run

MARKER = re.compile(r"\[redacted:([0-9a-f]{8})\]")
#: Failing checks of --defect initial-token-reusable, whose messages show registered clients' secrets.
REUSABLE_CHECKS = "DCR-REG-006 or DCR-REG-007"


@pytest.fixture(scope="module")
def reusable_run(tmp_path_factory):
    run = cli_run("reusable", tmp_path_factory.mktemp("fingerprints"), "--defect", "initial-token-reusable",
                  "-k", REUSABLE_CHECKS).start().wait()
    assert run.returncode == 1, run.describe()
    return run


def _outputs(run) -> dict[str, set[str]]:
    """Where -> the fingerprints shown there."""
    out = {"console": set(MARKER.findall(run.stdout + run.stderr)),
           "junit": set(MARKER.findall(run.junit.read_text(encoding="utf-8"))),
           "summary": set(), "allure results": set(), "allure attachments": set()}
    for name in ("summary.json", "summary.md"):
        path = run.report_dir / name
        if path.exists():
            out["summary"] |= set(MARKER.findall(path.read_text(encoding="utf-8")))
    for path in run.alluredir.iterdir():
        where = "allure attachments" if "-attachment" in path.name else "allure results"
        out[where] |= set(MARKER.findall(path.read_bytes().decode("utf-8", errors="replace")))
    return out


def _values_by_fingerprint(run) -> dict[str, str]:
    known: dict[str, str] = {}
    for kind, values in run.secrets().items():
        for value in values:
            for form in {value, value.strip()}:  # a PEM block is masked without its final newline
                known[fingerprint(form)] = kind
    return known


def _assert_one_fingerprint_per_secret(run) -> dict[str, set[str]]:
    outputs = _outputs(run)
    known = _values_by_fingerprint(run)
    shown = set().union(*outputs.values())
    assert len(outputs["console"]) >= 10, f"too few fingerprints on the console to prove anything: {outputs['console']}"
    rehashed = {fp for fp in shown if fingerprint(f"[redacted:{fp}]") in shown}
    assert not rehashed, f"markers redacted again: {sorted(rehashed)} hashed into another fingerprint"
    for where, fingerprints in outputs.items():
        unknown = sorted(fingerprints - known.keys())
        assert not unknown, f"{where}: fingerprints of no secret the run used or received: {unknown}"
    allure = outputs["allure results"] | outputs["allure attachments"]
    for where in ("console", "junit", "summary"):
        missing = sorted(outputs[where] - allure)
        assert not missing, f"{len(missing)} fingerprint(s) in the {where} appear nowhere in the Allure results: {missing}"
    return outputs


def test_one_fingerprint_per_secret_on_a_failing_run(reusable_run):
    outputs = _assert_one_fingerprint_per_secret(reusable_run)
    assert outputs["junit"] and outputs["allure attachments"]


def test_one_fingerprint_per_secret_on_the_other_failing_runs(failing_runs):
    for run in failing_runs:
        _assert_one_fingerprint_per_secret(run)
