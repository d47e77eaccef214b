"""DCR-FUZZ-001: fuzzed RFC 7591 registration payloads on top of the profile's request.

Each example is one registration attempt with its own fresh initial token (from a pool filled
in the background); Hypothesis draws the examples in a child process while the ones before are
sent (:mod:`conformance.fuzz.ahead`). The oracle (:mod:`conformance.oracles.registration`) judges
the answer; a created client is read back (RFC 7592), used, and deleted at once (the ``DELETE`` on
a background thread while the next example is sent) — also while Hypothesis shrinks — and it is
in the run's cleanup registry anyway (``DcrSession.register`` / ``DcrSession.send_registration``).
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.client.http import MISSING
from conformance.client.registration import registration_request
from conformance.fuzz.budget import Budget
from conformance.fuzz.pool import Deleter, TokenPool
from conformance.fuzz.run import run_property
from conformance.fuzz.strategies import PUBLIC_JWK, private_key_for, profile_registration_payloads
from conformance.oracles import registration
from conformance.oracles.expect import expect
from conformance.oracles.failures import CheckFailure
from conformance.oracles.registration_faults import Payload
from conformance.oracles.token_response import scopes
from conformance.suite.check import check
from conformance.vocabulary import DYNAMIC_AUTH_METHODS
from conformance.catalogue import allowed as ok, declare_answers, forbidden as no


# The answers the specs allow and forbid, per check (rendered into docs/catalogue.md).
ANSWERS = declare_answers({
    "DCR-FUZZ-001": (
        ok("201 within the template: values dropped or replaced", "RFC 7591 §3.2.1", "MAY", "The authorization server "
           "MAY reject or replace any of the client's requested metadata values"),
        ok("redirect URIs beyond the template stored for a client without a redirect-based flow", "RFC 7591 §2",
           "descriptive",
           "redirect_uris: Array of redirection URI strings for use in redirect-based flows such as the authorization "
           "code and implicit flows."),
        ok("a device's public jwks on a secret template: private_key_jwt bound to exactly those keys, no secret "
           "(the key then works)", "RFC 7591 §2", "descriptive", "jwks: Client's JSON Web Key Set document value, which "
           "contains the client's public keys."),
        ok("400 with an RFC 7591 §3.2.2 code fitting the fault; invalid_request for a body too large, not a JSON "
           "object, or a value of the wrong JSON type; 413 for a large body, 415 for another media type",
           "RFC 6750 §3.1", "SHOULD", "invalid_request: The request ... includes an unsupported parameter or parameter "
           "value ... or is otherwise malformed. The resource server SHOULD respond with the HTTP 400"),
        no("a 5xx; a refusal of unknown members only", "RFC 7591 §2", "MUST", "The authorization server MUST ignore any "
           "client metadata sent by the client that it does not understand"),
        no("both jwks and jwks_uri, a private key, a fragment in a redirect URI, client-chosen credentials",
           "RFC 7591 §2", "MUST NOT", "The \"jwks_uri\" and \"jwks\" parameters MUST NOT both be present"),
    ),
})


class RegistrationAttempt:
    """One fuzzed registration: send, judge, read back, use, delete."""

    def __init__(self, dcr_session, profile, pool: TokenPool, deleter: Deleter | None = None) -> None:
        self.dcr_session, self.profile, self.pool, self.deleter = dcr_session, profile, pool, deleter
        self.attempts = self.created = 0

    def send(self, payload: Payload, token: str):
        if payload.raw is None:
            return self.dcr_session.register(token, payload.metadata())
        raw = payload.raw
        spec = registration_request(self.profile, token).replace(json=MISSING, content=raw.content)
        spec = spec.without_header("Content-Type")
        if raw.content_type is not None:
            spec = spec.with_header("Content-Type", raw.content_type)
        return self.dcr_session.send_registration(spec)  # a client it creates goes to the cleanup registry

    def __call__(self, payload: Payload) -> None:
        self.attempts += 1
        token = self.pool.get()
        dyn, ex = self.send(payload, token.value)
        body_size = len(ex.sent_bytes() or b"")
        try:
            self.judge(payload, dyn, ex, body_size)
        except CheckFailure as failure:
            described = self.dcr_session.transport.redactor.redact_text(payload.describe())
            raise type(failure)(f"{failure}\n  payload (minimal once shrunk): {described}") from None
        finally:
            if dyn is not None:
                self.created += 1
                if dyn.registration_client_uri and dyn.registration_access_token:
                    # eager (in the background with a deleter); the registry retries what fails
                    (self.deleter or self.dcr_session).delete(dyn)

    def judge(self, payload: Payload, dyn, ex, body_size: int) -> None:
        what = "fuzzed registration"
        body = registration.judge_answer(payload, ex, body_size, what)
        if body is None:
            return
        template = self.profile.template
        registration.judge_registered(body, template, payload, ex, what)
        bound = registration.device_key_binding(body, payload, ex)
        if bound is not None and body.get("token_endpoint_auth_method") != template.token_endpoint_auth_method \
                and dyn is not None:
            # Bound to the device's keys (RFC 7591 §2, §3.2.1): the key must work, and no secret may.
            key = private_key_for(bound)
            if key is not None:  # the fuzzed payload's key (else the session's own device key, which dyn holds)
                dyn.auth_method, dyn.private_key, dyn.alg, dyn.kid = "private_key_jwt", key, "ES256", PUBLIC_JWK["kid"]
            expect(dyn.private_key is not None, f"{what}: private_key_jwt bound to keys the suite did not send",
                   "exactly the jwks sent", ex)
            expect(not dyn.client_secret, f"{what}: a client bound to the device's keys holds a client_secret",
                   "no client_secret (the keys are its credential)", ex)
        expect(dyn is not None and dyn.registration_client_uri and dyn.registration_access_token,
               f"{what}: the 201 holds no registration_client_uri / registration_access_token",
               "RFC 7592 §3 management credentials (the profile claims registration_management)", ex)
        registration.judge_read_back(body, self.dcr_session.read(dyn), what)
        if not usable_for_client_credentials(body, dyn):
            return  # registered as the payload asked, for another grant or method: nothing to use
        # A client registered with part of the template's scope asks for what it holds (RFC 6749 §3.3).
        held = scopes(body.get("scope"))
        scope = None if not held or scopes(self.profile.use.scope) <= held else " ".join(sorted(held))
        registration.judge_works(self.dcr_session.use(dyn, scope=scope), template, dpop=self.profile.use.dpop,
                                 what=f"{what}: token request of the new client")


def usable_for_client_credentials(body: dict, dyn: Any) -> bool:
    """The registered client may ask for a token with ``client_credentials``: a client whose
    registered ``grant_types`` leave it out (RFC 7591 §2), or whose method the suite cannot
    authenticate with (``none``, mTLS, ``private_key_jwt`` without the device key), is not used."""
    grants = body.get("grant_types")
    if isinstance(grants, list) and "client_credentials" not in grants:
        return False
    return dyn is not None and dyn.auth_method in DYNAMIC_AUTH_METHODS and (
        dyn.auth_method != "private_key_jwt" or dyn.private_key is not None)


@check("DCR-FUZZ-001", "RFC7591-2", "RFC7591-3", "RFC7591-3.2.1", "RFC7591-3.2.2", "CURITY-TEMPLATE-1",
       step="register", per_profile=True, claims=("registration_management",))
@pytest.mark.fuzz
def test_fuzzed_registration_payloads(dcr_session, profile, target, request):
    """Fuzzed RFC 7591 payloads get 201 within the template (a working client) or a fitting 400, never a 5xx."""
    budget = Budget.from_config(request.config)
    # One token per example at most (none fetched for nobody), and the pool deletes too.
    with TokenPool(dcr_session, target.label, depth=min(8, budget.examples), limit=budget.examples) as pool:
        attempt = RegistrationAttempt(dcr_session, profile, pool, pool)

        def fuzzed_registration(payload: Payload) -> None:
            attempt(payload)

        run_property(budget, fuzzed_registration, ahead=True, payload=profile_registration_payloads(profile))
    request.node.user_properties.append(("dcr_fuzz", f"{attempt.attempts} attempts, {attempt.created} clients "
                                                     f"created and deleted; {budget.describe()}"))
