"""The Bearer-protected endpoints of the flow (registration, client configuration) as RFC 6750 §3
resources: their challenges carry auth-params, each attribute at most once and within its character
set, no error information without a token, and invalid_request is 400."""

from __future__ import annotations

import secrets

from conformance.client.http import Exchange, RequestSpec
from conformance.client.registration import registration_request
from conformance.oracles.challenges import bearer_challenges, error_code
from conformance.oracles.error_text import CHALLENGE_ATTRIBUTES, challenge_attribute_problem
from conformance.oracles.expect import expect, fail, refused, should
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
_ONCE = ("RFC 6750 §3", "MUST NOT", 'The "realm" attribute MUST NOT appear more than once. ... The "scope" attribute '
         'MUST NOT appear more than once. ... The "error", "error_description", and "error_uri" attributes MUST NOT '
         "appear more than once.")
_CHARS = ("RFC 6750 §3", "MUST NOT", 'Values for the "scope" attribute (specified in Appendix A.4 of [RFC6749]) MUST NOT '
          "include characters outside the set %x21 / %x23-5B / %x5D-7E for representing scope values and %x20 for "
          'delimiters between scope values. Values for the "error" and "error_description" attributes (specified in '
          "Appendixes A.7 and A.8 of [RFC6749]) MUST NOT include characters outside the set %x20-21 / %x23-5B / "
          '%x5D-7E. Values for the "error_uri" attribute (specified in Appendix A.9 of [RFC6749]) MUST conform to the '
          "URI-reference syntax and thus MUST NOT include characters outside the set %x21 / %x23-5B / %x5D-7E.")
_NO_INFO = ("RFC 6750 §3.1", "SHOULD NOT", "If the request lacks any authentication information (e.g., the client was "
            "unaware that authentication is necessary or attempted using an unsupported authentication method), the "
            "resource server SHOULD NOT include an error code or other error information.")
ANSWERS = declare_answers({
    "DCR-USE-015": (
        ok('Bearer followed by any auth-params: realm="...", scope="...", error="..." (without a token: no error '
           "code, RFC 6750 §3.1)", *_AUTH_PARAMS),
        no("a bare Bearer, or Bearer followed by a token68 instead of auth-params", *_AUTH_PARAMS),
    ),
    "DCR-USE-021": (
        ok("each of realm, scope, error, error_description and error_uri at most once in a Bearer challenge (names "
           "compared case-insensitively, RFC 9110 §11.2); several Bearer challenges may each hold their own", *_ONCE),
        no("a Bearer challenge holding one of these attributes twice (also with the same value)", *_ONCE),
    ),
    "DCR-USE-022": (
        ok("scope, error and error_description values (after unquoting) within %x20-21 / %x23-5B / %x5D-7E; an "
           "error_uri a URI-reference within %x21 / %x23-5B / %x5D-7E; other auth-params are not judged", *_CHARS),
        no("a non-ASCII or control character, a \" or a \\ in scope, error or error_description; a space or a "
           "character outside its set in error_uri, or one that is no URI-reference", *_CHARS),
    ),
    "DCR-USE-023": (
        ok("without any token: Bearer challenges holding no error, error_description nor error_uri (realm, scope "
           "allowed); the JSON body is not judged", *_NO_INFO),
        no("error information in a Bearer challenge answering a request without any token (a warning)", *_NO_INFO),
    ),
    "DCR-USE-016": (
        ok("400 invalid_request for two Authorization headers", *_INVALID_REQUEST),
        ok("another refusal that does not name invalid_request (e.g. 401 invalid_token): nothing to judge",
           "RFC 6750 §3.1", "descriptive", "When a request fails, the resource server responds using the appropriate "
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


def _with_and_without_a_token():
    return [("without a token", None), ("with a garbage token", [f"Bearer {_garbage()}"])]


def _challenged(dcr_session, profile, register, headers_for) -> list[tuple[str, Exchange, list]]:
    """(what, answer, its Bearer challenges) of :func:`_probes`; no challenge at all is RFC 6750 §3's MUST
    (DCR-REG-008's and DCR-MGT-003's), which blocks the check."""
    found = []
    for what, ex in _probes(dcr_session, profile, register, headers_for):
        challenges = bearer_challenges(ex.headers_all("www-authenticate"))
        if not challenges:
            fail(f"{what}: no Bearer challenge (HTTP {ex.status})", "WWW-Authenticate: Bearer ...", ex,
                 requirement="RFC6750-3")
        found.append((what, ex, challenges))
    return found


#: RFC 6750 §3: the attributes that appear at most once, and the statement that says so.
ONCE = {"realm": "RFC6750-3-d", "scope": "RFC6750-3-e", "error": "RFC6750-3-g", "error_description": "RFC6750-3-g",
        "error_uri": "RFC6750-3-g"}


@check("DCR-USE-015", "RFC6750-3-c", per_profile=True)
def test_bearer_challenges_carry_auth_params(dcr_session, profile, register):
    """The Bearer challenges of the registration and configuration endpoints hold at least one auth-param."""
    for what, ex, challenges in _challenged(dcr_session, profile, register, _with_and_without_a_token):
        for challenge in challenges:
            expect(challenge.params and challenge.token68 is None,
                   f"{what}: the Bearer challenge has no auth-param"
                   + (f" (a token68 {challenge.token68!r})" if challenge.token68 else ""),
                   'Bearer followed by one or more auth-params (realm="...", error="...")', ex)


@check("DCR-USE-021", "RFC6750-3-d", "RFC6750-3-e", "RFC6750-3-g", per_profile=True)
def test_bearer_challenge_attributes_appear_once(dcr_session, profile, register):
    """No Bearer challenge of the registration and configuration endpoints holds realm, scope, error, error_description or error_uri twice."""
    for what, ex, challenges in _challenged(dcr_session, profile, register, _with_and_without_a_token):
        for challenge in challenges:
            for name in (n for n in challenge.repeated() if n in ONCE):
                fail(f"{what}: the Bearer challenge holds {name} {sum(n == name for n, _ in challenge.pairs)} times",
                     f"{name} at most once (RFC 6750 §3)", ex, requirement=ONCE[name])


@check("DCR-USE-022", "RFC6750-3-h", "RFC6750-3-i", "RFC6750-3-j", per_profile=True)
def test_bearer_challenge_attributes_keep_to_their_character_sets(dcr_session, profile, register):
    """The scope, error, error_description and error_uri of the registration and configuration endpoints' Bearer challenges keep to RFC 6750 §3's character sets."""
    for what, ex, challenges in _challenged(dcr_session, profile, register, _with_and_without_a_token):
        for challenge in challenges:
            for name, value in challenge.pairs:
                problem = challenge_attribute_problem(name, value)
                if problem:
                    fail(f"{what}: {problem}", "RFC 6750 §3 character sets", ex, requirement=CHALLENGE_ATTRIBUTES[name])


@check("DCR-USE-023", "RFC6750-3.1-d", level=SHOULD, per_profile=True)
def test_no_error_information_without_a_token(dcr_session, profile, register):
    """A registration or configuration request without any token is challenged without error, error_description or error_uri."""
    for what, ex, challenges in _challenged(dcr_session, profile, register, lambda: [("without a token", None)]):
        leaked = [str(c) for c in challenges if c.error_info()]
        should(not leaked, f"{what}: error information in the Bearer challenge: {'; '.join(leaked)}",
               "no error, error_description or error_uri (RFC 6750 §3.1)", ex)


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
