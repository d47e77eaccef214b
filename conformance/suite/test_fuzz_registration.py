"""DCR-FUZZ-001: fuzzed RFC 7591 registration payloads on top of the template's request.

Each example is one registration attempt with its own fresh initial token (from a pool filled
in the background). The oracle (:mod:`conformance.oracles.registration`) judges the answer; a
created client is read back (RFC 7592), used, and deleted at once (the ``DELETE`` on a background
thread while the next example is generated) — also while Hypothesis shrinks — and it is in the
run's cleanup registry anyway (``DcrSession.register`` / ``DcrSession.send_registration``).
"""

from __future__ import annotations

import pytest

from conformance.client.http import MISSING
from conformance.client.registration import registration_request
from conformance.fuzz.budget import Budget
from conformance.fuzz.pool import Deleter, TokenPool
from conformance.fuzz.run import run_property
from conformance.fuzz.strategies import registration_payloads
from conformance.oracles import registration
from conformance.oracles.expect import expect
from conformance.oracles.failures import CheckFailure
from conformance.oracles.registration_faults import Payload
from conformance.oracles.token_response import scopes
from conformance.suite.check import check


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
        body_size = len((ex.spec.body()[0] if ex.spec is not None else None) or b"")
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
        expect(dyn is not None and dyn.registration_client_uri and dyn.registration_access_token,
               f"{what}: the 201 holds no registration_client_uri / registration_access_token",
               "RFC 7592 §3 management credentials (the profile claims registration_management)", ex)
        registration.judge_read_back(body, self.dcr_session.read(dyn), what)
        # A client registered with part of the template's scope asks for what it holds (RFC 6749 §3.3).
        held = scopes(body.get("scope"))
        scope = None if not held or scopes(self.profile.use.scope) <= held else " ".join(sorted(held))
        registration.judge_works(self.dcr_session.use(dyn, scope=scope), template, dpop=self.profile.use.dpop,
                                 what=f"{what}: token request of the new client")


@check("DCR-FUZZ-001", "RFC7591-2", "RFC7591-3", "RFC7591-3.2.1", "RFC7591-3.2.2", "CURITY-TEMPLATE-1",
       step="register", per_profile=True, claims=("registration_management",))
@pytest.mark.fuzz
def test_fuzzed_registration_payloads(dcr_session, profile, target, request):
    """Fuzzed RFC 7591 payloads get 201 within the template (a working client) or a fitting 400, never a 5xx."""
    budget = Budget.from_config(request.config)
    with TokenPool(dcr_session, target.label, depth=min(8, budget.examples)) as pool, \
            Deleter(dcr_session) as deleter:
        attempt = RegistrationAttempt(dcr_session, profile, pool, deleter)

        def fuzzed_registration(payload: Payload) -> None:
            attempt(payload)

        run_property(budget, fuzzed_registration, payload=registration_payloads(profile.template))
    request.node.user_properties.append(("dcr_fuzz", f"{attempt.attempts} attempts, {attempt.created} clients "
                                                     f"created and deleted; {budget.describe()}"))
