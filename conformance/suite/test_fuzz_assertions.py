"""DCR-FUZZ-002: fuzzed JWT client assertions of the main clients (RFC 7521 §4.2, RFC 7523 §3).

Each example is one initial-token request of a ``private_key_jwt`` or ``client_secret_jwt``
main client whose assertion carries up to three perturbations (claims, header, signature, form);
the acceptance model of :func:`conformance.oracles.client_assertion.assertion_verdict` says
whether the server MUST accept it, MUST reject it, or may do either. No client is created: an
accepted assertion only yields an initial token, which expires unused.
"""

from __future__ import annotations

import pytest

from conformance.client.jose import decode_unverified
from conformance.fuzz.assertion_requests import token_request
from conformance.fuzz.budget import Budget
from conformance.fuzz.run import run_property
from conformance.fuzz.strategies import AssertionCase, assertion_cases
from conformance.oracles import client_assertion
from conformance.oracles.failures import CheckFailure
from conformance.suite.check import check
from conformance.vocabulary import JWT_METHODS
from conformance.catalogue import allowed as ok, declare_answers, forbidden as no


# The answers the specs allow and forbid, per check (rendered into docs/catalogue.md).
ANSWERS = declare_answers({
    "DCR-FUZZ-002": (
        ok("accept or refuse an assertion RFC 7523 leaves open (no jti, unknown claims or headers: accept)",
           "RFC 7523 §3", "MAY", "The JWT MAY contain a \"jti\" (JWT ID) claim that provides a unique identifier for the "
           "token."),
        ok("a jti-less assertion accepted twice (a replay only when the profile claims OIDC client authentication)",
           "RFC 7523 §3", "MAY", "The authorization server MAY ensure that JWTs are not replayed by maintaining the set "
           "of used \"jti\" values"),
        no("an invalid assertion accepted; a refusal with a status other than 400/401 or a code other than "
           "invalid_client / invalid_request", "RFC 7523 §3.2", "MUST", "The value of the \"error\" parameter MUST be "
           "the \"invalid_client\" error code."),
        no("the same jti accepted twice", "[claims] jwt_replay_rejected", "claim", "assertions are single use"),
    ),
})


def _shown_assertion(spec) -> str:
    """Header and claims of the assertion sent (never its signature: that is the credential)."""
    value = spec.form_value("client_assertion") or ""
    try:
        header, claims = decode_unverified(value)
    except Exception:  # not a JWS: the perturbation says what it was
        return "(not a decodable JWS)"
    return f"header {header}, claims {claims}"


class AssertionAttempt:
    def __init__(self, dcr_session, profile) -> None:
        self.dcr_session, self.profile = dcr_session, profile
        self.sent = self.accepted = 0

    def __call__(self, case: AssertionCase) -> None:
        spec = token_request(self.profile, case)
        verdict = client_assertion.assertion_verdict(case.perturbations)
        what = "token request with a fuzzed client assertion"
        try:
            ex = self.dcr_session.transport.send(spec)
            self.sent += 1
            accepted = client_assertion.judge_assertion(verdict, ex, what)
            self.accepted += accepted
            if any(p.target == "replay" for p in case.perturbations):
                again = self.dcr_session.transport.send(spec)
                self.sent += 1
                has_jti = not any(p.target == "jti" and p.variant in ("omit", "empty") for p in case.perturbations)
                replay = client_assertion.replay_verdict(
                    accepted, self.profile.claims.jwt_replay_rejected, has_jti=has_jti,
                    oidc_client_authentication=self.profile.claims.oidc_client_authentication)
                client_assertion.judge_assertion(replay, again, f"{what}, sent a second time")
        except CheckFailure as failure:
            shown = self.dcr_session.transport.redactor.redact_text(f"{case.describe()}\n  assertion: {_shown_assertion(spec)}")
            raise type(failure)(f"{failure}\n  case (minimal once shrunk): {shown}") from None


@check("DCR-FUZZ-002", "RFC7523-3", "RFC7521-4.2", step="token", per_profile=True, methods=JWT_METHODS)
@pytest.mark.fuzz
def test_fuzzed_client_assertions(dcr_session, profile, request):
    """The token endpoint accepts exactly the client assertions RFC 7523 §3 allows (fuzzed claims, headers, signatures)."""
    budget = Budget.from_config(request.config)
    clients = {label: c for label, c in profile.main_clients.items() if c.auth_method in JWT_METHODS}
    attempt = AssertionAttempt(dcr_session, profile)

    def fuzzed_assertion(case: AssertionCase) -> None:
        attempt(case)

    run_property(budget, fuzzed_assertion, ahead=True, case=assertion_cases(clients))
    request.node.user_properties.append(("dcr_fuzz", f"{attempt.sent} token requests, {attempt.accepted} accepted; "
                                                     f"{budget.describe()}"))
