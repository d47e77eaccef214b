"""The code-flow checks on real runs: what the claims decide, and what a broken login looks like."""

from __future__ import annotations

from pathlib import Path

from conformance.harness.targets import NOT_CLAIMED
from tests.selftest.runner import run_suite

from suite_kit import edited_profile

FLOW_CHECKS = {"DCR-USE-012", "DCR-MGT-012", "DCR-REV-005"}


def test_unbound_refresh_tokens_are_legal_unless_claimed(server):
    """RFC 9449 §5 binds only public clients' refresh tokens: a refresh with another key may succeed,
    with a token bound to that key, unless the profile claims Curity's binding."""
    srv = server("refresh-token-not-bound")
    rfc = edited_profile(srv, "rfc-binding", refresh_token_dpop_bound=False)
    lenient = run_suite(rfc, only={"DCR-USE-012"}, strict=True)
    assert lenient.exit_code == 0 and lenient.checks["DCR-USE-012"].ran == 1, lenient.output_tail
    strict = run_suite(srv.profile_path, only={"DCR-USE-012"}, strict=True)
    [failure] = strict.failures
    assert failure.message.startswith("DCR-USE-012 ") and "another DPoP key" in failure.message
    binding = edited_profile(server(), "binding-rfc", refresh_token_dpop_bound=False)
    assert run_suite(binding, only={"DCR-USE-012"}, strict=True).exit_code == 0  # refusing is legal too


def test_code_flow_not_claimed(server):
    srv = server()
    profile = edited_profile(srv, "no-code-flow", code_flow=False)
    result = run_suite(profile, only=FLOW_CHECKS)
    assert result.exit_code == 0 and result.failures == []
    assert result.checks["DCR-USE-012"].ran == 0
    reason = f"{NOT_CLAIMED}: [claims] code_flow = false"
    for check_id in FLOW_CHECKS:
        assert sum(reason in s for s in result.checks[check_id].skipped) == 1, check_id
    assert result.checks["DCR-MGT-012"].ran and result.checks["DCR-REV-005"].ran  # their access-token halves


def test_a_failed_login_fails_use_012_and_blocks_the_others(server):
    srv = server()
    profile = edited_profile(srv, "wrong-password")
    wrong = profile.parent / "secrets" / "wrong-password.txt"
    wrong.write_text("not-the-password-0123")
    password_file = profile.parent / "secrets" / "user-demo-user.txt"
    real_password = password_file.read_text()
    text = profile.read_text().replace('password = "secrets/user-demo-user.txt"',
                                       'password = "secrets/wrong-password.txt"')
    Path(profile).write_text(text)
    result = run_suite(profile, only=FLOW_CHECKS, strict=True, keep_output=True)
    [use] = [f for f in result.failures if "DCR-USE-012" in f.nodeid]
    assert use.message.startswith("DCR-USE-012 ") and "incorrect-credentials" in use.message
    # The others only build on the flow: a failed prerequisite blocks them (not failed, not passed).
    assert [f for f in result.failures if "DCR-USE-012" not in f.nodeid] == []
    for check_id in ("DCR-MGT-012", "DCR-REV-005"):
        assert any("blocked: the HAAPI flow did not reach a code" in r for r in result.checks[check_id].skipped), \
            result.checks[check_id].skipped
    assert result.exit_code == 1
    assert "not-the-password-0123" not in result.output and real_password not in result.output
    assert result.leftovers == []
