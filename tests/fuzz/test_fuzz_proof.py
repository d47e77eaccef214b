"""Proof of the fuzzing checks: they hold on the correct reference server, and catch each defect
in their domain within the default budget.

Each scenario starts a :class:`~conformance.server.ReferenceServer` here (with one defect, or
none) and runs the suite against its profile in a subprocess, with the default budget and
``CI=true`` (derandomized: the same examples every run, as the CI gate does). It then reads the
JUnit report: which checks failed, and with what message, and the server's store: every client
the run created was deleted — also those created while Hypothesis shrank a failing example.
Scenarios run three at a time; the whole module takes well under a minute on two cores.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conformance.server import DEFECTS

DRIVER = Path(__file__).with_name("fuzz_driver.py")
REGISTRATION = "conformance.suite.test_fuzz_registration"
ASSERTIONS = "conformance.suite.test_fuzz_assertions"
LIFECYCLE = "conformance.suite.test_fuzz_lifecycle"
REGISTER = "conformance.suite.test_register"
#: Scenarios run at once (each is one process holding its server and its suite run).
WORKERS = 2


@dataclass(frozen=True)
class Scenario:
    defect: str | None
    modules: tuple[str, ...]
    keyword: str
    caught_by: frozenset[str]       # checks that must fail (all others of the run must pass)
    message: str = ""               # text the first failure of each caught check must show
    deletes: bool = True            # the server honours DELETE, so no client may be left


#: The defects of issue 5 ("at least ..."), and three of the client-assertion defects DCR-FUZZ-002
#: catches (an expired, an unsigned and a valid-but-refused assertion; the other seven jwt-* and
#: client-secret-jwt-broken are caught too, measured but left out here to keep this module short).
SCENARIOS = [
    Scenario(None, (REGISTRATION, ASSERTIONS, LIFECYCLE, REGISTER), "FUZZ or (REG-007 and basic)", frozenset()),
    Scenario("malformed-json-500", (REGISTRATION,), "FUZZ-001", frozenset({"DCR-FUZZ-001"}), "got 500"),
    Scenario("nested-metadata-500", (REGISTRATION,), "FUZZ-001", frozenset({"DCR-FUZZ-001"}), "got 500"),
    Scenario("redirect-uri-not-validated", (REGISTRATION,), "FUZZ-001", frozenset({"DCR-FUZZ-001"}), "got 201"),
    Scenario("template-scope-not-enforced", (REGISTRATION,), "FUZZ-001", frozenset({"DCR-FUZZ-001"}), "got 201"),
    Scenario("wrong-error-code", (REGISTRATION,), "FUZZ-001", frozenset({"DCR-FUZZ-001"}), "invalid_redirect_uri"),
    # Token reuse under concurrency is DCR-REG-007's (issue 5, "Concurrency"), at --dcr-race-width.
    # DCR-FUZZ-003's race step catches it too, but the defect's 0.2 s window slows every
    # registration, so the state machine takes minutes to shrink there: not in this proof.
    Scenario("initial-token-race", (REGISTER,), "REG-007 and basic", frozenset({"DCR-REG-007"}), "concurrent"),
    Scenario("delete-not-effective", (LIFECYCLE,), "FUZZ-003", frozenset({"DCR-FUZZ-003"}), "steps of the program",
             deletes=False),
    Scenario("delete-affects-other-clients", (LIFECYCLE,), "FUZZ-003", frozenset({"DCR-FUZZ-003"}),
             "steps of the program"),
    Scenario("management-refuses-dcrm-token", (LIFECYCLE,), "FUZZ-003", frozenset({"DCR-FUZZ-003"}),
             "with the management client's dcrm token"),
    *[Scenario(name, (ASSERTIONS,), "FUZZ-002", frozenset({"DCR-FUZZ-002"}), "case (minimal once shrunk)")
      for name in ("jwt-expired-accepted", "jwt-alg-none-accepted", "private-key-jwt-es256-broken",
                   "jws-crit-ignored")],
]


#: What each fuzz check's failure message shows besides the server's answer.
SHOWS_MINIMAL = {"DCR-FUZZ-001": "payload (minimal once shrunk)", "DCR-FUZZ-002": "case (minimal once shrunk)",
                 "DCR-FUZZ-003": "steps of the program (minimal once shrunk)"}


@dataclass
class Outcome:
    returncode: int
    seconds: float
    passed: set[str] = field(default_factory=set)
    failed: dict[str, str] = field(default_factory=dict)   # check id -> first failure text
    clients_left: int = -1
    secrets: list[str] = field(default_factory=list)       # the main clients' secrets of the profile
    output: str = ""


def _check_id(name: str) -> str:
    return name.split("[", 1)[0]


def run_scenario(scenario: Scenario, workdir: Path) -> Outcome:
    """One scenario in a subprocess (server and suite in one process, like the embedded server).

    ``--assert=plain``: the suite never asserts with ``assert``, and without it pytest rewrites
    every module of the package on each start (no bytecode cache here), doubling the start-up."""
    workdir.mkdir(parents=True, exist_ok=True)
    report, result = workdir / "junit.xml", workdir / "result.json"
    args = [sys.executable, str(DRIVER), scenario.defect or "-", str(result),
            "-p", "no:cacheprovider", "--assert=plain", "-q", "--tb=short", "--pyargs", *scenario.modules,
            "-k", scenario.keyword, f"--junitxml={report}"]
    env = {**os.environ, "CI": "true"}
    env.pop("PYTEST_ADDOPTS", None)
    started = time.perf_counter()
    proc = subprocess.run(args, cwd=workdir, env=env, capture_output=True, text=True, timeout=600)
    outcome = Outcome(proc.returncode, time.perf_counter() - started, output=proc.stdout + proc.stderr)
    if result.exists():
        data = json.loads(result.read_text())
        outcome.returncode, outcome.clients_left, outcome.secrets = data["exit"], data["clients_left"], data["secrets"]
    if report.exists():
        for case in ET.parse(report).getroot().iter("testcase"):
            check_id = _check_id(case.get("name", ""))
            problem = case.find("failure")
            if problem is None:
                problem = case.find("error")
            if problem is not None:
                outcome.failed.setdefault(check_id, (problem.get("message") or "") + "\n" + (problem.text or ""))
            elif case.find("skipped") is None:
                outcome.passed.add(check_id)
    return outcome


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str | None, Outcome]:
    base = tmp_path_factory.mktemp("fuzz-proof")
    with ThreadPoolExecutor(WORKERS) as pool:
        futures = {s.defect: pool.submit(run_scenario, s, base / (s.defect or "correct")) for s in SCENARIOS}
        return {name: future.result() for name, future in futures.items()}


def test_scenarios_name_real_defects():
    assert all(s.defect is None or s.defect in DEFECTS for s in SCENARIOS)


def test_the_correct_server_passes_every_fuzz_check(outcomes):
    outcome = outcomes[None]
    assert outcome.failed == {}, outcome.output[-4000:]
    assert {"DCR-FUZZ-001", "DCR-FUZZ-002", "DCR-FUZZ-003", "DCR-REG-007"} <= outcome.passed, outcome.output[-2000:]
    assert outcome.returncode == 0
    assert outcome.clients_left == 0, "the fuzz checks left clients on the server"


@pytest.mark.parametrize("scenario", [s for s in SCENARIOS if s.defect], ids=lambda s: s.defect)
def test_the_defect_is_caught_within_the_default_budget(outcomes, scenario):
    outcome = outcomes[scenario.defect]
    assert set(outcome.failed) == set(scenario.caught_by), (
        f"{scenario.defect}: expected {sorted(scenario.caught_by)} to fail, failed {sorted(outcome.failed)}\n"
        + outcome.output[-3000:])
    for check_id in scenario.caught_by:
        text = outcome.failed[check_id]
        # The check's own verdict (the plugin leads with the check id), not a crash or a prerequisite.
        assert text.lstrip().startswith(f"{check_id} ") or f"\n{check_id} " in text, text
        assert "prerequisite:" not in text and "Traceback" not in text, text
        assert scenario.message in text, text
        if check_id in SHOWS_MINIMAL:  # the minimal example and how to get this run again
            assert SHOWS_MINIMAL[check_id] in text and "derandomized (CI=true)" in text, text
    if scenario.deletes:
        assert outcome.clients_left == 0, f"{outcome.clients_left} clients left after shrinking"


@pytest.mark.parametrize("scenario", [s for s in SCENARIOS if s.defect], ids=lambda s: s.defect)
def test_failure_messages_show_no_secret(outcomes, scenario):
    outcome = outcomes[scenario.defect]
    leaked = [s for s in outcome.secrets if len(s) >= 8 and s in outcome.output]
    assert leaked == [], f"{scenario.defect}: a main client's secret appears in the output"
    assert "[redacted:" in outcome.output, "the failure shows no (redacted) credential at all"
