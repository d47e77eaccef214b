"""Levels, expected failures, claims and the run's summary, shown on real runs of the suite.

SHOULD findings are warnings (passed, WARN, a ``dcr_warning`` property) unless ``--dcr-strict``;
``--dcr-expected-failures`` turns known failures into expected ones and reports those that now
pass; what a profile does not claim is skipped as "not claimed by profile"; the summary counts
each of these apart.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from conformance.harness.targets import NOT_CLAIMED
from conformance.server.profile_writer import PROFILE_LABELS as LABELS  # the reference profile's main clients
from tests.selftest.runner import run_suite

from suite_kit import edited_profile


def test_should_level_check_failing_is_a_warning_and_fails_only_when_strict(server, tmp_path):
    srv = server("metadata-dpop-algs-include-none")
    junit = tmp_path / "junit.xml"
    lenient = run_suite(srv.profile_path, only={"DCR-META-004"}, args=["--junitxml", str(junit)], keep_output=True)
    assert lenient.exit_code == 0 and lenient.failures == []
    assert len(lenient.warnings) == 1 and "DCR-META-004[" in lenient.warnings[0]
    assert "0 passed, 0 failed (MUST), 0 blocked, 1 warnings (SHOULD)" in lenient.summary_line
    assert "WARN" in lenient.output and "SHOULD-level findings" in lenient.output
    properties = {p.get("name"): p.get("value") for p in ET.parse(junit).iter("property")}
    assert properties["dcr_level"] == "SHOULD" and "dpop_signing_alg_values_supported" in properties["dcr_warning"]

    strict = run_suite(srv.profile_path, only={"DCR-META-004"}, strict=True)
    assert strict.exit_code == 1 and strict.warnings == []
    [failure] = strict.failures
    assert failure.message.startswith("DCR-META-004 ") and "dpop_signing_alg_values_supported" in failure.message


def test_should_finding_inside_a_must_check_is_a_warning(server):
    """DCR-TOK-001 is MUST, its no-refresh-token clause SHOULD: a refresh token only warns."""
    srv = server("token-issues-refresh-token")
    lenient = run_suite(srv.profile_path, only={"DCR-TOK-001"})
    assert lenient.exit_code == 0 and len(lenient.warnings) == len(LABELS)
    assert f"0 passed, 0 failed (MUST), 0 blocked, {len(LABELS)} warnings (SHOULD)" in lenient.summary_line
    strict = run_suite(srv.profile_path, only={"DCR-TOK-001"}, strict=True)
    assert strict.exit_code == 1 and len(strict.checks["DCR-TOK-001"].caught) == len(LABELS)
    assert all(f.message.startswith("DCR-TOK-001 ") and "(SHOULD, failing in strict mode)" in f.message
               and "refresh_token" in f.message for f in strict.failures)


def test_must_failure_fails_the_run_without_strict(server):
    srv = server("initial-token-reusable")
    result = run_suite(srv.profile_path, only={"DCR-REG-006"})
    assert result.exit_code == 1 and len(result.checks["DCR-REG-006"].caught) == len(LABELS)
    assert f"0 passed, {len(LABELS)} failed (MUST), 0 blocked, 0 warnings" in result.summary_line


def test_expected_failures_per_main_client_from_toml(server, tmp_path):
    srv = server("initial-token-reusable")
    known = tmp_path / "expected.toml"
    known.write_text('[expected_failures]\n"DCR-REG-006" = ["basic", "mtls"]\n')
    result = run_suite(srv.profile_path, only={"DCR-REG-006"}, args=["--dcr-expected-failures", str(known)],
                       keep_output=True)
    failed = {f.nodeid.rsplit("-", 1)[1].rstrip("]") for f in result.failures}
    assert failed == set(LABELS) - {"basic", "mtls"}
    assert "0 passed, 6 failed (MUST), 0 blocked, 0 warnings (SHOULD), 0 not claimed, 2 expected failures" in result.summary_line
    assert result.exit_code == 1


def test_expected_failures_for_every_client_from_json(server, tmp_path):
    srv = server("initial-token-reusable")
    known = tmp_path / "expected.json"
    known.write_text(json.dumps({"DCR-REG-006": "*"}))
    result = run_suite(srv.profile_path, only={"DCR-REG-006"}, args=["--dcr-expected-failures", str(known)],
                       keep_output=True)
    assert result.exit_code == 0 and result.failures == []
    assert f"{len(LABELS)} expected failures, 0 expected failures that now pass" in result.summary_line
    assert "xfail" in result.output


def test_expected_failure_that_now_passes_is_reported_as_a_failure(server, tmp_path):
    srv = server()
    known = tmp_path / "expected.toml"
    known.write_text('[expected_failures]\n"DCR-REG-006" = ["basic"]\n')
    result = run_suite(srv.profile_path, only={"DCR-REG-006"}, args=["--dcr-expected-failures", str(known)],
                       keep_output=True)
    assert result.exit_code == 1
    [failure] = result.failures
    assert failure.nodeid.endswith("DCR-REG-006[reference-basic]") and "XPASS" in failure.message
    assert "7 passed, 0 failed (MUST)" in result.summary_line
    assert "1 expected failures that now pass" in result.summary_line and "XPASS" in result.output


def test_unclaimed_feature_is_skipped_as_not_claimed(server):
    srv = server()
    profile = edited_profile(srv, "no-revocation", revocation=False)
    result = run_suite(profile, only={"DCR-REV-006", "DCR-REV-005", "DCR-REG-001"})
    assert result.exit_code == 0 and result.failures == []
    for check_id in ("DCR-REV-005", "DCR-REV-006"):
        outcome = result.checks[check_id]
        per_profile = 1 if check_id == "DCR-REV-005" else 0  # its refresh-token half runs once per profile
        assert outcome.ran == 0 and len(outcome.skipped) == len(LABELS) + per_profile, check_id
        assert all(f"{NOT_CLAIMED}: [claims] revocation = false" in s for s in outcome.skipped), outcome.skipped
    assert result.checks["DCR-REG-001"].ran == len(LABELS)
    assert f"{len(LABELS)} passed, 0 failed (MUST), 0 blocked, 0 warnings (SHOULD), {2 * len(LABELS)} not claimed" \
        in result.summary_line


def test_summary_counts_every_kind_of_outcome_apart(server, tmp_path):
    """One run with passes, MUST failures, SHOULD warnings, unclaimed checks, expected failures and an
    expected failure that now passes; the summary line and table tell them apart."""
    srv = server("token-issues-refresh-token", rotate_on_read=False)  # TOK-001 warns
    # The profile claims rotation the server does not do (MGT-001/002 fail) and no revocation.
    profile = edited_profile(srv, "summary", rotates_credentials_on_read=True, revocation=False)
    known = tmp_path / "expected.toml"
    known.write_text('[expected_failures]\n"DCR-MGT-002" = ["*"]\n"DCR-REG-001" = ["basic"]\n')
    only = {"DCR-REG-001", "DCR-MGT-001", "DCR-TOK-001", "DCR-REV-006", "DCR-MGT-002"}
    result = run_suite(profile, only=only, args=["--dcr-expected-failures", str(known)], keep_output=True)
    assert result.exit_code == 1
    assert result.summary_line == (
        "dcr-conformance: 40 results (one per check and main client): 7 passed, 8 failed (MUST), "
        "0 blocked, 8 warnings (SHOULD), 8 not claimed, "
        "8 expected failures, 1 expected failures that now pass, 0 not applicable")
    table = {line.split()[0]: line for line in result.output.splitlines() if line.startswith("DCR-")
             and "[" not in line.split()[0]}
    symbols = {check_id: set(table[check_id].split()[-len(LABELS):]) for check_id in only}
    assert symbols == {"DCR-REG-001": {"XPASS", "pass"}, "DCR-MGT-001": {"FAIL"}, "DCR-TOK-001": {"WARN"},
                       "DCR-REV-006": {"n/c"}, "DCR-MGT-002": {"xfail"}}
