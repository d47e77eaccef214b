"""RFC 7592 requests with a registration access token that is not valid: an error as RFC 6750
describes it, for GET, PUT and DELETE alike (§2.1, §2.2, §2.3), and the client left as it was.

RFC 6750 §3 makes the ``WWW-Authenticate`` challenge a MUST for a request whose token does not
enable access; its §3.1 makes 401 with ``invalid_token`` a SHOULD (400 and 403 are its other error
answers), so a different status or code is a warning, a missing challenge a failure.
"""

from __future__ import annotations

import secrets

from conformance.client import management
from conformance.oracles.challenges import error_code
from conformance.oracles.expect import expect, should, status_in, success, www_authenticate
from conformance.suite.check import check
from conformance.catalogue import allowed as ok, declare_answers, forbidden as no

_NOT_VALID = ("RFC 7592 §2.1, §2.2, §2.3", "MUST", "If the registration access token used to make this request is "
              "not valid, the server MUST respond with an error as described in OAuth 2.0 Bearer Token Usage "
              "[RFC6750].")
_CHALLENGE = ("RFC 6750 §3", "MUST", "If the protected resource request does not include authentication credentials "
              "or does not contain an access token that enables access to the protected resource, the resource "
              "server MUST include the HTTP \"WWW-Authenticate\" response header field")
_INVALID_TOKEN = ("RFC 6750 §3.1", "SHOULD", "invalid_token: The access token provided is expired, revoked, malformed, "
                  "or invalid for other reasons. The resource SHOULD respond with the HTTP 401 (Unauthorized) status "
                  "code.")

# The answers the specs allow and forbid, per check (rendered into docs/catalogue.md).
ANSWERS = declare_answers({
    "DCR-MGT-021": (
        ok("401 with a Bearer challenge naming error=\"invalid_token\", the client unchanged", *_INVALID_TOKEN),
        ok("400 or 403 with a Bearer challenge (RFC 6750's other error answers; a warning)", *_CHALLENGE),
        no("a refusal without a Bearer challenge", *_CHALLENGE),
        no("a success, another status, or the client changed or deleted", *_NOT_VALID),
        no("another status or error code than 401 invalid_token (a warning)", *_INVALID_TOKEN),
    ),
})

MANAGED = ("registration_management",)
_METHODS = (("GET", "RFC7592-2.1-e"), ("PUT", "RFC7592-2.2-m"), ("DELETE", "RFC7592-2.3-d"))


@check("DCR-MGT-021", "RFC7592-2.1-e", "RFC7592-2.2-m", "RFC7592-2.3-d", "RFC6750-3.1", per_profile=True,
       claims=MANAGED)
def test_invalid_registration_token_gets_a_bearer_error(dcr_session, registered):
    """GET, PUT and DELETE on the client's URI with a token the server never issued get 401 with a Bearer challenge, and change nothing."""
    token = "not-a-registration-access-token-" + secrets.token_urlsafe(16)
    marker = "dcr-conformance invalid token " + secrets.token_hex(4)
    requests = {"GET": management.read_request(registered, token),
                "PUT": management.update_request(registered, {"client_name": marker}, token=token),
                "DELETE": management.delete_request(registered, token)}
    for method, requirement in _METHODS:
        what = f"RFC 7592 {method} on the client's URI with a registration access token that is not valid"
        ex = dcr_session.transport.send(requests[method])
        status_in(ex, {400, 401, 403}, what, requirement=requirement)
        www_authenticate(ex, "Bearer", what)  # RFC 6750 §3 MUST, the statement's own words
        should(ex.status == 401 and error_code(ex) == "invalid_token",
               f"{what}: HTTP {ex.status}, error {error_code(ex)!r}",
               "HTTP 401 with error=\"invalid_token\" (RFC 6750 §3.1: SHOULD)", ex, requirement="RFC6750-3.1")
    own = dcr_session.read(registered)
    body = success(own, 200, "RFC 7592 read of the client with its own token after the refused requests",
                   requirement="RFC7592-2.3-d")
    expect(body.get("client_name") != marker, "the refused PUT changed the client's metadata",
           "the client unchanged", own, requirement="RFC7592-2.2-m")
