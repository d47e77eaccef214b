"""The command line's contract: exit statuses 0/1/2/3, JUnit names, and xdist giving the serial results."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conformance.cli import exit_status, main, pytest_arguments, build_parser

CLI = [sys.executable, "-m", "conformance.cli"]


def run_cli(*args: str, cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


def junit_cases(path: Path) -> dict[str, str]:
    """testcase name -> outcome (passed / failed / skipped) of a JUnit file."""
    cases = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        kinds = {child.tag for child in case}
        outcome = "failed" if kinds & {"failure", "error"} else "skipped" if "skipped" in kinds else "passed"
        cases[case.get("name")] = outcome
    return cases


def test_run_against_the_embedded_server_passes_and_names_tests_by_check_id(tmp_path):
    result = run_cli("run", "-k", "DCR-TOK-00 or DCR-REG-001", "--report-dir", str(tmp_path / "r"), cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    cases = junit_cases(tmp_path / "r" / "junit.xml")
    assert "DCR-REG-001[reference-mtls]" in cases
    assert "DCR-TOK-009[reference-es256]" in cases
    assert set(cases.values()) == {"passed"}
    assert "dcr-conformance summary" in result.stdout


def test_junit_cases_carry_requirement_and_level(tmp_path):
    run_cli("run", "-k", "DCR-REG-006", "--report-dir", str(tmp_path), cwd=tmp_path)
    case = next(ET.parse(tmp_path / "junit.xml").getroot().iter("testcase"))
    props = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert props["dcr_check"] == "DCR-REG-006"
    assert props["dcr_level"] == "MUST"
    assert "CURITY-DCR-ONCE" in props["dcr_requirements"].split()


def test_not_claimed_checks_are_junit_skips_with_their_reason(tmp_path):
    """A check the profile cannot claim (here: the wait is longer than --dcr-max-wait) is a JUnit
    skip naming why, and pytest's own skip summary (-rs) reads it too."""
    result = run_cli("run", "-k", "DCR-REG-008", "--report-dir", str(tmp_path), "--",
                     "--dcr-max-wait", "1", "-rs", cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "INTERNALERROR" not in result.stdout + result.stderr
    cases = junit_cases(tmp_path / "junit.xml")
    assert cases["DCR-REG-008[reference]"] == "skipped"
    skipped = next(c for c in ET.parse(tmp_path / "junit.xml").getroot().iter("testcase")
                   if c.get("name") == "DCR-REG-008[reference]").find("skipped")
    assert "not claimed by profile: initial_token_ttl_s = 5 is longer than --dcr-max-wait" in skipped.get("message")
    assert "SKIPPED [1]" in result.stdout and "not claimed by profile" in result.stdout


def test_a_defect_fails_the_run_with_the_check_id_and_evidence(tmp_path):
    result = run_cli("run", "--defect", "initial-token-reusable", "-k", "DCR-REG-006",
                     "--report-dir", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 1
    assert "DCR-REG-006" in result.stdout
    assert "expected: a refusal and no client created" in result.stdout
    assert "sent POST https://127.0.0.1" in result.stdout and "got 201" in result.stdout


def test_a_bad_profile_is_exit_2_naming_file_key_and_fix(tmp_path):
    profile = tmp_path / "bad.toml"
    profile.write_text('name = "x"\n[server]\nissuer = "https://127.0.0.1:9"\ntimout_s = 3\n')
    result = run_cli("run", "--profile", str(profile), "--report-dir", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2
    message = result.stdout + result.stderr
    assert "bad.toml" in message and "server.timout_s" in message and "timeout_s" in message
    assert "Traceback" not in message


def test_an_unreachable_target_is_exit_3(tmp_path):
    from conformance.server import ReferenceServer

    with ReferenceServer() as srv:
        text = Path(srv.profile_path).read_text().replace(srv.base_url, "https://127.0.0.1:9")
        profile = Path(srv.profile_path).with_name("unreachable.toml")
        profile.write_text(text)
        result = run_cli("run", "--profile", str(profile), "--report-dir", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 3, result.stdout[-2000:]
    assert "127.0.0.1:9" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_defect_with_a_profile_is_a_usage_error(tmp_path):
    assert main(["run", "--defect", "x", "--profile", "p.toml"]) == 2


def test_unknown_option_is_a_usage_error(capsys):
    assert main(["run", "--no-such-option"]) == 2


@pytest.mark.parametrize("code,expected", [(0, 0), (1, 1), (4, 2), (5, 2), (3, 3), (2, 1), (124, 124), (130, 130), (143, 143), (129, 129)])
def test_pytest_exit_codes_map_onto_the_contract(code, expected):
    assert exit_status(code) == expected


def test_run_options_become_pytest_options():
    args = build_parser().parse_args(["run", "--profile", "a.toml", "--strict", "-k", "DCR-REG", "--fuzz-examples",
                                      "7", "--expected-failures", "x.toml", "--", "-x"])
    argv = pytest_arguments(args)
    assert argv[:2] == ["--pyargs", "conformance.suite"]
    for pair in (["--dcr-profile", "a.toml"], ["-k", "DCR-REG"], ["--dcr-fuzz-examples", "7"],
                 ["--dcr-expected-failures", "x.toml"]):
        assert any(argv[i:i + 2] == pair for i in range(len(argv)))
    assert "--dcr-strict" in argv and argv[-1] == "-x"


def test_xdist_gives_the_serial_results(tmp_path):
    selection = "DCR-TOK-001 or DCR-TOK-010 or DCR-REG-006 or DCR-MGT-010"
    serial = run_cli("run", "-k", selection, "--defect", "jwt-audience-not-checked",
                     "--report-dir", str(tmp_path / "serial"), cwd=tmp_path)
    parallel = run_cli("run", "-k", selection, "--defect", "jwt-audience-not-checked", "-n", "2",
                       "--report-dir", str(tmp_path / "parallel"), cwd=tmp_path)
    assert serial.returncode == parallel.returncode == 1
    a, b = junit_cases(tmp_path / "serial" / "junit.xml"), junit_cases(tmp_path / "parallel" / "junit.xml")
    assert a == b
    assert any(v == "failed" for v in a.values()) and any(v == "passed" for v in a.values())
