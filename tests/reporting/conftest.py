"""Conformance runs shared by the reporting tests, started together (they mostly wait on I/O).

* ``clean``: the whole suite against the correct embedded server (10 examples per fuzz property);
* ``no-store``: ``--defect token-missing-no-store`` over some token and use checks (MUST
  failures and SHOULD warnings, client assertions and DPoP proofs on the wire), with ``--html``;
* ``secret-expiry``: ``--defect registration-omits-secret-expiry`` over some registration checks,
  under xdist (``-n 1``: the controller writes the summary and the merged environment).

Each loads ``dcr_secret_capture`` (this directory) to record the secrets it used and received.
"""

from __future__ import annotations

import pytest

from reporting_kit import NO_STORE_CHECKS, Run, cli_run

RUNS = {
    "clean": dict(cli_args=("--fuzz-examples", "10")),
    "no-store": dict(cli_args=("--html", "--defect", "token-missing-no-store", "-k", " or ".join(NO_STORE_CHECKS))),
    "secret-expiry": dict(cli_args=("--defect", "registration-omits-secret-expiry",
                                    "-k", "DCR-REG-001 or DCR-REG-002 or DCR-REG-005", "-n", "1")),
}


@pytest.fixture(scope="session")
def report_runs(tmp_path_factory) -> dict[str, Run]:
    base = tmp_path_factory.mktemp("reporting-runs")
    runs = {name: cli_run(name, base, *spec["cli_args"]).start() for name, spec in RUNS.items()}
    try:
        for run in runs.values():
            run.wait()
    finally:
        for run in runs.values():
            if run.process is not None and run.process.poll() is None:
                run.process.kill()
    return runs


@pytest.fixture(scope="session")
def clean_run(report_runs) -> Run:
    run = report_runs["clean"]
    assert run.returncode == 0, run.describe()
    return run


@pytest.fixture(scope="session")
def failing_runs(report_runs) -> list[Run]:
    runs = [report_runs["no-store"], report_runs["secret-expiry"]]
    for run in runs:
        assert run.returncode == 1, run.describe()
    return runs
