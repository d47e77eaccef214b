"""The Bearer-protected endpoints of the flow (registration, client configuration) as RFC 6750 §3
resources: their challenges carry auth-params, and invalid_request is 400."""

from __future__ import annotations

import secrets

from conformance.client.http import Exchange, RequestSpec
from conformance.client.registration import registration_request
from conformance.oracles.challenges import bearer_challenges, error_code
from conformance.oracles.expect import expect, fail, refused
from conformance.oracles.failures import prerequisite
from conformance.oracles.registration import not_created
from conformance.requirements import SHOULD
from conformance.suite.check import check, not_applicable
from conformance.catalogue import allowed as ok, declare_answers, forbidden as no

_AUTH_PARAMS = ("RFC 6750 §3", "MUST", 'All challenges defined by this specification MUST use the auth-scheme value '
                '"Bearer". This scheme MUST be followed by one or more auth-param values.')
_INVALID_REQUEST = ("RFC 6750 §3.1", "SHOULD", "invalid_request: The request is missing a required parameter, includes "
                    "an unsupported parameter or parameter value, repeats the same parameter, uses more than one method "
                    "for including an access token, or is otherwise malformed. The resource server SHOULD respond with "
                    "the HTTP 400 (Bad Request) status code.")
ANSWERS = declare_answers({
    "DCR-USE-015": (
        ok('Bearer followed by any auth-params: realm="...", scope="...", error="..." (without a token: no error '
           "code, RFC 6750 §3.1)", *_AUTH_PARAMS),
        no("a bare Bearer, or Bearer followed by a token68 instead of auth-params", *_AUTH_PARAMS),
    ),
    "DCR-USE-016": (
        ok("400 invalid_request for two Authorization headers", *_INVALID_REQUEST),
        ok("another refusal that does not name invalid_request (e.g. 401 invalid_token): nothing to judge",
           "RFC 6750 §3.1", "SHOULD", "When a request fails, the resource server responds using the appropriate "
           "HTTP status code (typically, 400, 401, 403, or 405) and includes one of the following error codes"),
        no("invalid_request with a status other than 400 (a warning)", *_INVALID_REQUEST),
    ),
})

MANAGED = ("registration_management",)


def _garbage() -> str:
    return "garbage-" + secrets.token_urlsafe(16)


def _get(dcr_session, uri: str, authorization: list[str] | None) -> Exchange:
    headers: dict = {"Accept": "application/json"}
    if authorization:
        headers["Authorization"] = authorization if len(authorization) > 1 else authorization[0]
    return dcr_session.transport.send(RequestSpec("GET", uri, headers))


def _registration(dcr_session, authorization: list[str] | None) -> Exchange:
    spec = registration_request(dcr_session.profile, None).without_header("Authorization")
    if authorization:
        spec = spec.with_header("Authorization", authorization if len(authorization) > 1 else authorization[0])
    _, ex = dcr_session.send_registration(spec)
    with prerequisite():  # a registration without a valid token is DCR-REG-008's to judge
        not_created(ex, "registration without a valid initial token")
    return ex


def _probes(dcr_session, profile, register, headers_for) -> list[tuple[str, Exchange]]:
    """(what, answer) of the registration endpoint and, when managed, the client's configuration endpoint."""
    answers = [(f"registration {what}", _registration(dcr_session, auth)) for what, auth in headers_for()]
    if profile.claims.registration_management:
        uri = register().registration_client_uri
        answers += [(f"RFC 7592 read {what}", _get(dcr_session, uri, auth)) for what, auth in headers_for()]
    return answers


@check("DCR-USE-015", "RFC6750-3-c", per_profile=True)
def test_bearer_challenges_carry_auth_params(dcr_session, profile, register):
    """The Bearer challenges of the registration and configuration endpoints hold at least one auth-param."""
    def headers_for():
        return [("without a token", None), ("with a garbage token", [f"Bearer {_garbage()}"])]

    for what, ex in _probes(dcr_session, profile, register, headers_for):
        challenges = bearer_challenges(ex.headers_all("www-authenticate"))
        if not challenges:  # no challenge at all: RFC 6750 §3's MUST, DCR-REG-008's and DCR-MGT-003's
            fail(f"{what}: no Bearer challenge (HTTP {ex.status})", "WWW-Authenticate: Bearer ...", ex,
                 requirement="RFC6750-3")
        for challenge in challenges:
            expect(challenge.params and challenge.token68 is None,
                   f"{what}: the Bearer challenge has no auth-param"
                   + (f" (a token68 {challenge.token68!r})" if challenge.token68 else ""),
                   'Bearer followed by one or more auth-params (realm="...", error="...")', ex)


@check("DCR-USE-016", "RFC6750-3.1-c", level=SHOULD, per_profile=True)
def test_invalid_request_is_400(dcr_session, profile, register):
    """A request repeating the Authorization header, refused with invalid_request, gets HTTP 400."""
    def headers_for():
        return [("with two Authorization headers", [f"Bearer {_garbage()}", f"Bearer {_garbage()}"])]

    judged = 0
    for what, ex in _probes(dcr_session, profile, register, headers_for):
        with prerequisite():  # a refusal at all (a protocol answer); only its status is this SHOULD
            refused(ex, what, statuses={400, 401, 403})
        if error_code(ex) != "invalid_request":
            continue
        judged += 1
        expect(ex.status == 400, f"{what}: invalid_request with HTTP {ex.status}", "HTTP 400 (RFC 6750 §3.1)", ex)
    if not judged:
        not_applicable("no request was refused with invalid_request")
