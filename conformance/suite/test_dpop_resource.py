"""Step 3 at the resource and the introspection endpoint, DPoP in detail (RFC 9449 §6.2, §7.1, §7.2): the
token_type introspection names, and the error information the resource's challenges carry.

Resource calls are built by :func:`resource_vector`, the valid call sent first.
"""

from __future__ import annotations

import secrets

import pytest

from conformance.catalogue import allowed as ok, declare_answers, forbidden as no
from conformance.client.http import RequestSpec
from conformance.client.jose import DpopKey
from conformance.client.use import resource_request, send_with_nonce_retry
from conformance.oracles.challenges import challenges, of_scheme
from conformance.oracles.expect import expect, should, status_in, success
from conformance.oracles.failures import prerequisite
from conformance.requirements import SHOULD
from conformance.suite import steps
from conformance.suite.check import check, not_applicable

_CHALLENGE = ("RFC 9449 §7.1", "SHOULD", "An error parameter ([RFC6750], Section 3) SHOULD be included to indicate "
              "the reason why the request was declined, if the request included an access token but failed "
              "authentication. ... An algs parameter SHOULD be included to signal to the client the JWS algorithms "
              "that are acceptable for the DPoP proof JWT.")
_RULES = ("RFC 9449 §7.2", "RECOMMENDED", "It is RECOMMENDED that the following rules be adhered to: If no "
          "authentication information has been included with the request, then the challenges SHOULD NOT include "
          "an error code or other error information, as per Section 3.1 of [RFC6750] ... If the mechanism used to "
          "attempt authentication could be established unambiguously, then the corresponding challenge SHOULD be "
          "used to deliver error information")
ANSWERS = declare_answers({
    "DCR-USE-017": (
        ok('token_type "DPoP" (any case: RFC 6749 §5.1 "Value is case insensitive"), or no token_type (n/a)',
           "RFC 9449 §6.2", "MUST", "If the token_type member is included in the introspection response, it MUST "
           "contain the value DPoP."),
        no("another token_type, Bearer included", "RFC 9449 §6.2", "MUST", "If the token_type member is included "
           "in the introspection response, it MUST contain the value DPoP."),
    ),
    "DCR-USE-018": (
        ok("401 with a DPoP challenge holding an error (any code: invalid_token, invalid_dpop_proof ...) and a "
           "non-empty algs", *_CHALLENGE),
        no("no DPoP challenge, or one without error or algs (a warning)", *_CHALLENGE),
    ),
    "DCR-USE-019": (
        ok("without credentials: 401 whose challenges (when several, or a Bearer one: RFC 6750 §3.1) hold no "
           "error, error_description nor error_uri; with a made-up token: the challenge of the scheme it was sent "
           "with (DPoP; Bearer too when the resource offers Bearer) holds an error", *_RULES),
        no("error information without credentials, or none in the challenge of the scheme used (a warning)",
           *_RULES),
    ),
})


def _bound_token(dcr_session, dyn) -> str:
    """The dynamic client's DPoP-bound token (setup: a fault of its response blocks the check)."""
    return steps.setup_use(dcr_session, dyn)["access_token"]


@check("DCR-USE-017", "RFC9449-6.2", claims=("introspection",), needs=("dpop", "introspector"))
def test_bound_token_introspects_as_dpop(dcr_session, registered):
    """Introspection of the dynamic client's DPoP-bound token names token_type DPoP, when it names one."""
    ex = dcr_session.introspect(_bound_token(dcr_session, registered))
    with prerequisite():  # RFC 7662 §2.2: the token just issued is active
        body = success(ex, 200, "introspection of the dynamic client's DPoP-bound token", requirement="RFC7662-2.2")
        expect(body.get("active") is True, f"active is {body.get('active')!r}", "active: true", ex,
               requirement="RFC7662-2.2")
    if "token_type" not in body:
        not_applicable("the introspection response names no token_type (RFC 7662 §2.2: OPTIONAL)")
    token_type = body["token_type"]
    expect(isinstance(token_type, str) and token_type.lower() == "dpop", f"token_type is {token_type!r}",
           "token_type DPoP for a DPoP-bound token (RFC 9449 §6.2)", ex)


#: The resource calls :func:`resource_vector` builds besides the valid one (RFC 9449 §7.1).
BAD_CALLS = ("other-key", "wrong-ath")


def resource_vector(key: DpopKey, url: str, token: str, call: str | None, nonce: str | None = None) -> RequestSpec:
    """A resource call with the bound token: valid when ``call`` is None, else with a proof by
    another key or with the ath of another token (:data:`BAD_CALLS`)."""
    signer = DpopKey.generate() if call == "other-key" else key
    spec = resource_request(url, token, "DPoP", signer, nonce=nonce)
    if call == "wrong-ath":
        spec.headers["DPoP"] = key.proof("GET", url, nonce=nonce, access_token="another-" + token)
    return spec


def _call(dcr_session, dyn, token: str, call: str | None):
    key, url = dcr_session.dpop_key(dyn), dcr_session.profile.use.resource_url
    return send_with_nonce_retry(dcr_session.transport, lambda nonce: resource_vector(key, url, token, call, nonce))


@check("DCR-USE-018", "RFC9449-7.1-c", "RFC9449-7.1-d", level=SHOULD, needs=("dpop", "resource_url"))
@pytest.mark.parametrize("call", BAD_CALLS)
def test_refusal_challenge_names_error_and_algs(dcr_session, registered, call):
    """The resource's 401 for a proof by another key or with a wrong ath carries a DPoP challenge with error and algs."""
    token = _bound_token(dcr_session, registered)
    with prerequisite():  # RFC 9449 §7.1: the valid call is accepted, the bad one refused with 401
        status_in(_call(dcr_session, registered, token, None), 200, f"the valid call the {call!r} vector mutates",
                  requirement="RFC9449-7.1")
        ex = _call(dcr_session, registered, token, call)
        status_in(ex, 401, f"resource call with proof defect {call!r}", requirement="RFC9449-7.1")
    dpop = of_scheme(challenges(ex), "DPoP")
    what = f"the 401 for proof defect {call!r}"
    should(dpop is not None and dpop.params.get("error"),
           f"{what}: " + ("no DPoP challenge" if dpop is None else f"the DPoP challenge has no error ({dpop})"),
           "WWW-Authenticate: DPoP error=\"...\" (RFC 9449 §7.1)", ex, requirement="RFC9449-7.1-c")
    should(dpop is not None and (dpop.params.get("algs") or "").split(),
           f"{what}: " + ("no DPoP challenge" if dpop is None else f"the DPoP challenge has no algs ({dpop})"),
           "WWW-Authenticate: DPoP algs=\"ES256 ...\" (RFC 9449 §7.1)", ex, requirement="RFC9449-7.1-d")


@check("DCR-USE-019", "RFC9449-7.2-b", level=SHOULD, needs=("dpop", "resource_url"))
def test_challenges_carry_error_information_only_with_credentials(dcr_session, registered):
    """Without credentials the resource's challenges carry no error information; with a made-up token the challenge of its scheme does."""
    token, url = _bound_token(dcr_session, registered), dcr_session.profile.use.resource_url
    key = dcr_session.dpop_key(registered)
    with prerequisite():  # RFC 6750 §3: a request without credentials is challenged
        status_in(_call(dcr_session, registered, token, None), 200, "the valid resource call", requirement="RFC9449-7.1")
        bare = dcr_session.transport.send(RequestSpec("GET", url, {"Accept": "application/json"}))
        status_in(bare, 401, "resource call without credentials", requirement="RFC6750-3")
        expect(challenges(bare), "resource call without credentials: no challenge", "WWW-Authenticate", bare,
               requirement="RFC6750-3")
    found = challenges(bare)
    # The rule is for several challenges (RFC 9449 §7.2); a lone Bearer one has it from RFC 6750 §3.1.
    judged = found if len(found) > 1 else [c for c in found if c.is_scheme("Bearer")]
    leaked = [str(c) for c in judged if c.error_info()]
    should(not leaked, f"resource call without credentials: challenges with error information: {'; '.join(leaked)}",
           "no error, error_description or error_uri (RFC 9449 §7.2, RFC 6750 §3.1)", bare)
    for scheme in ("DPoP", "Bearer") if of_scheme(found, "Bearer") else ("DPoP",):
        made_up = "made-up-" + secrets.token_urlsafe(24)
        signer = key if scheme == "DPoP" else None
        ex = send_with_nonce_retry(dcr_session.transport,
                                   lambda nonce: resource_request(url, made_up, scheme, signer, nonce=nonce))
        what = f"resource call with a made-up token as {scheme}"
        with prerequisite():  # RFC 9449 §7.1 / RFC 6750 §3.1: a token the server never issued is refused
            status_in(ex, {400, 401, 403}, what, requirement="RFC9449-7.1" if scheme == "DPoP" else "RFC6750-3")
        own = of_scheme(challenges(ex), scheme)
        should(own is not None and own.params.get("error"),
               f"{what}: " + (f"no {scheme} challenge" if own is None else f"the {scheme} challenge has no error "
                              f"({own})"), f"WWW-Authenticate: {scheme} error=\"invalid_token\" (RFC 9449 §7.2)", ex)
