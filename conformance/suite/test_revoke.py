"""Revocation: one per-device client at a time (RFC 7592 §2.3, RFC 7009, RFC 7662)."""

from __future__ import annotations

import base64
import json
import secrets

import pytest

from conformance.client.revocation import introspection_request
from conformance.client.token import access_token_of
from conformance.oracles.expect import TOKEN_ERRORS, protocol_answer, expect, refused, refused_as_described, should
from conformance.oracles.expect import INVALID_CLIENT_DESCRIBED, client_authentication_refused, status_in, success
from conformance.oracles.failures import PrerequisiteFailure, prerequisite
from conformance.oracles.token_response import token_success
from conformance.requirements import SHOULD
from conformance.suite import code_flow, steps
from conformance.suite.check import check, not_applicable
from conformance.suite.graphql_status import status_api
from conformance.suite.common_answers import CLIENT_AUTHENTICATION_REFUSAL
from conformance.catalogue import allowed as ok, declare_answers, forbidden as no


# The answers the specs allow and forbid, per check (rendered into docs/catalogue.md).
_REVOKED_200 = ("RFC 7009 §2.2", "descriptive", "The authorization server responds with HTTP status code 200 if the "
                "token has been revoked successfully or if the client submitted an invalid token.")
_DESCRIPTIVE_200 = ("descriptive, no keyword: \"The authorization server responds with HTTP status code 200 if the "
                    "token has been revoked successfully or if the client submitted an invalid token.\"")
_SIGNATURE = ("RFC 7662 §4", "MUST", "If the token has been signed, the authorization server MUST validate the "
              "signature. ... the authorization server MUST return an introspection response with the \"active\" "
              "field set to \"false\"")
ANSWERS = declare_answers({
    "DCR-REV-001": (
        ok("400/401 invalid_client for the revoked client; the other client still gets tokens", "RFC 6749 §5.2",
           "descriptive",
           "invalid_client: Client authentication failed (e.g., unknown client ...)"),
        no("a token for the revoked client, or the other client refused", "[claims] dcr_graphql_status", "claim",
           "a client set to revoked through the DCR GraphQL API gets no token; others are untouched"),
        *CLIENT_AUTHENTICATION_REFUSAL,
    ),
    "DCR-REV-002": (
        ok("400/401 invalid_client or unauthorized_client while inactive; a token once active again", "RFC 6749 §5.2",
           "descriptive", "invalid_client ... unauthorized_client: The authenticated client is not authorized to use this "
           "authorization grant type."),
        no("a token while inactive, or none once active", "[claims] dcr_graphql_status", "claim",
           "an inactive client is refused until set active again"),
        no("a 5xx, an HTML page, a refusal without an error code", "RFC 6749 §5.2", "REQUIRED",
           "error REQUIRED. A single ASCII [USASCII] error code from the following"),
        no("another 4xx or another error code while inactive, with an error code (a warning)", "RFC 6749 §5.2",
           "SHOULD", 'descriptive, no keyword: "invalid_client: Client authentication failed"; "unauthorized_client: '
           'The authenticated client is not authorized to use this authorization grant type."'),
    ),
    "DCR-REV-003": (
        ok("204 for A; B and the main client keep working", "RFC 7592 §2.3", "MUST", "If a client has been "
           "successfully deprovisioned, the authorization server MUST respond with an HTTP 204 No Content message."),
        no("B or the main client refused after A's deletion", "[claims] registration_management", "claim",
           "deleting one per-device client spares the others (CURITY-DCR-REVOKE)"),
    ),
    "DCR-REV-004": (
        ok("401 at the resource for a token issued before the revocation", "RFC 6750 §3.1", "SHOULD",
           "invalid_token ... The resource SHOULD respond with the HTTP 401 (Unauthorized) status code."),
        no("the token still works (a warning)", "Curity DCR GraphQL API", "SHOULD",
           "a revoked client's tokens SHOULD stop working (CURITY-DCRGQL-REVOKE-S, this suite's SHOULD-level reading: "
           "the API's documentation states no keyword)"),
    ),
    "DCR-REV-005": (
        ok("200 to the revocation, any body", *_REVOKED_200),
        no("another 2xx to the revocation (a warning)", _REVOKED_200[0], "SHOULD", _DESCRIPTIVE_200),
        no("the revoked token still active, the refresh still working, its access token still active (a warning)",
           "RFC 7009 §2.1", "SHOULD", "If the particular token is a refresh token and the authorization server "
           "supports the revocation of access tokens, then the authorization server SHOULD also invalidate all access "
           "tokens based on the same authorization grant"),
    ),
    "DCR-REV-006": (
        ok("200, any body", *_REVOKED_200),
        no("another status for an unknown token, an error among them (a warning: the check is SHOULD-level)",
           "RFC 7009 §2.2", "SHOULD", "descriptive, no keyword: \"Note: invalid tokens do not cause an error "
           "response since the client cannot handle such an error in a reasonable way.\""),
    ),
    "DCR-REV-007": (
        ok("200 (a token A may not revoke is an invalid token for A), B's token still active", *_REVOKED_200),
        ok("a refusal: 400/401/403 with an error code (RFC 6749 §5.2, e.g. unauthorized_client)", "RFC 7009 §2.1",
           "descriptive", "If this validation fails, the request is refused and the client is informed of the error by the "
           "authorization server as described below."),
        no("another 2xx (a warning)", _REVOKED_200[0], "SHOULD", _DESCRIPTIVE_200),
        no("B's token inactive afterwards", "[claims] revocation", "claim", "the deployment claims RFC 7009 "
           "revocation, whose §2.1 (descriptive, no keyword) \"verifies whether the token was issued to the client "
           "making the revocation request. If this validation fails, the request is refused\"; and each per-device "
           "client is revoked without affecting the others (CURITY-DCR-REVOKE)"),
        no("a 5xx, or a 400 without an error code", "RFC 6749 §5.2", "MUST", "error REQUIRED. A single ASCII [USASCII] error code"),
    ),
    "DCR-REV-008": (
        ok('200 {"active": false}', "RFC 7662 §2.2", "MUST", 'the authorization server MUST return an introspection '
           'response with the "active" field set to "false"'),
        no("other members in the inactive answer (a warning)", "RFC 7662 §2.2", "SHOULD NOT", "the authorization server "
           "SHOULD NOT include any additional information about an inactive token, including why the token is inactive"),
        no("active true, or no active boolean", "RFC 7662 §2.2", "REQUIRED", 'active REQUIRED. Boolean indicator'),
    ),
    "DCR-REV-009": (
        ok("401 (invalid_client, or a challenge)", "RFC 7662 §2.3", "descriptive", "If the protected resource uses "
           "OAuth 2.0 "
           "client credentials to authenticate to the introspection endpoint and its credentials are invalid, the "
           "authorization server responds with an HTTP 401 (Unauthorized) as described in Section 5.2 of OAuth 2.0"),
        ok("400 invalid_request or invalid_client when no credentials were sent", "RFC 6749 §5.2", "MAY",
           "invalid_client: Client authentication failed (e.g., unknown client, no client authentication included ...). "
           "The authorization server MAY return an HTTP 401"),
        no("200, any member about the token, a 5xx, a body without an error code", "RFC 7662 §2.1", "MUST",
           "the endpoint MUST also require some form of authorization to access this endpoint"),
    ),
    "DCR-REV-013": (
        ok("200 active true for the access token whatever the hint (the hint ignored, or the search extended)",
           "RFC 7662 §2.1", "MUST", "If the server is unable to locate the token using the given hint, it MUST "
           "extend its search across all of its supported token types. An authorization server MAY ignore this "
           "parameter, particularly if it is able to detect the token type automatically."),
        no("active false, or a refusal, for a token found without the hint", "RFC 7662 §2.1", "MUST",
           "If the server is unable to locate the token using the given hint, it MUST extend its search across all "
           "of its supported token types."),
    ),
    "DCR-REV-015": (
        ok('200 {"active": false} (other members allowed) for the access token with one character of its JWS '
           "signature changed", *_SIGNATURE),
        ok("an access token that is not a JWS (opaque, or a JWE): not applicable, nothing is signed", "RFC 6749 §1.4",
           "descriptive", "Access tokens can have different formats, structures, and methods of utilization (e.g., "
           "cryptographic properties) based on the resource server security requirements."),
        no("active true for the altered token (the signature not validated), a refusal, a 5xx", *_SIGNATURE),
    ),
    "DCR-REV-014": (
        ok("a refusal (400/401/403 with an error) of the dynamic client as a caller", "RFC 7662 §4", "SHOULD",
           "the authorization server MUST require authentication of protected resources that need to access the "
           "introspection endpoint and SHOULD require protected resources to be specifically authorized to call the "
           "introspection endpoint."),
        ok('200 {"active": false} for another client\'s token', "RFC 7662 §2.2", "MUST", "If the introspection call is "
           "properly authorized but the token is not active, does not exist on this server, or the protected resource "
           "is not allowed to introspect this particular token, then the authorization server MUST return an "
           "introspection response with the \"active\" field set to \"false\"."),
        no("active true, or any member about client B's token (a warning)", "RFC 7662 §4", "SHOULD",
           "SHOULD require protected resources to be specifically authorized to call the introspection endpoint."),
    ),
})


#: RFC 7662 §2.2: introspection answers active (DCR-REV-008 owns it).
INTROSPECTION = "RFC7662-2.2"


def _token(dcr_session, dyn) -> str:
    """The dynamic client's access token (setup: a fault of its response blocks the check)."""
    return steps.setup_use(dcr_session, dyn)["access_token"]


def _active(dcr_session, token: str, what: str) -> bool:
    """What introspection says of ``token`` (an answer that is no RFC 7662 §2.2 answer blocks the check)."""
    ex = dcr_session.introspect(token)
    body = success(ex, 200, what, requirement=INTROSPECTION)
    expect(isinstance(body.get("active"), bool), f"active is {body.get('active')!r}", "a boolean active", ex,
           requirement=INTROSPECTION)
    return body["active"]


GRAPHQL = ("dcr_graphql_status",)


def _revocation_answered(ex, what: str) -> None:
    """The revocation was answered with a 2xx (a failure otherwise: a 5xx or no answer revoked
    nothing we can tell); RFC 7009 §2.2 describes 200 without a keyword, so another 2xx is a
    SHOULD-level finding."""
    with prerequisite():  # a 5xx is no answer to judge by (an error, also in the SHOULD-level DCR-REV-005)
        protocol_answer(ex, what)
    status_in(ex, range(200, 300), what)
    should(ex.status == 200, f"{what}: HTTP {ex.status}", f"HTTP 200 ({_DESCRIPTIVE_200})", ex)


@check("DCR-REV-001", "CURITY-DCRGQL-REVOKE", "RFC6749-5.2", "CURITY-DCR-REVOKE", per_profile=True,
       claims=GRAPHQL, needs=("management_client",))
def test_revoked_client_gets_no_token(dcr_session, register):
    """A client set to revoked through the DCR GraphQL API gets invalid_client; another client of the template still works."""
    revoked, other = register(), register()
    status_api(dcr_session).set(revoked.client_id, "revoked")
    client_authentication_refused(dcr_session.use(revoked), "token request by the revoked client",
                                  basic=revoked.auth_method == "client_secret_basic")
    # Revoked individually (Curity's DCR GraphQL API): the other client is untouched.
    token_success(dcr_session.use(other), "token request by another client of the template after one was revoked",
                  token_type=steps.token_type(dcr_session.profile), requirement="CURITY-DCR-REVOKE")


@check("DCR-REV-002", "CURITY-DCRGQL-STATUS", per_profile=True, claims=GRAPHQL, needs=("management_client",))
def test_inactive_client_is_refused_until_active_again(dcr_session, registered):
    """A client set to inactive gets no token; set to active again, it gets one."""
    api = status_api(dcr_session)
    api.set(registered.client_id, "inactive")
    refused_as_described(dcr_session.use(registered), "token request by the inactive client", statuses={400, 401},
                         errors={"invalid_client", "unauthorized_client"}, described=INVALID_CLIENT_DESCRIBED)
    api.set(registered.client_id, "active")
    token_success(dcr_session.use(registered), "token request by the client set active again",
                  token_type=steps.token_type(dcr_session.profile), requirement="CURITY-DCRGQL-STATUS")


@check("DCR-REV-004", "CURITY-DCRGQL-REVOKE-S", level=SHOULD, per_profile=True, claims=GRAPHQL,
       needs=("management_client", "resource_url"))
def test_revoked_clients_tokens_stop_working(dcr_session, registered):
    """An access token issued before the client was revoked gets 401 at the resource."""
    api = status_api(dcr_session)
    body = steps.setup_use(dcr_session, registered)
    token, token_type = body["access_token"], body["token_type"]
    before = dcr_session.call_resource(registered, token, token_type)
    if before.status != 200:
        raise PrerequisiteFailure("prerequisite: the resource refused the token before the revocation\n  "
                                  + before.describe().replace("\n", "\n  "),
                                  "RFC9449-7.1" if dcr_session.profile.use.dpop else None)
    api.set(registered.client_id, "revoked")
    status_in(dcr_session.call_resource(registered, token, token_type), 401,
              "resource call with an access token issued before the client was revoked")


@check("DCR-REV-003", "CURITY-DCR-REVOKE", "RFC7592-2.3", claims=("registration_management",))
def test_deleting_one_client_spares_the_others(dcr_session, target, register):
    """Deleting dynamic client A leaves client B and the main client working."""
    a, b = register(), register()
    status_in(dcr_session.delete(a), 204, "delete of client A")
    token_success(dcr_session.use(b), "token request by client B after client A was deleted",
                  token_type=steps.token_type(dcr_session.profile), requirement="CURITY-DCR-REVOKE")
    token, ex = dcr_session.initial_token(target.label)
    expect(token, "the main client can no longer get an initial token", "a token for the main client", ex)


@check("DCR-REV-005", "RFC7009-2.2", "RFC7009-2.1-S", level=SHOULD, claims=("revocation", "introspection"),
       needs=("introspector", "revocation_endpoint"))
def test_revoked_access_token_is_inactive(dcr_session, registered):
    """An access token the dynamic client revokes introspects as inactive afterwards."""
    token = _token(dcr_session, registered)
    ex = dcr_session.revoke(registered, token, "access_token")
    _revocation_answered(ex, "revocation of the dynamic client's access token")
    expect(_active(dcr_session, token, "introspection after revocation") is False, "the revoked token introspects as active",
           "active: false", ex)


@check("DCR-REV-005", "RFC7009-2.2", "RFC7009-2.1-S", level=SHOULD, per_profile=True,
       claims=("revocation", "introspection", "code_flow"), needs=("introspector", "revocation_endpoint", "dpop"))
def test_revoked_refresh_token_ends_its_grant(dcr_session, registered):
    """A refresh token the dynamic client revokes no longer refreshes, and the access token issued with it is inactive."""
    tokens = code_flow.user_tokens(dcr_session, registered)
    ex = dcr_session.revoke(registered, tokens["refresh_token"], "refresh_token")
    _revocation_answered(ex, "revocation of the dynamic client's refresh token")
    refresh = dcr_session.refresh(registered, tokens["refresh_token"])
    with prerequisite():  # a 5xx is no answer to judge a SHOULD by (an error, not a warning)
        protocol_answer(refresh, "refresh with the revoked refresh token")
    refused(refresh, "refresh with the revoked refresh token", statuses={400}, errors={"invalid_grant"})
    expect(_active(dcr_session, tokens["access_token"], "introspection of the access token issued with it") is False,
           "the access token issued with the revoked refresh token introspects as active",
           "active: false (RFC 7009 §2.1: SHOULD invalidate the access tokens of the same grant)", ex)


@check("DCR-REV-006", "RFC7009-2.2", level=SHOULD, claims=("revocation",), needs=("revocation_endpoint",))
def test_revoking_an_unknown_token_is_200(dcr_session, registered):
    """Revoking a token the server never issued answers 200."""
    ex = dcr_session.revoke(registered, "unknown-" + secrets.token_urlsafe(24))
    with prerequisite():  # a 5xx is no answer to judge a SHOULD by (an error, not a warning)
        protocol_answer(ex, "revocation of an unknown token")
    status_in(ex, 200, "revocation of an unknown token")


@check("DCR-REV-007", "RFC7009-2.1", "CURITY-DCR-REVOKE", claims=("revocation", "introspection"),
       needs=("introspector", "revocation_endpoint"))
def test_client_cannot_revoke_another_clients_token(dcr_session, register):
    """Client A cannot revoke client B's token: the answer is 200 or a refusal, and B's token stays active."""
    a, b = register(), register()
    token = _token(dcr_session, b)
    ex = dcr_session.revoke(a, token, "access_token")
    # RFC 7009 §2.1: the server "verifies whether the token was issued to the client making the
    # revocation request. If this validation fails, the request is refused and the client is informed
    # of the error"; §2.2: "responds with HTTP status code 200 if ... the client submitted an invalid
    # token. Note: invalid tokens do not cause an error response": 200 or an error response (§2.2.1:
    # RFC 6749 §5.2, e.g. unauthorized_client), and B's token stays active either way.
    if ex.status is not None and 200 <= ex.status < 300:
        _revocation_answered(ex, "A's revocation of B's token")
    else:  # RFC 6749 §5.2 describes 400 (401 for invalid_client) without a keyword: another 4xx warns
        refused_as_described(ex, "A's revocation of B's token", statuses={400, 401, 403},
                             errors=TOKEN_ERRORS | {"unsupported_token_type"},
                             described='RFC 6749 §5.2 "responds with an HTTP 400 (Bad Request) status code"')
    expect(_active(dcr_session, token, "introspection of B's token") is True, "client A revoked client B's token",
           "B's token still active (RFC 7009 §2.1)", ex)


def _introspects_inactive(dcr_session, token: str, kind: str) -> None:
    """RFC 7662 §2.2: 200 with active false; SHOULD: no other member."""
    ex = dcr_session.introspect(token)
    body = success(ex, 200, f"introspection of {kind} token")
    expect(body.get("active") is False, f"active is {body.get('active')!r}", "active: false", ex)
    should(set(body) == {"active"}, f"the inactive answer has members {sorted(body)}", 'exactly {"active": false}', ex)


@check("DCR-REV-008", "RFC7662-2.2", "RFC7662-2.2-S", claims=("introspection",), needs=("introspector",),
       per_profile=True)
@pytest.mark.parametrize("kind", ["unknown", "revoked"])
def test_inactive_token_introspects_as_only_active_false(dcr_session, profile, register, kind):
    """An unknown, revoked or expired token introspects as 200 {"active": false}, with no other members (SHOULD)."""
    if kind == "unknown":
        token = "unknown-" + secrets.token_urlsafe(24)
    else:
        if not (profile.claims.revocation and profile.server.revocation_endpoint):
            pytest.skip("not claimed by profile: revocation (RFC 7009) with a revocation_endpoint")
        dyn = register()
        token = _token(dcr_session, dyn)
        status_in(dcr_session.revoke(dyn, token, "access_token"), 200, "revocation of the dynamic client's access token",
                  requirement="RFC7009-2.2")
    _introspects_inactive(dcr_session, token, f"a {kind}")


@check("DCR-REV-008", "RFC7662-2.2", "RFC7662-2.2-S", claims=("introspection",), needs=("introspector",),
       per_profile=True)
def test_expired_token_introspects_as_only_active_false(dcr_session, expired_initial_token):
    """An unknown, revoked or expired token introspects as 200 {"active": false}, with no other members (SHOULD)."""
    _introspects_inactive(dcr_session, expired_initial_token, "an expired initial")


@check("DCR-REV-009", "RFC7662-2.1", claims=("introspection",), needs=("introspector",))
def test_introspection_requires_authentication(dcr_session, profile, registered):
    """Introspection without caller authentication is refused (401, or 400 invalid_request) and discloses nothing."""
    token = access_token_of(dcr_session.use(registered)) or "some-token"  # any token: the fault is the caller
    ex = dcr_session.transport.send(introspection_request(profile, None, token))
    what = "introspection without client authentication"
    # RFC 7662 §2.1: the endpoint "MUST also require some form of authorization"; §2.3's 401 is for
    # invalid credentials. With none at all, RFC 6749 §5.2 invalid_client ("no client authentication
    # included") says the server "MAY return an HTTP 401", and invalid_request ("is otherwise
    # malformed") is 400: 400 or 401, invalid_client or invalid_request, or a 401 challenge.
    refused(ex, what, statuses={400, 401})
    body = ex.json() if isinstance(ex.json(), dict) else {}
    challenged = ex.status == 401 and bool(ex.headers_all("www-authenticate"))
    expect(challenged or body.get("error") in ("invalid_client", "invalid_request", "invalid_token"),
           f"{what}: error {body.get('error')!r}", "invalid_client or invalid_request (RFC 6749 §5.2), "
           "or a 401 challenge (RFC 6750 §3)", ex)
    expect("active" not in body, f"{what}: the answer discloses the token's state", "nothing about the token", ex)


@check("DCR-REV-013", "RFC7662-2.1-c", claims=("introspection",), needs=("introspector",))
def test_introspection_looks_past_a_wrong_hint(dcr_session, profile, registered):
    """An active access token introspected with token_type_hint=refresh_token is still found active."""
    token = _token(dcr_session, registered)
    if _active(dcr_session, token, "introspection of the dynamic client's access token") is not True:
        raise PrerequisiteFailure("the dynamic client's fresh access token does not introspect as active",
                                  [INTROSPECTION])
    ex = dcr_session.transport.send(introspection_request(profile, profile.introspector, token, "refresh_token"))
    what = "introspection of the access token with token_type_hint=refresh_token"
    body = success(ex, 200, what)
    expect(body.get("active") is True, f"{what}: active is {body.get('active')!r}",
           "active: true (RFC 7662 §2.1: the search extends across all token types)", ex)


@check("DCR-REV-014", "RFC7662-4-S", level=SHOULD, claims=("introspection",), needs=("introspector",))
def test_a_dynamic_client_cannot_introspect_another_clients_token(dcr_session, register):
    """Dynamic client A introspecting client B's access token is refused or told active false, nothing more."""
    a, b = register(), register()
    token = _token(dcr_session, b)
    with prerequisite():  # B's token is active for the introspector, or there is nothing to hide
        expect(_active(dcr_session, token, "introspection of B's token") is True,
               "client B's fresh access token does not introspect as active", "active: true", None,
               requirement=INTROSPECTION)
    ex = dcr_session.introspect(token, client=a)
    what = "client A's introspection of client B's access token"
    if ex.status != 200:
        with prerequisite():  # a refusal must be a protocol answer; a 5xx is an error, not a finding
            refused(ex, what, statuses={400, 401, 403})
        return
    body = success(ex, 200, what, requirement=INTROSPECTION)
    should(body.get("active") is False and set(body) == {"active"}, f"{what}: the answer is {sorted(body)} with "
           f"active {body.get('active')!r}", 'a refusal or exactly {"active": false} (RFC 7662 §4: SHOULD require '
           "protected resources to be specifically authorized)", ex)



def _signature_altered(token: str) -> str | None:
    """``token`` with the first character of its signature changed, when it is a compact JWS (RFC 7515
    §7.1: three base64url parts, a JSON header naming an alg other than none); None otherwise."""
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        return None
    try:
        header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except ValueError:
        return None
    if not isinstance(header, dict) or not isinstance(header.get("alg"), str) or header["alg"].lower() == "none":
        return None
    signature = parts[2]
    return f"{parts[0]}.{parts[1]}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"  # the first 6 bits change


@check("DCR-REV-015", "RFC7662-4-f", claims=("introspection",), needs=("introspector",))
def test_introspection_validates_the_signature(dcr_session, initial_token):
    """The main client's access token, when it is a JWS, introspected with one character of its signature changed is not active."""
    altered = _signature_altered(initial_token)
    if altered is None:
        not_applicable("the access token is not a JWS (RFC 7662 §4: nothing to validate)")
    dcr_session.transport.redactor.add_secret(altered)
    with prerequisite():  # the genuine token is active, or a changed one has nothing to tell
        expect(_active(dcr_session, initial_token, "introspection of the access token") is True,
               "the fresh access token does not introspect as active", "active: true", None, requirement=INTROSPECTION)
    ex = dcr_session.introspect(altered)
    what = "introspection of the access token with one character of its signature changed"
    body = success(ex, 200, what)
    expect(body.get("active") is False, f"{what}: active is {body.get('active')!r}",
           "active: false (RFC 7662 §4: the signature is validated)", ex)
