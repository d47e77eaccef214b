"""The HAAPI code flow as the checks run it: the dynamic client's HAAPI token, the login, the code
exchange (the HAAPI code flow, docs/sdk.md; RFC 6749 §4.1; RFC 7636; RFC 9449 §5).

:func:`authorize` and :func:`exchange` leave the verdict to their check (DCR-USE-012 is about them);
:func:`user_tokens` is for checks that only build on the flow, where a failure of the flow is a
failed prerequisite, not their own verdict.
"""

from __future__ import annotations

import secrets

from conformance.client.code_flow import Pkce
from conformance.client.haapi import HaapiFlowError, HaapiResult
from conformance.client.token import access_token_of
from conformance.oracles.expect import expect, fail
from conformance.oracles.failures import CheckFailure, PrerequisiteFailure
from conformance.oracles.token_response import token_success

PREREQUISITE = "prerequisite: "
#: RFC 6749 §4.1.3: the code is exchanged for tokens (DCR-USE-012 owns it).
CODE_EXCHANGE = "RFC6749-4.1.3"


def _stop(message: str, exchange, prerequisite: bool, requirement: str | None = None) -> None:
    if prerequisite:
        detail = "" if exchange is None else "\n  " + exchange.describe().replace("\n", "\n  ")
        raise PrerequisiteFailure(PREREQUISITE + message + detail, requirement)
    fail(message, "the HAAPI flow to end in an oauth-authorization-response with a code", exchange)


def authorize(dcr_session, dyn, *, prerequisite: bool = False,
              dpop_jkt: str | None = None) -> tuple[HaapiResult, Pkce, str]:
    """The dynamic client's HAAPI token, then the HAAPI flow (``dpop_jkt`` in the authorization
    request when given, RFC 9449 §10) to an authorization code."""
    haapi = dcr_session.use(dyn)
    token = access_token_of(haapi)
    if token is None or haapi.status != 200:
        _stop("the dynamic client got no HAAPI access token", haapi, prerequisite=True, requirement="RFC6749-5.1")
    pkce, state = Pkce.generate(), secrets.token_urlsafe(12)
    try:
        result = dcr_session.haapi_login(dyn, token, pkce, state, dpop_jkt)
    except HaapiFlowError as exc:
        _stop(f"the HAAPI flow did not reach a code: {exc}", exc.exchange, prerequisite)
        raise AssertionError("unreachable") from None
    return result, pkce, state


def exchange(dcr_session, dyn, result: HaapiResult, pkce: Pkce, what: str) -> dict:
    """The code exchange with the client's DPoP key: a DPoP-bound token and a refresh token."""
    ex = dcr_session.exchange_code(dyn, result.code, pkce)
    body = token_success(ex, what, token_type="DPoP", requirement=CODE_EXCHANGE)
    expect(isinstance(body.get("refresh_token"), str) and body["refresh_token"],
           f"{what}: no refresh_token", "a refresh_token to refresh the user's tokens with (RFC 6749 §5.1)", ex,
           requirement=CODE_EXCHANGE)
    return body


def user_tokens(dcr_session, dyn) -> dict:
    """The token response of a whole code flow; anything going wrong is a failed prerequisite."""
    result, pkce, _ = authorize(dcr_session, dyn, prerequisite=True)
    try:
        return exchange(dcr_session, dyn, result, pkce, "code exchange")
    except CheckFailure as exc:
        raise PrerequisiteFailure(PREREQUISITE + str(exc), exc.requirements) from None
