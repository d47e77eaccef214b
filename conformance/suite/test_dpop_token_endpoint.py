"""Step 3 at the token endpoint, DPoP in detail (RFC 9449 §4.3, §8, §10): the htu of a proof compared
after normalization, a nonce the server never issued refused, an authorization code bound by dpop_jkt.

The dynamic client's token requests carry proofs built by :func:`~conformance.suite.test_use.proof_vector`,
the valid one sent first.
"""

from __future__ import annotations

import secrets

from conformance.catalogue import allowed as ok, declare_answers, forbidden as no
from conformance.client.code_flow import Pkce
from conformance.client.haapi import HaapiFlowError
from conformance.client.jose import DpopKey, strip_query
from conformance.oracles.expect import DPOP_DESCRIBED, TOKEN_ERRORS, expect, refused_as_described, should, status_in
from conformance.oracles.failures import prerequisite
from conformance.requirements import SHOULD
from conformance.suite import code_flow, steps
from conformance.suite.check import check
from conformance.suite.test_use import DPOP_REFUSAL, HTU_FORMS, MADE_UP_NONCE, send_proof

_HTU = ("RFC 9449 §4.3", "SHOULD", "To reduce the likelihood of false negatives, servers SHOULD employ syntax-based "
        "normalization (Section 6.2.2 of [RFC3986]) and scheme-based normalization (Section 6.2.3 of [RFC3986]) "
        "before comparing the htu claim.")
_NONCE = ("RFC 9449 §8", "MUST", "If the nonce claim in the DPoP proof does not exactly match a nonce recently "
          "supplied by the authorization server to the client, the authorization server MUST reject the request. "
          "The rejection response MAY include a DPoP-Nonce HTTP header providing a new nonce value to use for "
          "subsequent requests.")
_JKT = ("RFC 9449 §10", "MUST", "When a token request is received, the authorization server computes the JWK "
        "Thumbprint of the proof-of-possession public key in the DPoP proof and verifies that it matches the "
        "dpop_jkt parameter value in the authorization request. If they do not match, it MUST reject the request.")
ANSWERS = declare_answers({
    "DCR-TOK-025": (
        ok("200 with a token for each proof whose htu differs from the token endpoint's URL only as RFC 3986 "
           "normalization undoes: the scheme or the host upper-cased, an unreserved character percent-encoded, "
           "the default port written out (or left out)", *_HTU),
        no("such a proof refused (a warning)", *_HTU),
    ),
    "DCR-TOK-026": (
        ok("400/401 use_dpop_nonce, with a DPoP-Nonce or without", *_NONCE),
        ok("400/401 invalid_dpop_proof", "RFC 9449 §4.3, §5", "MUST", "To validate a DPoP proof, the receiving "
           "server MUST ensure the following: ... If the server provided a nonce value to the client, the nonce claim "
           "matches the server-provided nonce value. ... If the DPoP proof is invalid, the authorization server "
           "issues an error response per Section 5.2 of [RFC6749] with invalid_dpop_proof as the value of the error "
           "parameter."),
        no("a token for a proof whose nonce the server never issued", *_NONCE),
        *DPOP_REFUSAL,
    ),
    "DCR-TOK-027": (
        ok("the code exchange with a proof by a key other than dpop_jkt's refused: 400/401 with an RFC 6749 §5.2 "
           "error (invalid_grant ...) or invalid_dpop_proof", *_JKT),
        ok("the authorization request refused when its dpop_jkt is not the key of its own DPoP proof "
           "(invalid_request or invalid_dpop_proof)", "RFC 9449 §10.1", "MUST", "If both mechanisms are used at the "
           "same time, the authorization server MUST reject the request if the JWK Thumbprint in dpop_jkt does not "
           "match the public key in the DPoP header."),
        no("tokens for a proof by a key other than dpop_jkt's", *_JKT),
        *DPOP_REFUSAL,
    ),
})


@check("DCR-TOK-025", "RFC9449-4.3-b", level=SHOULD, step="use", needs=("dpop",))
def test_htu_is_compared_after_normalization(dcr_session, registered):
    """A proof whose htu differs from the token endpoint's URL only by RFC 3986 normalization (case, percent-encoding, default port) gets a token."""
    url = strip_query(dcr_session.profile.token_endpoint_for(registered))
    with prerequisite():  # RFC 9449 §4.3: the unmutated proof is accepted
        status_in(send_proof(dcr_session, registered, None), 200, "the valid request the htu forms vary",
                  requirement="RFC9449-4.3")
    for form, make in HTU_FORMS.items():
        htu = make(url)
        if htu is None:
            continue  # the URL has no such form (an IP address has no case, a port other than 443)
        ex = send_proof(dcr_session, registered, form)
        should(ex.status == 200, f"a proof with htu {htu!r} ({form}): HTTP {ex.status}",
               f"a token: {htu!r} is {url!r} after RFC 3986 §6.2.2 / §6.2.3 normalization", ex)


@check("DCR-TOK-026", "RFC9449-8-c", step="use", needs=("dpop",), claims=("dpop_nonce",))
def test_made_up_nonce_is_refused(dcr_session, registered):
    """A token request whose proof carries a nonce the server never issued is refused (use_dpop_nonce or invalid_dpop_proof)."""
    with prerequisite():  # RFC 9449 §8: the proof with the server's nonce is accepted
        status_in(send_proof(dcr_session, registered, None), 200, "the valid request the nonce vector mutates",
                  requirement="RFC9449-8")
    ex = send_proof(dcr_session, registered, MADE_UP_NONCE, retry=False)  # a retry would carry a real nonce
    refused_as_described(ex, "a proof carrying a nonce the server never issued", statuses={400, 401},
                         errors={"use_dpop_nonce", "invalid_dpop_proof"}, described=DPOP_DESCRIBED)


@check("DCR-TOK-027", "RFC9449-10", step="use", claims=("code_flow",), needs=("dpop",), per_profile=True)
def test_code_bound_by_dpop_jkt_needs_that_key(dcr_session, registered):
    """A code asked for with the dpop_jkt of another key is not exchanged with a proof by the client's own key."""
    key = dcr_session.dpop_key(registered)
    with prerequisite():  # the valid flow first: dpop_jkt names the client's key, which exchanges the code
        result, pkce, _ = code_flow.authorize(dcr_session, registered, prerequisite=True, dpop_jkt=key.thumbprint)
        code_flow.exchange(dcr_session, registered, result, pkce, "code exchange with the key dpop_jkt names")
    other = DpopKey.generate().thumbprint  # the only change: dpop_jkt names a key the client never uses
    haapi_token = steps.setup_use(dcr_session, registered, "the dynamic client's HAAPI token request")["access_token"]
    pkce, state = Pkce.generate(), secrets.token_urlsafe(12)
    try:
        result = dcr_session.haapi_login(registered, haapi_token, pkce, state, other)
    except HaapiFlowError as exc:  # RFC 9449 §10.1: refused where dpop_jkt and the request's proof differ
        expect(exc.exchange is not None, f"the HAAPI flow with dpop_jkt of another key: {exc}",
               "an answer to the authorization request")
        refused_as_described(exc.exchange, f"the HAAPI flow with dpop_jkt of another key ({exc})",
                             statuses={400, 401, 403}, errors={"invalid_request", "invalid_dpop_proof"},
                             described=DPOP_DESCRIBED)
        return
    ex = dcr_session.exchange_code(registered, result.code, pkce)  # a proof by the client's (HAAPI) key
    refused_as_described(ex, "code exchange with a proof by a key other than the one dpop_jkt names",
                         statuses={400, 401}, errors=TOKEN_ERRORS | {"invalid_dpop_proof"}, described=DPOP_DESCRIBED)
