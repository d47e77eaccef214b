"""Attribution: a check fails only on its own requirements; a broken step it builds on blocks it.

Shown on real runs against the reference server: with the token responses' caching headers
missing (``token-missing-no-store``, RFC 6749 §5.1), only DCR-TOK-002, which owns
``RFC6749-5.1-NOSTORE``, fails; the checks that only needed a token are blocked by it, reported
as such on the console, in JUnit, and counted apart. The verdict rule itself is tested on its own.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from conformance.catalogue import CheckInfo, load_checks
from conformance.harness.outcomes import blocked_reason, owner_of
from conformance.oracles.expect import NO_STORE, fail, no_store
from conformance.oracles.failures import CheckFailure, PrerequisiteFailure
from conformance.server.profile_writer import PROFILE_LABELS as LABELS
from tests.selftest.runner import run_suite

#: Checks that need a token (from a fixture or a step of their own) but do not own no-store.
NEEDS_A_TOKEN = {"DCR-REG-001", "DCR-MGT-001", "DCR-USE-005", "DCR-REV-006"}


def _info(*requirements: str) -> CheckInfo:
    return CheckInfo("DCR-XXX-999", "a check", requirements, "MUST", "token")


def test_a_failure_of_the_checks_own_requirement_fails_it():
    own = _info("RFC6749-5.1-NOSTORE")
    assert blocked_reason(CheckFailure("Pragma is missing", NO_STORE), own) is None
    assert blocked_reason(CheckFailure("unattributed: the check's own"), _info("RFC7591-3.2.1")) is None


def test_a_failure_of_another_checks_requirement_blocks_it_naming_the_owner():
    load_checks()
    reason = blocked_reason(CheckFailure("initial token response: Pragma is missing\n  expected: ...", NO_STORE),
                            _info("OIDC-CORE-9"))
    assert reason == f"blocked by {owner_of(NO_STORE)}: initial token response: Pragma is missing [{NO_STORE}]"
    assert owner_of(NO_STORE) == "DCR-TOK-002"  # the first check citing it in catalogue order
    # A prerequisite that did not work blocks the check whatever it broke; the owner is another check.
    step = PrerequisiteFailure("prerequisite: an initial registration token: Cache-Control is missing", NO_STORE)
    assert blocked_reason(step, CheckInfo("DCR-USE-001", "t", ("RFC6749-5.1-NOSTORE",), "MUST", "use")) \
        .startswith("blocked by DCR-TOK-002: an initial registration token")
    assert blocked_reason(PrerequisiteFailure("prerequisite: no code"), _info("RFC7591-3.2.1")) == "blocked: no code"


def test_oracle_helpers_name_the_requirement_they_enforce():
    try:
        fail("x", "y", requirement=("RFC7591-3.2.1", "RFC7592-3"))
    except CheckFailure as failure:
        assert failure.requirements == ("RFC7591-3.2.1", "RFC7592-3")

    class Answer:  # only what no_store reads
        def headers_all(self, name):
            return ["no-store"] if name == "cache-control" else []

        def describe(self):
            return "sent POST /token, got 200"

    try:
        no_store(Answer(), "token response")
    except CheckFailure as failure:
        assert failure.requirements == (NO_STORE,) and "Pragma is missing" in str(failure)
    else:
        raise AssertionError("a missing Pragma was accepted")


def test_a_broken_setup_step_blocks_and_only_the_owner_fails(server, tmp_path):
    srv = server("token-missing-no-store")
    junit = tmp_path / "junit.xml"
    result = run_suite(srv.profile_path, only=NEEDS_A_TOKEN | {"DCR-TOK-002"}, keep_output=True,
                       args=["--junitxml", str(junit)])
    assert result.exit_code == 1
    failing = {c for c, o in result.checks.items() if o.caught}
    assert failing == {"DCR-TOK-002"}, result.output_tail
    assert not [f for f in result.failures if "DCR-TOK-002" not in f.nodeid], result.failures
    for check_id in NEEDS_A_TOKEN:  # DCR-REV-006 too: its registered client's setup needs a token
        reasons = result.checks[check_id].skipped
        assert reasons and all("blocked by DCR-TOK-002: " in r and "[RFC6749-5.1-NOSTORE]" in r for r in reasons), \
            (check_id, reasons[:2])
    # The console: the table's BLOCK cells, the blocked section, the totals line.
    assert "BLOCK" in result.output and "blocked checks" in result.output
    assert f"{len(LABELS)} failed (MUST), " in result.summary_line and " blocked, " in result.summary_line
    blocked_count = int(result.summary_line.split(" blocked, ")[0].rsplit(" ", 1)[1])
    assert blocked_count >= len(NEEDS_A_TOKEN) - 1
    # JUnit: a skipped case whose message is the reason, with the dcr_blocked property.
    cases = list(ET.parse(junit).iter("testcase"))
    blocked = [c for c in cases if c.find("skipped") is not None]
    assert blocked and all(c.find("skipped").get("message").startswith("blocked by DCR-TOK-002: ") for c in blocked)
    assert all(any(p.get("name") == "dcr_blocked" for p in c.iter("property")) for c in blocked)


def test_blocked_checks_alone_do_not_let_a_run_pass(server):
    """The owner (DCR-TOK-002) not selected: the blocked checks still make the exit status 1."""
    srv = server("token-missing-no-store")
    result = run_suite(srv.profile_path, only={"DCR-REG-001"})
    assert result.failures == [] and result.exit_code == 1
    assert all("blocked by DCR-TOK-002" in r for r in result.checks["DCR-REG-001"].skipped)
    assert f"0 failed (MUST), {len(LABELS)} blocked" in result.summary_line


def test_a_registration_answered_200_is_a_warning_and_blocks_nothing(server):
    """Registration answered 200, not 201: RFC 7591 §3.2.1 only describes 201 ("The server responds
    with an HTTP 201 Created status code", no keyword), so DCR-REG-001 warns (fails under strict) and
    the RFC 7592 read, the use and the revocation checks, which only need a client, run and pass."""
    srv = server("registration-returns-200")
    needs_a_client = {"DCR-MGT-001", "DCR-USE-001", "DCR-REV-003"}
    result = run_suite(srv.profile_path, only=needs_a_client | {"DCR-REG-001"})
    assert result.exit_code == 0 and not result.failures, result.failures
    assert result.warnings and all("DCR-REG-001" in nodeid for nodeid in result.warnings), result.warnings
    for check_id in needs_a_client:
        assert result.checks[check_id].ran and not result.checks[check_id].skipped, check_id
    strict = run_suite(srv.profile_path, only={"DCR-REG-001"}, strict=True)
    assert strict.exit_code == 1 and {c for c, o in strict.checks.items() if o.caught} == {"DCR-REG-001"}
