"""Conformance runs shared by the reporting tests, started together (they mostly wait on I/O).

* ``clean``: the whole suite against the correct embedded server (10 examples per fuzz property);
* ``no-store``: ``--defect token-missing-no-store`` over some token and use checks (DCR-TOK-002
  fails on RFC6749-5.1-NOSTORE, the others, needing a token, are blocked by it; client assertions
  and DPoP proofs on the wire), with ``--html``;
* ``secret-expiry``: ``--defect registration-omits-secret-expiry`` over some registration checks,
  under xdist (``-n 1``: the controller writes the summary and the merged environment).

Each loads ``dcr_secret_capture`` (this directory) to record the secrets it used and received.
A fourth run, ``unreachable`` (plain pytest, no ``--alluredir``, a target that refuses
connections), starts with them. Under pytest-xdist (CI runs ``pytest -n 2``) each group of runs
happens once, in the first worker that needs it, under a lock file in the directory the workers
share; the other worker waits and reads the outcome.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import textwrap
from pathlib import Path

import pytest

from reporting_kit import NO_STORE_CHECKS, UNREACHABLE_SECRET, Run, cli_run

RUNS = {
    "clean": dict(cli_args=("--fuzz-examples", "10")),
    "no-store": dict(cli_args=("--html", "--defect", "token-missing-no-store", "-k", " or ".join(NO_STORE_CHECKS))),
    "secret-expiry": dict(cli_args=("--defect", "registration-omits-secret-expiry",
                                    "-k", "DCR-REG-001 or DCR-REG-002 or DCR-REG-005", "-n", "1")),
}
_started: dict[str, Run] = {}
MAIN = tuple(RUNS)


def _shared_dir(tmp_path_factory) -> Path | None:
    """Under pytest-xdist, the directory all workers share (the runs happen once, in one of them)."""
    return tmp_path_factory.getbasetemp().parent if os.environ.get("PYTEST_XDIST_WORKER") else None


@pytest.fixture(scope="session")
def runs_base(tmp_path_factory) -> Path:
    shared = _shared_dir(tmp_path_factory)
    if shared is None:
        return tmp_path_factory.mktemp("reporting-runs")
    base = shared / "dcr-reporting-runs"
    base.mkdir(exist_ok=True)
    return base


def _start(name: str, base: Path) -> Run:
    if name not in _started:
        _started[name] = (_unreachable_run(base) if name == "unreachable"
                          else cli_run(name, base, *RUNS[name]["cli_args"])).start()
    return _started[name]


def _unreachable_run(base: Path) -> Run:
    """pytest itself (no CLI, no --alluredir) against a profile whose target refuses connections."""
    directory = base / "unreachable"
    directory.mkdir(parents=True, exist_ok=True)
    profile = directory / "profile.toml"
    profile.write_text(textwrap.dedent(f"""\
        name = "unreachable"
        [server]
        token_endpoint = "https://127.0.0.1:9/oauth/v2/oauth-token"
        registration_endpoint = "https://127.0.0.1:9/token-service/oauth-registration"
        [template]
        software_id = "haapi-template"
        scope = "urn:se:curity:scopes:haapi"
        [main_clients.post]
        client_id = "main-post"
        auth_method = "client_secret_post"
        client_secret = "{UNREACHABLE_SECRET}"
        """))
    report = directory / "reports"
    argv = [sys.executable, "-m", "pytest", "--pyargs", "conformance.suite", "-q", "-p", "no:cacheprovider", "--assert=plain",
            "--rootdir", str(directory), "--dcr-profile", str(profile), "--junitxml", str(report / "junit.xml"),
            "--dcr-report-dir", str(report)]
    return Run("unreachable", report, directory / "captured-secrets", argv)


def _wait(runs: list[Run]) -> None:
    try:
        for run in runs:
            run.wait()
    except BaseException:
        for run in _started.values():
            if run.process is not None and run.process.poll() is None:
                run.process.kill()
        raise


def _runs(names: tuple[str, ...], base: Path, shared: bool, also_start: tuple[str, ...] = ()) -> dict[str, Run]:
    """The finished runs ``names``: started here, or (xdist) read from the worker that ran them."""
    if not shared:
        runs = {name: _start(name, base) for name in names}
        for name in also_start:  # in parallel too; its test waits for it
            _start(name, base)
        _wait(list(runs.values()))
        return runs
    group = "-".join(names)
    with open(base / f"{group}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the first worker runs them, the others wait and read
        done = base / f"{group}.json"
        if done.exists():
            return {name: Run.from_json(data) for name, data in json.loads(done.read_text()).items()}
        runs = {name: _start(name, base) for name in names}
        _wait(list(runs.values()))
        done.write_text(json.dumps({name: run.to_json() for name, run in runs.items()}))
        return runs


@pytest.fixture(scope="session")
def report_runs(tmp_path_factory, runs_base) -> dict[str, Run]:
    shared = _shared_dir(tmp_path_factory) is not None
    return _runs(MAIN, runs_base, shared, also_start=("unreachable",))


@pytest.fixture(scope="session")
def unreachable_run(tmp_path_factory, runs_base) -> Run:
    shared = _shared_dir(tmp_path_factory) is not None
    return _runs(("unreachable",), runs_base, shared)["unreachable"]


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
