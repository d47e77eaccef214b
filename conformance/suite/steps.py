"""The steps a check builds on (its setup), judged by the shared step oracles so that they block.

A check that needs an initial token, a registered client or the dynamic client's token gets it
here. Each step's answer goes through the same oracle its own check uses (RFC 6749 §5.1 token
responses, RFC 7591 §3.2.1 registrations, RFC 7592 §3 management credentials); a failure becomes a
:class:`~conformance.oracles.failures.PrerequisiteFailure` naming the requirement that broke, so
the harness reports the check as *blocked by* the check owning that requirement, not as failed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from conformance.client.http import Exchange
from conformance.client.registration import DynamicClient
from conformance.client.session import DcrSession
from conformance.oracles.expect import expect, status_in, success
from conformance.oracles.failures import CheckFailure, as_prerequisite
from conformance.oracles.token_response import token_success
from conformance.vocabulary import DCR_SCOPE

T = TypeVar("T")

#: RFC 7591 §3.2.1: a registration is answered 201 with the client's information.
REGISTERED = "RFC7591-3.2.1"
#: RFC 7592 §3: the registration response holds registration_access_token and registration_client_uri.
MANAGEMENT_CREDENTIALS = "RFC7592-3"
#: RFC 6749 §4.4.2 / §5.1: the main client's client_credentials request answered with a token.
INITIAL_TOKEN = ("RFC6749-4.4.2", "RFC6749-5.1")


def prerequisite(step: str, judge: Callable[[], T]) -> T:
    """``judge()``, a failure of which is a failed prerequisite of the check (it blocks it)."""
    try:
        return judge()
    except CheckFailure as failure:
        raise as_prerequisite(failure, step) from None


def token_type(profile) -> str:
    """The dynamic client's token type: DPoP when the profile uses DPoP (RFC 9449 §5)."""
    return "DPoP" if profile.use.dpop else "Bearer"


def setup_initial_token(dcr_session: DcrSession, label: str, scope: str | None = DCR_SCOPE) -> str:
    """A fresh initial registration token of main client ``label`` (step 1)."""
    token, ex = dcr_session.initial_token(label, scope=scope)
    initial_token_answer(ex, f"the initial token request of main client {label!r}")
    return token


def initial_token_answer(ex: Exchange, what: str) -> dict:
    """An initial token response, judged as a prerequisite (RFC 6749 §4.4.3, §5.1)."""
    return prerequisite("an initial registration token", lambda: token_success(ex, what, requirement=INITIAL_TOKEN))


def accepted_control(ex: Exchange, what: str, requirement=INITIAL_TOKEN) -> None:
    """The valid request a negative vector mutates was accepted (200 with an access token), so the
    refusal that follows is the mutation's doing. Only the acceptance is judged: the control is
    evidence, not a step the check builds on (the rest of its answer is DCR-TOK-001's and
    DCR-TOK-002's to judge). ``requirement`` names what a refusal breaks."""
    def judge() -> None:
        status_in(ex, 200, what, requirement=requirement)
        body = ex.json() if isinstance(ex.json(), dict) else {}
        expect(isinstance(body.get("access_token"), str) and body["access_token"],
               f"{what}: access_token is missing or empty", "a non-empty access_token string", ex,
               requirement=requirement)

    prerequisite("the valid request of the negative vector", judge)


def setup_registration(dcr_session: DcrSession, token: str, metadata: dict[str, Any] | None = None,
                       *, main_label: str | None = None) -> DynamicClient:
    """A dynamic client registered with ``token`` (step 2), with its RFC 7592 credentials when the
    profile claims registration management."""
    dyn, ex = dcr_session.register(token, metadata, main_label=main_label)
    registration_answer(dcr_session, dyn, ex)
    return dyn


def registration_answer(dcr_session: DcrSession, dyn: DynamicClient | None, ex: Exchange) -> DynamicClient:
    """A registration answer, judged as a prerequisite (RFC 7591 §3.2.1; RFC 7592 §3 when claimed)."""
    def judge() -> DynamicClient:
        # RFC 7591 §3.2.1 describes 201 without a keyword: another 2xx is DCR-REG-001's warning
        body = success(ex, range(200, 300), "registration", requirement=REGISTERED)
        expect(dyn is not None and isinstance(body.get("client_id"), str),
               "registration: no client_id in the answer", "the new client's client_id", ex, requirement=REGISTERED)
        if dcr_session.profile.claims.registration_management:
            expect(body.get("registration_access_token") and body.get("registration_client_uri"),
                   "registration: no registration_access_token or registration_client_uri",
                   "both (RFC 7592 §3; the profile claims registration management)", ex,
                   requirement=MANAGEMENT_CREDENTIALS)
        return dyn

    return prerequisite("a registered dynamic client", judge)


def setup_use(dcr_session: DcrSession, dyn: DynamicClient, what: str = "the dynamic client's token request",
              **kwargs: Any) -> dict:
    """The dynamic client's token response (step 3), judged by RFC 6749 §5.1: the body."""
    ex = dcr_session.use(dyn, **kwargs)
    return prerequisite("the dynamic client's access token",
                        lambda: token_success(ex, what, token_type=token_type(dcr_session.profile)))
