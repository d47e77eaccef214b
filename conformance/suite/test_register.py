"""Step 2: RFC 7591 registration of a per-device client with the profile's request (from the
template when the profile names one; the template-shape checks need one)."""

from __future__ import annotations

import json
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode, urlsplit, urlunsplit

import pytest

from conformance.client.http import MISSING, RequestSpec
from conformance.client.jose import DpopKey
from conformance.client.registration import registration_request
from conformance.client.token import initial_token_request
from conformance.client.use import nonce_challenge
from conformance.oracles.challenges import error_code
from conformance.oracles.expect import error_response, expect, refused, should, status_in, success, www_authenticate
from conformance.oracles.expect import protocol_answer, refused_as_described, token_refused
from conformance.oracles.failures import prerequisite
from conformance.oracles.registration import GRANT_FOR_RESPONSE, not_created, redirect_capable, types_inconsistency
from conformance.oracles.token_response import granted, scopes
from conformance.requirements import SHOULD
from conformance.suite import steps
from conformance.suite.check import check, not_applicable
from conformance.vocabulary import SHARED_SECRET_METHODS
from conformance.catalogue import allowed as ok, declare_answers, forbidden as no


# The answers the specs allow and forbid, per check (rendered into docs/catalogue.md).
_REPLACE = ("RFC 7591 §3.2.1", "MAY", "The authorization server MAY reject or replace any of the client's requested "
            "metadata values submitted during the registration and substitute them with suitable values.")
_REG_ERROR = ("RFC 7591 §3.2.2", "descriptive", "When a registration error condition occurs, the authorization server "
              "returns an HTTP 400 status code (unless otherwise specified) with content type \"application/json\" "
              "consisting of a JSON object describing the error in the response body.")
_BEARER_401 = ("RFC 6750 §3", "MUST", "If the protected resource request does not include authentication credentials "
               "or does not contain an access token that enables access to the protected resource, the resource server "
               "MUST include the HTTP \"WWW-Authenticate\" response header field")
_CONSISTENT = ("RFC 7591 §2.1", "SHOULD", "As such, a server supporting these fields SHOULD take steps to ensure that "
               "a client cannot register itself into an inconsistent state, for example, by returning an "
               "\"invalid_client_metadata\" error response to an inconsistent registration request.")
#: A refusal's status and code: RFC 7591 §3.2.2 describes them; only "error REQUIRED" is a keyword.
_REG_DESCRIBED = ("RFC 7591 §3.2.2", "SHOULD", "descriptive, no keyword: \"When a registration error condition occurs, "
                  "the authorization server returns an HTTP 400 status code (unless otherwise specified)\"")
_ERROR_REQUIRED = ("RFC 7591 §3.2.2", "REQUIRED", "error REQUIRED. Single ASCII error code string.")
_ONCE = ("[claims] initial_token_single_use", "claim", "an initial token registers one client (CURITY-DCR-ONCE)")
ANSWERS = declare_answers({
    "DCR-REG-001": (
        ok("201 with a JSON client information response", "RFC 7591 §3.2.1", "descriptive", "The server responds "
           "with an HTTP 201 Created status code and a body of type \"application/json\""),
        no("a body that is not a JSON object with a client_id, a 5xx, no answer", "RFC 7591 §3.2.1", "MUST",
           "client_id REQUIRED. OAuth 2.0 client identifier string. ... Additionally, the authorization server MUST "
           "return all registered metadata about the client"),
        no("200 or another 2xx (a warning)", "RFC 7591 §3.2.1", "SHOULD", "descriptive, no keyword: \"The server "
           "responds with an HTTP 201 Created status code\""),
    ),
    "DCR-REG-002": (
        ok("client_id_issued_at omitted; client_secret_expires_at 0 or in the future", "RFC 7591 §3.2.1", "OPTIONAL",
           "client_id_issued_at OPTIONAL ... client_secret_expires_at REQUIRED if \"client_secret\" is issued ... or 0 "
           "if it will not expire"),
        no("no client_id, the template's or the main client's id, a secret template without a secret, a secret "
           "without client_secret_expires_at", "RFC 7591 §3.2.1", "REQUIRED", "client_id REQUIRED. OAuth 2.0 client "
           "identifier string. ... client_secret_expires_at REQUIRED if \"client_secret\" is issued."),
        no("no Cache-Control: no-store (a warning)", "RFC 7591 §3.2.1 / RFC 6749 §5.1", "SHOULD",
           "RFC 6749 §5.1's \"MUST include the HTTP \"Cache-Control\" response header field ... with a value of "
           "\"no-store\" in any response containing tokens, credentials, or other sensitive information\" is written "
           "for the token endpoint; RFC 7591 has no keyword for the registration response (descriptive reading by "
           "analogy: a warning)"),
    ),
    "DCR-REG-003": (
        ok("extra server-set members, metadata in any order, grant types or scope narrowed", *_REPLACE),
        no("software_id, method, grant types or scope beyond the template, or not returned", "RFC 7591 §3.2.1", "MUST",
           "the authorization server MUST return all registered metadata about the client, including any fields "
           "provisioned by the authorization server itself"),
    ),
    "DCR-REG-004": (
        ok("two distinct client_ids and secrets", "RFC 7591 §3.2.1", "REQUIRED", "client_id REQUIRED. ... It SHOULD NOT "
           "be currently valid for any other registered client"),
        no("the same client_id or secret twice", "[claims] (the flow: one client per device)", "claim",
           "each registration is its own client, revocable alone (CURITY-DCR-REVOKE)"),
    ),
    "DCR-REG-005": (
        ok("any registration_client_uri shape (a path ending in the client_id, a query, another path) that serves "
           "this client", "RFC 7592 §3", "REQUIRED", "registration_client_uri REQUIRED. String containing the fully "
           "qualified URL of the client configuration endpoint for this client."),
        no("no registration_access_token, no https registration_client_uri, or one that does not read this client",
           "RFC 7592 §3", "REQUIRED", "registration_access_token REQUIRED. String containing the access token to be "
           "used at the client configuration endpoint"),
    ),
    "DCR-REG-006": (
        ok("401 invalid_token (or 400/403 with an error) for the second use", "RFC 6750 §3.1", "SHOULD",
           "invalid_token ... The resource SHOULD respond with the HTTP 401 (Unauthorized) status code."),
        no("a second client from one initial token", *_ONCE),
    ),
    "DCR-REG-007": (
        ok("at most one 201 among concurrent registrations", *_ONCE),
        no("two or more clients from one initial token", *_ONCE),
    ),
    "DCR-REG-008": (
        ok("401 with a Bearer challenge (error=invalid_token for a garbage or expired token)", *_BEARER_401),
        no("a refusal with another status, or a challenge without error=invalid_token (a warning)", "RFC 6750 §3.1",
           "SHOULD", "invalid_token: The access token provided is expired, revoked, malformed, or invalid for other "
           "reasons. The resource SHOULD respond with the HTTP 401 (Unauthorized) status code."),
        no("a registration, no refusal (a 2xx, a 5xx, a 400 without an error code), or no Bearer challenge",
           *_BEARER_401),
    ),
    "DCR-REG-009": (
        ok("401 invalid_token or 403 insufficient_scope", "RFC 6750 §3.1", "SHOULD", "insufficient_scope: The request "
           "requires higher privileges than provided by the access token. The resource server SHOULD respond with the "
           "HTTP 403 (Forbidden) status code"),
        ok("400 invalid_request for a DPoP token at a Bearer-only endpoint", "RFC 6750 §3.1", "SHOULD",
           "invalid_request: The request ... includes an unsupported parameter or parameter value ... or is otherwise "
           "malformed. The resource server SHOULD respond with the HTTP 400 (Bad Request) status code."),
        ok("no openid token for the main client (a 400 RFC 6749 §5.2 refusal: not applicable)", "RFC 6749 §3.3",
           "MAY", "The authorization server MAY fully or partially ignore the scope requested by the client"),
        no("another refusal: a status or error code other than these (a warning)", "RFC 6750 §3.1", "SHOULD",
           "insufficient_scope ... The resource server SHOULD respond with the HTTP 403 (Forbidden) status code"),
        no("a registration with a token without dcr", "[claims] (the flow: dcr tokens register)", "claim",
           "only a token with the dcr scope registers (CURITY-DCR-SCOPE)"),
        no("a 5xx, an HTML page or a 200 without an access_token to the openid token request", "RFC 6749 §5.2", "MUST",
           "error REQUIRED. A single ASCII [USASCII] error code from the following"),
    ),
    "DCR-REG-010": (
        ok("400 invalid_client_metadata, or 401/403 with an error", *_REG_ERROR),
        no("another 4xx or another error code, with an error code (a warning)", *_REG_DESCRIBED),
        no("a 5xx, an HTML page, no error code", *_ERROR_REQUIRED),
        no("a client created from an unknown template", "[claims] (templates)", "claim",
           "a software_id names a template; none, no client (CURITY-TEMPLATE-1)"),
    ),
    "DCR-REG-011": (
        ok("400/401/403 refusal with an error", *_REG_ERROR),
        no("a client from a template that does not name the main client", "[claims] (templates)", "claim",
           "authenticate-client-by lists the clients that may use a template (CURITY-TEMPLATE-1)"),
        no("another 4xx or another error code, with an error code (a warning)", *_REG_DESCRIBED),
        no("a 5xx, an HTML page, no error code", *_ERROR_REQUIRED),
    ),
    "DCR-REG-012": (
        ok("400 invalid_client_metadata", *_REG_ERROR),
        ok("201 with the scope clipped to the template", *_REPLACE),
        no("a scope outside the template registered", "[claims] (templates)", "claim",
           "the template bounds the client's scope (CURITY-TEMPLATE-1)"),
        no("another 4xx or another error code, with an error code (a warning)", *_REG_DESCRIBED),
        no("a 5xx, an HTML page, no error code", *_ERROR_REQUIRED),
    ),
    "DCR-REG-013": (
        ok("400 invalid_redirect_uri or invalid_client_metadata", *_REG_ERROR),
        ok("201 with the value dropped or replaced", *_REPLACE),
        ok("201 with the foreign redirect URI stored for a client without authorization_code/implicit grants and "
           "response_types (inert)", "RFC 7591 §2", "descriptive", 'redirect_uris: Array of redirection URI strings '
           'for use in redirect-based flows such as the authorization code and implicit flows.'),
        no("a foreign redirect URI on a client with a redirect-based flow, or the password grant", "[claims] (templates)",
           "claim", "the template bounds grant types and redirect URIs (CURITY-TEMPLATE-1)"),
        no("another 4xx or another error code, with an error code (a warning)", *_REG_DESCRIBED),
        no("a 5xx, an HTML page, no error code", *_ERROR_REQUIRED),
    ),
    "DCR-REG-014": (
        ok("400 with a JSON error (malformed JSON); 400 or 415 (form body); 400 or a client without the object",
           *_REG_ERROR),
        no("a client from a body that is not JSON, a 5xx, an error body that is not JSON (a warning)", "RFC 7591 §3",
           "SHOULD", "descriptive, no keyword: the client or developer sends an HTTP POST to the client registration "
           "endpoint with a content "
           "type of \"application/json\" (the check is SHOULD-level)"),
    ),
    "DCR-REG-015": (
        ok("400 invalid_client_metadata, or 201 storing at most one of them", *_REG_ERROR),
        no("both jwks and jwks_uri registered", "RFC 7591 §2", "MUST NOT", 'The "jwks_uri" and "jwks" parameters MUST NOT '
           'both be present in the same request or response.'),
        no("another 4xx or another error code, with an error code (a warning)", *_REG_DESCRIBED),
        no("a 5xx, an HTML page, no error code", *_ERROR_REQUIRED),
    ),
    "DCR-REG-016": (
        ok("400 invalid_software_statement or unapproved_software_statement", *_REG_ERROR),
        ok("201: the statement ignored (a real registration with a client_id)", "RFC 7591 §2", "MUST",
           "The authorization server MUST ignore any client metadata sent by the client that it does not understand"),
        no("a 5xx, an HTML page, no error code", *_ERROR_REQUIRED),
        no("another 4xx or another error code, with an error code (a warning)", *_REG_DESCRIBED),
    ),
    "DCR-REG-020": (
        ok("400 invalid_client_metadata", *_CONSISTENT),
        ok("201 with the grant and response types made consistent (the response types replaced)", *_REPLACE),
        no("201 registering a response type without the grant type it goes with (a warning)", *_CONSISTENT),
    ),
    "DCR-REG-017": (
        ok("a refused connection, a redirect to https, a refusal that does not evaluate the request", "RFC 7591 §3",
           "MUST", "The client registration endpoint MUST be protected by a transport-layer security mechanism"),
        no("a plain-HTTP request processed (201, 401, 403, a registration error)", "RFC 7591 §3", "MUST",
           "MUST be protected by a transport-layer security mechanism"),
    ),
})

RACE_WIDTH = 16  # default of --dcr-race-width

#: RFC 7591 §3.2.1 and §3.2.2 describe the statuses of a registration's answers without a keyword:
#: another 2xx for a created client, or another 4xx (with an error code) for a refusal, is a
#: SHOULD-level finding, never a failure (expect.refused_as_described).
DESCRIBED_201 = 'RFC 7591 §3.2.1 "The server responds with an HTTP 201 Created status code"'
DESCRIBED_400 = 'RFC 7591 §3.2.2 "the authorization server returns an HTTP 400 status code (unless otherwise specified)"'
SUCCESSES = range(200, 300)
#: RFC 7591 §3.2.2's error codes, and RFC 6750 §3.1's for the initial token.
REGISTRATION_ERRORS = frozenset({"invalid_redirect_uri", "invalid_client_metadata", "invalid_software_statement",
                                 "unapproved_software_statement", "invalid_request", "invalid_token",
                                 "insufficient_scope"})


def _created(ex) -> bool:
    """The registration was answered with a 2xx (RFC 7591 §3.2.1 describes 201)."""
    return ex.status is not None and 200 <= ex.status < 300


@check("DCR-REG-001", "RFC7591-3.2.1")
def test_registration_returns_201(dcr_session, initial_token):
    """A registration naming the template with a fresh initial token answers 201 with JSON."""
    _, ex = dcr_session.register(initial_token)
    body = success(ex, SUCCESSES, "registration")
    expect(isinstance(body.get("client_id"), str) and body["client_id"], "the registration response has no client_id",
           "a client_id (RFC 7591 §3.2.1: client_id REQUIRED)", ex)
    should(ex.status == 201, f"registration: HTTP {ex.status}", f"HTTP 201 ({DESCRIBED_201})", ex)


@check("DCR-REG-002", "RFC7591-3.2.1", "RFC7591-3.2.1-S")
def test_registration_issues_fresh_credentials(dcr_session, profile, main_client, initial_token):
    """The new client has its own client_id, a secret with its expiry, and a plausible issue time."""
    _, ex = dcr_session.register(initial_token)
    body = success(ex, 201, "registration")
    client_id = body.get("client_id")
    expect(isinstance(client_id, str) and client_id, "client_id is missing or empty", "a client_id", ex)
    expect(client_id not in (profile.template.software_id, main_client.client_id),
           f"client_id {client_id!r} is the template's or the main client's", "a new client_id", ex)
    if profile.dynamic_auth_method in SHARED_SECRET_METHODS:
        expect(isinstance(body.get("client_secret"), str) and body["client_secret"],
               "client_secret is missing", "a client_secret (the template authenticates by secret)", ex)
    if "client_secret" in body:
        expires = body.get("client_secret_expires_at")
        expect(isinstance(expires, int) and not isinstance(expires, bool) and (expires == 0 or expires > time.time()),
               f"client_secret_expires_at is {expires!r}", "an integer, 0 or in the future (REQUIRED with a secret)", ex)
    issued = body.get("client_id_issued_at")
    if issued is not None:
        expect(isinstance(issued, int) and abs(issued - time.time()) < 300,
               f"client_id_issued_at is {issued!r}", "seconds since the epoch, within 5 minutes of now", ex)
    should("no-store" in (ex.header("cache-control") or "").lower(), "Cache-Control: no-store is missing",
           "Cache-Control: no-store on a response carrying credentials", ex)


@check("DCR-REG-003", "RFC7591-3.2.1", "CURITY-TEMPLATE-1", needs=("template",))
def test_registration_returns_the_template_shape(dcr_session, profile, initial_token):
    """The response returns the registered metadata, within the template: software_id, scope, grant types, auth method."""
    _, ex = dcr_session.register(initial_token)
    body = success(ex, 201, "registration")
    template = profile.template
    expect(body.get("software_id") == template.software_id, f"software_id is {body.get('software_id')!r}",
           f"{template.software_id!r}, as registered (all registered metadata is returned)", ex)
    method = body.get("token_endpoint_auth_method") or body.get("token_endpoint_auth_methods")
    allowed = template.allowed_auth_methods  # RFC 7591 §3.2.1: the server may replace what was asked, within them
    method_ok = method in allowed or (isinstance(method, list) and bool(set(method) & set(allowed)))
    expect(method_ok, f"token_endpoint_auth_method is {method!r}", " or ".join(map(repr, allowed)), ex)
    grants = body.get("grant_types")
    expect(isinstance(grants, list) and grants, f"grant_types is {grants!r}", "the registered grant_types", ex)
    if template.grant_types is not None:
        expect(set(grants) <= set(template.grant_types), f"grant_types {grants!r}",
               f"within the template's {template.grant_types!r}", ex)
    expect(isinstance(body.get("scope"), str), f"scope is {body.get('scope')!r}", "the registered scope", ex)
    if template.scope is not None:
        extra = scopes(body["scope"]) - scopes(template.scope)
        expect(not extra, f"the registration response's scope adds {sorted(extra)}", f"within {template.scope!r}", ex)


@check("DCR-REG-004", "RFC7591-3.2.1", "CURITY-DCR-REVOKE")
def test_each_registration_gets_distinct_credentials(dcr_session, new_initial_token):
    """Two registrations give two different client_ids and two different secrets."""
    _, first = dcr_session.register(new_initial_token())
    _, second = dcr_session.register(new_initial_token())
    a, b = success(first, 201, "first registration"), success(second, 201, "second registration")
    expect(a.get("client_id") != b.get("client_id"), "both registrations returned the same client_id",
           "distinct client_ids", first, second)
    if a.get("client_secret") or b.get("client_secret"):
        expect(a.get("client_secret") != b.get("client_secret"), "both clients got the same client_secret",
               "distinct secrets per client", first, second)


@check("DCR-REG-005", "RFC7592-3", claims=("registration_management",))
def test_registration_returns_management_credentials(dcr_session, profile, initial_token):
    """The response holds a registration access token and a registration_client_uri that reads this client."""
    dyn, ex = dcr_session.register(initial_token)
    body = success(ex, 201, "registration", requirement=steps.REGISTERED)  # DCR-REG-001's: blocks this one
    expect(isinstance(body.get("registration_access_token"), str) and body["registration_access_token"],
           "registration_access_token is missing", "a registration_access_token (RFC 7592 §3)", ex)
    uri = body.get("registration_client_uri")
    expect(isinstance(uri, str) and urlsplit(uri).scheme == "https", f"registration_client_uri is {uri!r}",
           "an https registration_client_uri", ex)
    # RFC 7592 §3: "the fully qualified URL of the client configuration endpoint for this client"; its
    # shape is the server's (a path ending in the client_id, a query, anything): what it must do is
    # serve this client (RFC 7592 §2.1 read with the registration access token).
    expect(dyn is not None, "client_id is missing", "a client_id (RFC 7591 §3.2.1: REQUIRED)", ex)
    read = dcr_session.read(dyn)
    expect(read.status == 200 and isinstance(read.json(), dict) and read.json().get("client_id") == dyn.client_id,
           f"a read of the registration_client_uri {uri!r} answered HTTP {read.status}",
           "200 with this client's information (RFC 7592 §3: the configuration endpoint for this client)", read)
    ttl = body.get("registration_access_token_expires_in")
    if ttl is not None:
        should(isinstance(ttl, int) and ttl > 0, f"registration_access_token_expires_in is {ttl!r}",
               "a positive integer", ex)


@check("DCR-REG-006", "CURITY-DCR-ONCE", "RFC6750-3.1", claims=("initial_token_single_use",))
def test_initial_token_works_once(dcr_session, initial_token):
    """A second registration with the same initial token is refused (401 invalid_token expected)."""
    _, first = dcr_session.register(initial_token)
    success(first, 201, "first registration with the token", requirement=steps.REGISTERED)
    _, again = dcr_session.register(initial_token)
    not_created(again, "second registration with the same initial token")
    refused(again, "second registration with the same initial token", statuses={400, 401, 403})
    should(again.status == 401 and any("invalid_token" in c for c in again.headers_all("www-authenticate")),
           f"reuse answered HTTP {again.status}", '401 with WWW-Authenticate: Bearer error="invalid_token"', again)


@check("DCR-REG-007", "CURITY-DCR-ONCE", claims=("initial_token_single_use",))
def test_initial_token_works_once_under_concurrency(dcr_session, initial_token, request):
    """Concurrent registrations with one initial token create at most one client."""
    width = max(2, request.config.getoption("--dcr-race-width", RACE_WIDTH) or RACE_WIDTH)
    with ThreadPoolExecutor(width) as pool:
        answers = list(pool.map(lambda _: dcr_session.register(initial_token)[1], range(width)))
    created = [ex for ex in answers if ex.status == 201]
    expect(len(created) <= 1, f"{len(created)} of {width} concurrent registrations with one token got 201",
           "at most one 201", *created[:2])


@check("DCR-REG-008", "RFC6750-3", "RFC6750-3.1")
@pytest.mark.parametrize("token", ["missing", "garbage"])
def test_registration_without_a_valid_token_is_401(dcr_session, token):
    """A registration with no token, or a garbage one, gets 401 with a Bearer challenge."""
    _, ex = dcr_session.register(None if token == "missing" else "garbage-" + secrets.token_urlsafe(16))
    _refused_with_bearer_challenge(ex, f"registration with a {token} token", invalid_token=token != "missing")


def _refused_with_bearer_challenge(ex, what: str, *, invalid_token: bool) -> None:
    """Not created, a refusal with a Bearer challenge (RFC 6750 §3: MUST); 401 and, for a token that
    was sent, error=invalid_token (RFC 6750 §3.1: SHOULD, a warning)."""
    not_created(ex, what)
    refused(ex, what, statuses={400, 401, 403})
    www_authenticate(ex, "Bearer", what)
    should(ex.status == 401, f"{what}: HTTP {ex.status}", "HTTP 401 (RFC 6750 §3.1)", ex, requirement="RFC6750-3.1")
    if invalid_token:
        should(any("invalid_token" in c for c in ex.headers_all("www-authenticate")),
               f"{what}: the challenge does not name error=invalid_token", 'WWW-Authenticate: Bearer error="invalid_token"',
               ex, requirement="RFC6750-3.1")


@check("DCR-REG-008", "RFC6750-3", "RFC6750-3.1", per_profile=True, claims=("initial_token_single_use",))
def test_registration_with_an_expired_token_is_401(dcr_session, expired_initial_token):
    """A registration with an expired initial token gets 401 invalid_token."""
    _, ex = dcr_session.register(expired_initial_token)
    _refused_with_bearer_challenge(ex, "registration with an expired initial token", invalid_token=True)


def _register_presenting(dcr_session, token, token_type, key):
    """A registration presenting ``token`` as its type requires (DPoP: the DPoP scheme and a proof with ath)."""
    def build(nonce):
        spec = registration_request(dcr_session.profile, token)
        if token_type.lower() == "dpop" and key is not None:
            spec = spec.with_header("Authorization", f"DPoP {token}")
            spec.headers["DPoP"] = key.proof("POST", spec.url, nonce=nonce, access_token=token)
        return spec

    _, first = dcr_session.send_registration(build(None))
    nonce = nonce_challenge(first)
    if not nonce:
        return first
    _, second = dcr_session.send_registration(build(nonce))
    return second


@check("DCR-REG-009", "CURITY-DCR-SCOPE", "RFC6750-3.1")
@pytest.mark.parametrize("source", ["main-openid", "dynamic-client"])
def test_token_without_dcr_scope_cannot_register(dcr_session, profile, main_client, register, source):
    """A valid token without the dcr scope (the main client's openid token, the dynamic client's own) cannot register."""
    key = None
    if source == "main-openid":
        got = dcr_session.transport.send(initial_token_request(profile, main_client, scope="openid"))
        what = "the main client's token request for scope openid"
        if got.status != 200:
            token_refused(got, what)  # a real refusal (RFC 6749 §5.2), never a broken answer
            not_applicable("the main client is refused a token without dcr: nothing to register with")
        body = granted(got, what)
        token = body["access_token"]
        dcr_session.transport.redactor.add_secret(token)
        if "dcr" in scopes(body.get("scope")):
            not_applicable("the openid token carries dcr after all (DCR-TOK-006's finding)")
        token_type = "Bearer"
    else:
        dyn = register()
        body = steps.setup_use(dcr_session, dyn)
        token, token_type, key = body["access_token"], str(body["token_type"]), dcr_session.dpop_key(dyn)
    # Presented as its type requires, so a refusal is about the scope, not about the token's binding.
    ex = _register_presenting(dcr_session, token, token_type, key)
    what = f"registration with the {source} token, which lacks the dcr scope"
    not_created(ex, what)
    refused(ex, what, statuses={400, 401, 403})
    code = error_code(ex)
    # RFC 6750 §3.1 invalid_request: "The request ... includes an unsupported parameter or parameter
    # value ... or is otherwise malformed. The resource server SHOULD respond with the HTTP 400": a
    # Bearer-only endpoint refusing the DPoP scheme. The statuses of §3.1 are SHOULDs: a warning.
    dpop_refused = ex.status == 400 and token_type.lower() != "bearer" and code == "invalid_request"
    should(dpop_refused or (ex.status in (401, 403) and code in ("insufficient_scope", "invalid_token")),
           f"{what}: HTTP {ex.status}, error {code!r}", "401 invalid_token or 403 insufficient_scope (RFC 6750 §3.1)",
           ex, requirement="RFC6750-3.1")


@check("DCR-REG-010", "RFC7591-3.2.2", "CURITY-TEMPLATE-1", needs=("template",))
def test_unknown_template_is_refused(dcr_session, initial_token):
    """A software_id naming no template is refused (400 invalid_client_metadata expected) and creates nothing."""
    _, ex = dcr_session.register(initial_token, {"software_id": "no-such-template-" + secrets.token_hex(4)})
    not_created(ex, "registration naming an unknown template")
    refused_as_described(ex, "registration naming an unknown template", statuses={400},
                         errors={"invalid_client_metadata"}, described=DESCRIBED_400)


@check("DCR-REG-011", "CURITY-TEMPLATE-1", needs=("template", "unauthorized_software_id"))
def test_template_of_other_clients_is_refused(dcr_session, profile, initial_token):
    """A template that does not name the main client in authenticate-client-by is refused."""
    _, ex = dcr_session.register(initial_token, {"software_id": profile.template.unauthorized_software_id})
    not_created(ex, "registration from a template that does not name this main client")
    refused_as_described(ex, "registration from a template that does not name this main client",
                         statuses={400, 401, 403}, errors=REGISTRATION_ERRORS, described=DESCRIBED_400)


@check("DCR-REG-012", "RFC7591-3.2.1", "RFC7591-3.2.2", "CURITY-TEMPLATE-1", needs=("template",))
def test_scope_beyond_the_template_is_refused_or_clipped(dcr_session, profile, initial_token):
    """A request for scopes outside the template is refused with invalid_client_metadata or clipped to the template."""
    outside = "outside-" + secrets.token_hex(3)
    # One fault: the template's own scope (when the profile names it) plus one scope outside it.
    asked = f"{profile.template.scope} {outside}" if profile.template.scope else outside
    _, ex = dcr_session.register(initial_token, {"scope": asked})
    if not _created(ex):
        refused_as_described(ex, "registration asking for scopes beyond the template", statuses={400},
                             errors={"invalid_client_metadata"}, described=DESCRIBED_400)
        return
    granted = scopes(success(ex, SUCCESSES, "registration asking for scopes beyond the template").get("scope"))
    allowed = scopes(profile.template.scope) if profile.template.scope is not None else set()
    expect(outside not in granted and (not allowed or granted <= allowed),
           f"the registration response's scope is {sorted(granted)}", f"within the template's {sorted(allowed)}", ex)


@check("DCR-REG-013", "RFC7591-3.2.2", "CURITY-TEMPLATE-1", needs=("template",))
@pytest.mark.parametrize("field", ["redirect_uris", "grant_types"])
def test_foreign_redirects_and_grants_are_refused_or_ignored(dcr_session, initial_token, field):
    """A foreign redirect URI or a password grant is refused, or not applied to the client."""
    value = ["https://evil.example/cb"] if field == "redirect_uris" else ["password"]
    _, ex = dcr_session.register(initial_token, {field: value})
    if not _created(ex):
        errors = {"invalid_redirect_uri", "invalid_client_metadata"} if field == "redirect_uris" \
            else {"invalid_client_metadata"}
        refused_as_described(ex, f"registration with {field} = {value!r}", statuses={400}, errors=errors,
                             described=DESCRIBED_400)
        return
    body = success(ex, SUCCESSES, f"registration with {field} = {value!r}")
    registered = body.get(field) or []
    if field == "redirect_uris" and value[0] in registered:
        # RFC 7591 §2: redirect URIs are "for use in redirect-based flows such as the authorization
        # code and implicit flows"; §3.2.1: the server "MAY reject or replace" metadata. A URI stored
        # for a client that has no such flow is inert: judge what the client can do, not what is stored.
        expect(not redirect_capable(body), f"the client was registered with {field} {registered!r} and "
               f"grant_types {body.get('grant_types')!r}, response_types {body.get('response_types')!r}",
               f"a refusal, {value[0]!r} not applied, or a client without a redirect-based flow", ex)
        return
    expect(value[0] not in registered, f"the registration response lists {field} {registered!r}",
           f"a refusal, or {value[0]!r} not applied", ex)


WRONG_TYPE = {"client_name": {"en": "dcr-conformance"}}  # RFC 7591 §2: client_name is a string


@check("DCR-REG-014", "RFC7591-3", "RFC7591-3.2.2", level=SHOULD)
@pytest.mark.parametrize("body", ["malformed-json", "form-encoded", "wrong-type"])
def test_malformed_registration_bodies_are_400(dcr_session, profile, initial_token, body):
    """Malformed JSON gets 400, a form-encoded body 400 or 415, and a wrongly typed field 400 or no effect, errors in JSON."""
    if body == "wrong-type":
        _, ex = dcr_session.register(initial_token, WRONG_TYPE)
        if ex.status == 201:
            registered = success(ex, 201, "registration with client_name as a JSON object").get("client_name")
            expect(not isinstance(registered, dict), f"client_name was registered as {registered!r}",
                   "a refusal, or the wrongly typed client_name not registered", ex)
            return
        error_response(ex, {400}, {"invalid_client_metadata"}, "registration with client_name as a JSON object")
        return
    spec = registration_request(profile, initial_token)
    valid = json.dumps(spec.json)  # the profile's body: the one fault is its encoding
    if body == "malformed-json":
        spec = spec.replace(json=MISSING, content=(valid[:-1] + ",").encode())  # cut off after a comma
    else:
        form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in spec.json.items()}
        spec = spec.replace(json=MISSING, content=urlencode(form).encode())
        spec = spec.with_header("Content-Type", "application/x-www-form-urlencoded")
    _, ex = dcr_session.send_registration(spec)
    not_created(ex, f"registration with a {body} body")
    status_in(ex, {400} if body == "malformed-json" else {400, 415}, f"registration with a {body} body")
    if ex.status == 400:
        expect(isinstance(ex.json(), dict) and "error" in ex.json(), "the error body is not JSON with an error",
               'a JSON body with "error" (RFC 7591 §3.2.2)', ex)


@check("DCR-REG-015", "RFC7591-2", "RFC7591-3.2.2")
def test_jwks_and_jwks_uri_together_are_refused(dcr_session, initial_token):
    """A request with both jwks and jwks_uri is refused with invalid_client_metadata (or neither is stored)."""
    jwks = {"keys": [DpopKey.generate().public_jwk]}
    _, ex = dcr_session.register(initial_token, {"jwks": jwks, "jwks_uri": "https://app.example/jwks.json"})
    if _created(ex):
        body = success(ex, SUCCESSES, "registration with jwks and jwks_uri")
        expect(not ("jwks" in body and "jwks_uri" in body), "the client was registered with jwks and jwks_uri",
               "never both (RFC 7591 §2)", ex)
        return
    refused_as_described(ex, "registration with jwks and jwks_uri", statuses={400}, errors={"invalid_client_metadata"},
                         described=DESCRIBED_400)


@check("DCR-REG-016", "RFC7591-3.2.2")
def test_garbage_software_statement_is_refused_or_ignored(dcr_session, initial_token):
    """A garbage software_statement is refused with a software-statement error, or ignored; never a 5xx."""
    statement = "eyJhbGciOiJub25lIn0.eyJzb2Z0d2FyZV9pZCI6ImV2aWwifQ."  # alg none, unsigned
    _, ex = dcr_session.register(initial_token, {"software_statement": statement})
    if _created(ex):  # ignored: then a real registration (RFC 7591 §3.2.1), not any 2xx
        body = success(ex, SUCCESSES, "registration with an unsigned software_statement")
        expect(isinstance(body.get("client_id"), str) and body["client_id"], "client_id is missing",
               "a client_id (RFC 7591 §3.2.1: REQUIRED)", ex)
        return
    refused_as_described(ex, "registration with an unsigned software_statement", statuses={400},
                         errors={"invalid_software_statement", "unapproved_software_statement"}, described=DESCRIBED_400)


@check("DCR-REG-017", "RFC7591-3", per_profile=True)
def test_registration_is_not_served_over_plain_http(dcr_session, profile):
    """The registration endpoint does not answer over plain HTTP (no token is sent in clear)."""
    parts = urlsplit(profile.server.registration_endpoint)
    port = parts.port or 443
    plain = urlunsplit(("http", f"{parts.hostname}:{port}", parts.path, parts.query, ""))
    spec = RequestSpec("POST", plain, {"Content-Type": "application/json", "Authorization": "Bearer not-a-token"},
                       json=registration_request(profile, None).json, timeout_s=5)
    _, ex = dcr_session.send_registration(spec)
    if ex.error:
        return  # nothing speaks plain HTTP there
    body = ex.json() if isinstance(ex.json(), dict) else {}
    processed = ex.status in (200, 201, 401, 403) or body.get("error") in {
        "invalid_token", "insufficient_scope", "invalid_client_metadata", "invalid_redirect_uri"}
    expect(not processed, f"the registration endpoint processed a plain-HTTP request (HTTP {ex.status})",
           "a refused connection, a redirect to https, or a refusal that does not evaluate the request", ex)


def _contradicting_types(profile) -> dict:
    """grant_types without the grant type "code" goes with, and response_types ["code"] (RFC 7591
    §2.1), each value within the template where the profile declares it."""
    grants = [g for g in profile.template.grant_types or () if g not in GRANT_FOR_RESPONSE.values()]
    return {"grant_types": grants[:1] or ["client_credentials"], "response_types": ["code"]}


@check("DCR-REG-020", "RFC7591-2.1", level=SHOULD, per_profile=True)
def test_contradicting_grant_and_response_types_are_not_registered(dcr_session, profile, initial_token):
    """A registration naming response type code without grant type authorization_code is refused with invalid_client_metadata, or registered consistent."""
    requested = _contradicting_types(profile)
    what = f"registration with grant_types {requested['grant_types']} and response_types {requested['response_types']}"
    _, ex = dcr_session.register(initial_token, requested)
    if ex.status == 201:
        problem = types_inconsistency(success(ex, 201, what))
        expect(problem is None, f"the client was registered {problem}",
               "a refusal (invalid_client_metadata), or grant and response types made consistent (RFC 7591 §2.1)", ex)
        return
    with prerequisite():  # a 5xx is no answer to judge a SHOULD by (an error, not a warning)
        protocol_answer(ex, what)
    error_response(ex, {400}, {"invalid_client_metadata"}, what)
