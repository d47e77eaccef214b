"""Revocation with a token_type_hint that names the other token type (RFC 7009 §2.1): the server
must find the token anyway."""

from __future__ import annotations

from conformance.oracles.expect import INVALID_GRANT_DESCRIBED, expect, refused_as_described, status_in
from conformance.suite import code_flow, steps
from conformance.suite.check import check, not_applicable
from conformance.suite.test_revoke import _active  # one reading of an introspection answer
from conformance.catalogue import allowed as ok, declare_answers, forbidden as no

_SEARCH = ("RFC 7009 §2.1", "MUST", "If the server is unable to locate the token using the given hint, it MUST "
           "extend its search across all of its supported token types.")
ANSWERS = declare_answers({
    "DCR-REV-010": (
        ok("200, and the token revoked (the access token inactive at introspection; the refresh token refused)",
           *_SEARCH),
        ok("access tokens not revoked at all, also with the right hint (RFC 7009 §2: their revocation is a SHOULD, "
           "DCR-REV-005's finding): nothing to judge for them", "RFC 7009 §2", "SHOULD",
           "Implementations MUST support the revocation of refresh tokens and SHOULD support the revocation of "
           "access tokens"),
        no("200 with the token still working, or a refusal, because the hint named the other type", *_SEARCH),
        no("a 5xx, an HTML page, a refusal without an error code", "RFC 6749 §5.2", "REQUIRED",
           "error REQUIRED. A single ASCII [USASCII] error code from the following"),
        no("the revoked refresh token refused with another 4xx or another code than invalid_grant, with an error code "
           "(a warning)", "RFC 6749 §5.2", "SHOULD", 'descriptive, no keyword: "invalid_grant: The provided '
           'authorization grant (e.g., authorization code, resource owner credentials) or refresh token is invalid, '
           'expired, revoked"; "responds with an HTTP 400 (Bad Request) status code (unless specified otherwise)"'),
    ),
})


@check("DCR-REV-010", "RFC7009-2.1-c", claims=("revocation", "introspection"),
       needs=("introspector", "revocation_endpoint"))
def test_access_token_revoked_with_a_refresh_token_hint(dcr_session, registered):
    """An access token revoked with token_type_hint=refresh_token is revoked all the same."""
    control = steps.setup_use(dcr_session, registered)["access_token"]
    status_in(dcr_session.revoke(registered, control, "access_token"), 200,
              "revocation of an access token with token_type_hint=access_token", requirement="RFC7009-2.2")
    if _active(dcr_session, control, "introspection after the revocation with the right hint"):
        not_applicable("access tokens are not revoked, also with the right hint (RFC 7009 §2: a SHOULD)")
    token = steps.setup_use(dcr_session, registered)["access_token"]
    ex = dcr_session.revoke(registered, token, "refresh_token")
    status_in(ex, 200, "revocation of an access token with token_type_hint=refresh_token")
    expect(not _active(dcr_session, token, "introspection after the revocation with the wrong hint"),
           "the access token revoked with token_type_hint=refresh_token introspects as active",
           "active: false (the search extends across all token types)", ex)


@check("DCR-REV-010", "RFC7009-2.1-c", per_profile=True, claims=("revocation", "code_flow"),
       needs=("revocation_endpoint", "dpop"))
def test_refresh_token_revoked_with_an_access_token_hint(dcr_session, registered):
    """A refresh token revoked with token_type_hint=access_token no longer refreshes."""
    tokens = code_flow.user_tokens(dcr_session, registered)
    ex = dcr_session.revoke(registered, tokens["refresh_token"], "access_token")
    status_in(ex, 200, "revocation of a refresh token with token_type_hint=access_token")
    refused_as_described(dcr_session.refresh(registered, tokens["refresh_token"]),
                         "refresh with the refresh token revoked with token_type_hint=access_token", statuses={400},
                         errors={"invalid_grant"}, described=INVALID_GRANT_DESCRIBED)
