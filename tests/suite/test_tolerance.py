"""Expectations are sets where the specs allow several answers (expect helpers on made-up exchanges)."""

from __future__ import annotations

import httpx
import pytest

from conformance.client.http import CapturedRequest, Exchange
from conformance.oracles.expect import client_authentication_refused, error_response, refused, should, status_in
from conformance.oracles.expect import DPOP_DESCRIBED, refused_as_described, www_authenticate
from conformance.oracles.failures import CheckFailure, findings, reset_findings


def _exchange(status: int | None = None, body: dict | None = None, headers: dict | None = None,
              error: str | None = None) -> Exchange:
    request = CapturedRequest("POST", "https://as.example/token", (), "grant_type=client_credentials")
    response = None if status is None else httpx.Response(status, json=body, headers=headers or {})
    return Exchange(request, response, error, 0.001)


@pytest.mark.parametrize("status", [400, 401])
def test_invalid_client_is_accepted_as_400_or_401(status):
    refused(_exchange(status, {"error": "invalid_client"}), "wrong secret", statuses={400, 401},
            errors={"invalid_client"})


@pytest.mark.parametrize("status, body", [(200, {"access_token": "x"}), (500, {"error": "server_error"}),
                                          (400, {"error": "invalid_grant"}), (403, {"error": "invalid_client"})])
def test_answers_outside_the_set_fail_and_say_what_was_expected(status, body):
    with pytest.raises(CheckFailure) as failure:
        refused(_exchange(status, body), "wrong secret", statuses={400, 401}, errors={"invalid_client"})
    assert "expected:" in str(failure.value) and "sent POST" in str(failure.value)


def test_refused_handshake_counts_as_invalid_client_only_where_allowed():
    handshake = _exchange(error="TLS handshake refused: TLSV13_ALERT_CERTIFICATE_REQUIRED")
    refused(handshake, "untrusted client certificate", errors={"invalid_client"}, tls_refusal_ok=True)
    with pytest.raises(CheckFailure):
        refused(handshake, "wrong secret", errors={"invalid_client"})
    with pytest.raises(CheckFailure):
        refused(_exchange(error="connection refused"), "untrusted client certificate", tls_refusal_ok=True)


def test_status_sets_and_error_sets():
    error_response(_exchange(403, {"error": "insufficient_scope"}), {401, 403}, {"insufficient_scope", "invalid_token"},
                   "token without dcr")
    error_response(_exchange(401, {"error": "invalid_token"}), {401, 403}, {"insufficient_scope", "invalid_token"},
                   "token without dcr")
    with pytest.raises(CheckFailure, match="one of 401, 403"):
        status_in(_exchange(400, {"error": "invalid_request"}), {401, 403}, "token without dcr")


def test_should_records_a_finding_and_lets_the_check_go_on():
    reset_findings()
    assert should(False, "no Cache-Control", "Cache-Control: no-store", _exchange(201, {})) is False
    assert should(True, "fine", "fine") is True
    [finding] = findings()
    assert finding.startswith("no Cache-Control") and "expected: Cache-Control: no-store" in finding
    reset_findings()


def test_www_authenticate_challenge_with_error():
    ok = _exchange(401, {"error": "invalid_token"}, {"WWW-Authenticate": 'Bearer error="invalid_token"'})
    www_authenticate(ok, "Bearer", "garbage token", error="invalid_token")
    with pytest.raises(CheckFailure, match="does not name error=invalid_token"):
        www_authenticate(_exchange(401, {}, {"WWW-Authenticate": "Bearer"}), "Bearer", "garbage token",
                         error="invalid_token")


@pytest.mark.parametrize("status, code, basic, warned", [
    (401, "invalid_client", True, False), (400, "invalid_client", False, False),
    (400, "unauthorized_client", False, True), (403, "invalid_client", False, True),
    (401, "invalid_grant", True, True)])
def test_a_failed_client_authentication_warns_on_a_described_code_or_status(status, code, basic, warned):
    """RFC 6749 §5.2 describes invalid_client (and its 400/401) without a keyword: another code warns."""
    reset_findings()
    assert client_authentication_refused(_exchange(status, {"error": code}), "wrong secret", basic=basic) == code
    assert bool(findings()) is warned
    reset_findings()


@pytest.mark.parametrize("status, body, basic", [
    (200, {"access_token": "x", "token_type": "Bearer"}, False), (500, {"error": "server_error"}, False),
    (400, {}, False), (400, {"error": "invalid_client"}, True)])
def test_a_failed_client_authentication_fails_without_a_refusal_or_a_401_after_basic(status, body, basic):
    """A token, a 5xx, no error code, or (RFC 6749 §5.2 MUST) another status than 401 after Basic fails."""
    reset_findings()
    with pytest.raises(CheckFailure):
        client_authentication_refused(_exchange(status, body), "wrong secret", basic=basic)
    reset_findings()


@pytest.mark.parametrize("status, code, warned", [
    (400, "invalid_dpop_proof", False), (401, "use_dpop_nonce", False), (400, "invalid_request", True),
    (403, "invalid_dpop_proof", True)])
def test_a_rejected_dpop_proof_warns_on_a_described_code_or_status(status, code, warned):
    """RFC 9449 §5 describes invalid_dpop_proof without a keyword (its MUST is the rejection): another code warns."""
    reset_findings()
    assert refused_as_described(_exchange(status, {"error": code}), "bad proof", statuses={400, 401},
                                errors={"invalid_dpop_proof", "use_dpop_nonce"}, described=DPOP_DESCRIBED) == code
    assert bool(findings()) is warned
    reset_findings()


@pytest.mark.parametrize("status, body", [
    (200, {"access_token": "x", "token_type": "DPoP"}), (500, {"error": "server_error"}), (400, {})])
def test_a_rejected_dpop_proof_fails_without_a_refusal(status, body):
    """A token, a 5xx or a refusal without an error code is no rejection (RFC 9449 §4.3 MUST, RFC 6749 §5.2 REQUIRED)."""
    reset_findings()
    with pytest.raises(CheckFailure):
        refused_as_described(_exchange(status, body), "bad proof", statuses={400, 401},
                             errors={"invalid_dpop_proof"}, described=DPOP_DESCRIBED)
    reset_findings()
