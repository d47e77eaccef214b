"""Step 1: the main client's client_credentials request for the initial registration token."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest


from conformance.client.auth import authenticate, signing_key
from conformance.client.fields import OMIT
from conformance.client.http import TlsIdentity
from conformance.client.jose import key_algs
from conformance.client.token import client_credentials, initial_token_request
from conformance.oracles.expect import (protocol_answer, refused_as_described, expect, no_store, refused, should, status_in, success,
                                        token_refused, www_authenticate)
from conformance.oracles.expect import INVALID_CLIENT_DESCRIBED, TOKEN_400_DESCRIBED, client_authentication_refused
from conformance.oracles.failures import prerequisite
from conformance.oracles.token_response import (TOKEN_RESPONSE, granted, granted_scopes, scope_shown, scopes,
                                                token_success)
from conformance.requirements import SHOULD
from conformance.suite import steps
from conformance.suite.check import check
from conformance.suite.forged import (rogue_certificate_like, unknown_rsa_key, unknown_signing_key,
                                      unregistered_self_signed)
from conformance.vocabulary import JWT_METHODS, MTLS_METHODS, SECRET_METHODS
from conformance.catalogue import allowed as ok, declare_answers, forbidden as no


#: RFC 8705 §2 describes the code of a refused mTLS authentication without a keyword.
_MTLS_CODE_WARN = no("another 4xx or another error code than invalid_client, with an error code (a warning)",
                     "RFC 8705 §2", "SHOULD", "descriptive, no keyword: \"If no certificate is presented, or that "
                     "which is presented doesn't match that which is expected for the given client_id, the "
                     "authorization server returns a normal OAuth 2.0 error response per Section 5.2 of [RFC6749] "
                     "with the invalid_client error code to indicate failed client authentication.\"")

# The answers the specs allow and forbid, per check (rendered into docs/catalogue.md).
_NO_STORE = ("RFC 6749 §5.1", "MUST", 'The authorization server MUST include the HTTP "Cache-Control" response header '
             'field with a value of "no-store" in any response containing tokens ... as well as the "Pragma" '
             'response header field with a value of "no-cache".')
_INVALID_CLIENT = ("RFC 6749 §5.2", "MUST", 'invalid_client: Client authentication failed ... The authorization server '
                   'MAY return an HTTP 401 ... If the client attempted to authenticate via the "Authorization" request '
                   'header field, the authorization server MUST respond with an HTTP 401 (Unauthorized) status code and '
                   'include the "WWW-Authenticate" response header field')
_INVALID_CLIENT_DESCRIBED = 'RFC 6749 §5.2 "invalid_client: Client authentication failed"'
#: RFC 6749 §5.2: the error code is REQUIRED, which code (and the 400) is described without a keyword.
_CODE_REQUIRED = ("RFC 6749 §5.2", "REQUIRED", "error REQUIRED. A single ASCII [USASCII] error code from the following")
_CODE_DESCRIBED = ("RFC 6749 §5.2", "SHOULD", 'descriptive, no keyword: "The authorization server responds with an HTTP '
                   '400 (Bad Request) status code (unless specified otherwise)" and the codes "from the following", '
                   'each described by what it means')
_INVALID_CLIENT_WARN = ("RFC 6749 §5.2", "SHOULD", 'descriptive, no keyword: "invalid_client: Client authentication '
                        'failed (e.g., unknown client, no client authentication included, or unsupported authentication '
                        'method)."')
_ERROR_400 = ("RFC 6749 §5.2", "MUST", 'The authorization server responds with an HTTP 400 (Bad Request) status code '
              '(unless specified otherwise) ... error REQUIRED. A single ASCII [USASCII] error code from the following')
#: RFC 7523 §3 (the criteria a JWT is validated by; one that meets them authenticates the client).
_VALIDATE_JWT = ("In order to issue an access token response as described in OAuth 2.0 [RFC6749] or to rely on a JWT "
                 "for client authentication, the authorization server MUST validate the JWT according to the criteria "
                 "below.")
#: RFC 8705 §2.
#: RFC 7521 §4.2.1 / RFC 7523 §3.2: the code of an invalid assertion is a MUST (its status only described).
_ASSERTION_CODE = ('error invalid_client (RFC 7523 §3.2, RFC 7521 §4.2.1: The value of the "error" parameter MUST be '
                   'the "invalid_client" error code.)')
#: RFC 8705 §2 describes (no keyword) the invalid_client of a failed mutual-TLS authentication.
_MTLS_DESCRIBED = ('RFC 8705 §2 "If no certificate is presented, or that which is presented doesn\'t match that which is '
                   'expected for the given client_id, the authorization server returns a normal OAuth 2.0 error response '
                   'per Section 5.2 of [RFC6749] with the invalid_client error code"')
_CODE_REQUIRED = ("RFC 6749 §5.2", "REQUIRED", "error REQUIRED. A single ASCII [USASCII] error code from the following")
_NOT_A_REFUSAL = no("a 5xx, an HTML page, a refusal without an error code", *_CODE_REQUIRED)
_MTLS_BINDING = ("The authorization server MUST enforce the binding between client and certificate, as described in "
                 "either Section 2.1 or 2.2 below.")

ANSWERS = declare_answers({
    "DCR-TOK-001": (
        ok("200 JSON with access_token, token_type Bearer (any case), scope holding dcr or omitted", "RFC 6749 §5.1",
           "REQUIRED", 'access_token REQUIRED ... token_type REQUIRED ... Value is case insensitive ... scope OPTIONAL, '
           'if identical to the scope requested by the client; otherwise, REQUIRED.'),
        ok("expires_in omitted", "RFC 6749 §5.1", "RECOMMENDED", "expires_in RECOMMENDED. ... If omitted, the "
           "authorization server SHOULD provide the expiration time via other means or document the default value."),
        no("a refresh_token with the client_credentials token (a warning)", "RFC 6749 §4.4.3", "SHOULD NOT",
           "A refresh token SHOULD NOT be included."),
        no("no access_token, a token_type other than Bearer, a scope without dcr", "RFC 6749 §5.1", "REQUIRED",
           "access_token REQUIRED. The access token issued by the authorization server."),
    ),
    "DCR-TOK-002": (
        ok("Cache-Control holding no-store among other directives", "RFC 9111 §5.2", "descriptive",
           "Cache-Control = #cache-directive (a list)"),
        no("no Cache-Control: no-store, or no Pragma: no-cache", *_NO_STORE),
    ),
    "DCR-TOK-003": (
        ok("200 with a token for the client's method (Basic credentials form-urlencoded before base64)",
           "RFC 6749 §2.3.1", "descriptive", 'The client identifier is encoded using the '
           '"application/x-www-form-urlencoded" encoding algorithm per Appendix B, and the encoded value is used as '
           'the username; the client password is encoded using the same algorithm and used as the password.'),
        no("a refusal of correct credentials", "RFC 6749 §2.3.1", "MUST", "The authorization server MUST support the "
           "HTTP Basic authentication scheme for authenticating clients that were issued a client password."),
    ),
    "DCR-TOK-004": (
        ok("401 invalid_client with WWW-Authenticate: Basic (wrong secret in Basic)", *_INVALID_CLIENT),
        ok("400 or 401 invalid_client (wrong secret in the body)", *_INVALID_CLIENT),
        no("a token", "RFC 6749 §4.4.2", "MUST", "The authorization server MUST authenticate the client."),
        no("after Basic: another status than 401, or no WWW-Authenticate: Basic challenge", *_INVALID_CLIENT),
        no("a 5xx, an HTML page, a refusal without an error code", *_CODE_REQUIRED),
        no("another error code than invalid_client, or (without Basic) another 4xx than 400/401, with an error code "
           "(a warning)", *_INVALID_CLIENT_WARN),
    ),
    "DCR-TOK-005": (
        ok("400 invalid_request or 400/401 invalid_client", "RFC 6749 §2.3", "MUST NOT",
           "The client MUST NOT use more than one authentication method in each request."),
        no("a token, or another refusal (a warning: the check is SHOULD-level)", "RFC 6749 §5.2, §2.3", "SHOULD",
           "descriptive, no keyword for the server: \"invalid_request: The request ... utilizes more than one "
           "mechanism for authenticating the client\"; §2.3's \"The client MUST NOT use more than one authentication "
           "method in each request\" binds the client"),
    ),
    "DCR-TOK-006": (
        ok("a token without dcr, which cannot register", "RFC 6749 §3.3", "MAY", "The authorization server MAY fully or "
           "partially ignore the scope requested by the client"),
        ok("400 invalid_scope (or another RFC 6749 §5.2 error in a JSON body)", *_ERROR_400),
        no("a token with dcr, or one that registers", "[claims] (the flow: dcr only on request)", "claim",
           "the dcr scope is granted only to main clients that ask for it (CURITY-DCR-SCOPE)"),
        no("a 5xx, an HTML page, a 200 without an access_token string", *_ERROR_400),
    ),
    "DCR-TOK-007": (
        ok("400/401 invalid_scope, unauthorized_client or invalid_client", *_ERROR_400),
        ok("a token without dcr that cannot register", "RFC 6749 §3.3", "MAY",
           "The authorization server MAY fully or partially ignore the scope requested by the client"),
        no("a token with dcr (its scope naming dcr, or omitted: RFC 6749 §5.1 scope \"OPTIONAL, if identical to "
           "the scope requested by the client\"), or one that registers",
           "[claims] (the template's authenticate-client-by)", "claim",
           "only clients a template names may register from it (CURITY-TEMPLATE-1)"),
        no("a 5xx, an HTML page, a refusal without an error code", *_CODE_REQUIRED),
        no("another 4xx or another error code (e.g. access_denied), with an error code (a warning)", *_CODE_DESCRIBED),
    ),
    "DCR-TOK-008": (
        ok("400 or 401 invalid_client", *_INVALID_CLIENT),
        no("a token", "RFC 6749 §4.4.2", "MUST", "The authorization server MUST authenticate the client."),
        no("a 5xx, an HTML page, a refusal without an error code", "RFC 6749 §5.2", "REQUIRED",
           "error REQUIRED. A single ASCII [USASCII] error code from the following"),
        no("another 4xx or another error code, with an error code (a warning)", "RFC 6749 §5.2", "SHOULD",
           'descriptive, no keyword: "invalid_client: Client authentication failed (e.g., unknown client, no client '
           'authentication included, or unsupported authentication method)."'),
    ),
    "DCR-TOK-009": (
        ok("200 with a token", "RFC 7523 §3", "MUST", 'The JWT MUST contain an "iss" (issuer) claim that contains a '
           'unique identifier for the entity that issued the JWT. ... The JWT MUST contain a "sub" (subject) claim '
           'identifying the principal that is the subject of the JWT. ... The JWT MUST contain an "aud" (audience) '
           'claim containing a value that identifies the authorization server as an intended audience. ... The JWT '
           'MUST contain an "exp" (expiration time) claim that limits the time window during which the JWT can be '
           'used.'),
        no("a refusal of a valid assertion", "[claims] (the main client's auth_method)", "claim",
           "the profile declares that this main client authenticates with this method (RFC 7521 §4.2 describes "
           "client_assertion, no keyword: \"The assertion being used to authenticate the client\")"),
    ),
    "DCR-TOK-010": (
        ok("400/401 invalid_client; invalid_request for two assertions or a client_id mismatch", "RFC 7523 §3.2", "MUST",
           'The value of the "error" parameter MUST be the "invalid_client" error code.'),
        no("a token for an assertion RFC 7523 §3 makes invalid", "RFC 7523 §3", "MUST", "The authorization server MUST "
           "reject any JWT with an expiration time that has passed ... MUST reject JWTs with an invalid signature"),
        no("a token for a JWS with an unknown crit extension", "RFC 7523 §3, RFC 7515 §4.1.11", "MUST",
           "The authorization server MUST reject a JWT that is not valid in all other respects per \"JSON Web Token "
           "(JWT)\" [JWT]. (RFC 7515 §4.1.11: \"If any of the listed extension Header Parameters are not understood "
           "and supported by the recipient, then the JWS is invalid.\")"),
        no("a token for a client_id that is not the assertion's client", "RFC 7521 §4.2", "MUST", 'If present, the value '
           'of the "client_id" parameter MUST identify the same client as is identified by the client assertion.'),
        no("another error code than invalid_client for an invalid assertion", "RFC 7523 §3.2, RFC 7521 §4.2.1", "MUST",
           'The value of the "error" parameter MUST be the "invalid_client" error code.'),
        _NOT_A_REFUSAL,
        no("another 4xx than 400/401 with invalid_client, or another code for two assertions or a client_id mismatch "
           "(a warning)", "RFC 6749 §5.2", "SHOULD", 'descriptive, no keyword: "The authorization server responds with '
           'an HTTP 400 (Bad Request) status code (unless specified otherwise)"; "invalid_request: ... utilizes more '
           'than one mechanism for authenticating the client"'),
    ),
    "DCR-TOK-011": (
        ok("the first use accepted, the second refused with invalid_client or invalid_grant", "RFC 7523 §3", "MAY",
           'The authorization server MAY ensure that JWTs are not replayed by maintaining the set of used "jti" values'),
        no("the second use accepted (a warning; the profile claims jwt_replay_rejected)", "OpenID Connect Core §9",
           "SHOULD", "jti ... The JWT ID ... MUST only be used once (the check is SHOULD-level: RFC 7523 makes jti a MAY, so for "
           "RFC 7523 alone a replay's refusal is descriptive, no keyword)"),
        no("the first use refused (the check's prerequisite: an error, not a warning)", "RFC 7523 §3", "MUST",
           _VALIDATE_JWT),
    ),
    "DCR-TOK-012": (
        ok("200 with a token", "RFC 7523 §3", "MUST", "The JWT MUST be digitally signed or have a Message "
           "Authentication Code (MAC) applied by the issuer."),
        no("a refusal of a valid HS256 assertion", "RFC 7523 §3", "MUST", _VALIDATE_JWT),
    ),
    "DCR-TOK-013": (
        ok("200 with a token", "RFC 8705 §2", "MUST", 'the TLS connection between the client and the authorization '
           'server MUST have been established or re-established with mutual-TLS X.509 certificate authentication ... '
           'For all requests to the authorization server utilizing mutual-TLS client authentication, the client MUST '
           'include the "client_id" parameter'),
        no("a refusal of the registered certificate", "RFC 8705 §2, §2.1", "MUST", _MTLS_BINDING + " (§2.1) The client "
           "is successfully authenticated if the subject information in the certificate matches the single expected "
           "subject configured or registered for that particular client"),
    ),
    "DCR-TOK-014": (
        ok("400 invalid_request or 400/401 invalid_client", "RFC 8705 §2", "MUST", "For all requests to the "
           "authorization server utilizing mutual-TLS client authentication, the client MUST include the "
           '"client_id" parameter'),
        no("a token", *_ERROR_400),
        _NOT_A_REFUSAL,
        no("another 4xx or another error code, with an error code (a warning)", "RFC 6749 §5.2", "SHOULD",
           'descriptive, no keyword: "invalid_request: The request is missing a required parameter"; "The '
           'authorization server responds with an HTTP 400 (Bad Request) status code (unless specified otherwise)"'),
    ),
    "DCR-TOK-015": (
        ok("400/401 invalid_client, or a refused TLS handshake", "RFC 8705 §2", "MUST", "In order to utilize TLS for "
           "OAuth client authentication, the TLS connection ... MUST have been established or re-established with "
           "mutual-TLS X.509 certificate authentication"),
        no("a token for no certificate, an untrusted CA or another subject", "RFC 8705 §2, §2.1", "MUST",
           _MTLS_BINDING + " (§2.1) It relies on a validated certificate chain [RFC5280] and a single subject "
           "distinguished name (DN) or a single subject alternative name (SAN) to authenticate the client."),
        _NOT_A_REFUSAL,
        _MTLS_CODE_WARN,
    ),
    "DCR-TOK-016": (
        ok("the registered certificate accepted; others 400/401 invalid_client or a refused handshake",
           "RFC 8705 §2, §2.2", "MUST", _MTLS_BINDING + " (§2.2) The client is successfully authenticated if the "
           "certificate that it presented during the handshake matches one of the certificates configured or "
           "registered for that particular client."),
        no("a token for an unregistered self-signed certificate", "RFC 8705 §2, §2.2", "MUST",
           _MTLS_BINDING + " (§2.2) In contrast to the PKI method, the client's certificate chain is not validated by "
           "the server in this case. The client is successfully authenticated if the certificate that it presented "
           "during the handshake matches one of the certificates configured or registered for that particular "
           "client."),
        _NOT_A_REFUSAL,
        _MTLS_CODE_WARN,
    ),
    "DCR-TOK-017": (
        ok("200 active true, scope with dcr, client_id the main client's or omitted", "RFC 7662 §2.2", "REQUIRED",
           "active REQUIRED ... scope OPTIONAL ... client_id OPTIONAL"),
        no("active false or another client (a warning)", "RFC 7662 §2.2", "SHOULD",
           'descriptive, no keyword: a "true" value return for the "active" property will generally indicate that a given token has been '
           'issued by this authorization server, has not been revoked by the resource owner, and is within its given '
           'time window of validity (the check is SHOULD-level)'),
    ),
})


def _initial(dcr_session, profile, main, **auth):
    return dcr_session.transport.send(initial_token_request(profile, main, **auth))


def _valid_first(dcr_session, profile, main, vector: str) -> None:
    """Send the unmutated request a negative vector changes in one respect: accepted, so the
    refusal that follows is the mutation's doing (a fault here blocks the check)."""
    steps.accepted_control(_initial(dcr_session, profile, main), f"the valid request the {vector} vector mutates")


@check("DCR-TOK-001", "RFC6749-4.4.2", "RFC6749-5.1", "RFC6749-4.4.3")
def test_initial_token_is_issued(dcr_session, profile, main_client):
    """The main client gets a bearer token with the dcr scope, an expiry and no refresh token."""
    ex = _initial(dcr_session, profile, main_client)
    body = token_success(ex, "initial token request", scope_contains="dcr")
    should("refresh_token" not in body, "a refresh_token came with a client_credentials token",
           "no refresh_token (RFC 6749 §4.4.3)", ex)


@check("DCR-TOK-002", "RFC6749-5.1-NOSTORE")
def test_initial_token_response_is_not_cached(dcr_session, profile, main_client):
    """The token response is JSON with Cache-Control: no-store and Pragma: no-cache."""
    ex = _initial(dcr_session, profile, main_client)
    success(ex, 200, "initial token request", requirement=TOKEN_RESPONSE)  # DCR-TOK-001's: blocks this one
    no_store(ex, "initial token response")


@check("DCR-TOK-003", "RFC6749-2.3.1", methods=SECRET_METHODS)
def test_secret_is_form_encoded_before_base64(dcr_session, profile, main_client):
    """Secret clients authenticate with their method, Basic credentials form-urlencoded before base64."""
    ex = _initial(dcr_session, profile, main_client)
    note = ""
    if main_client.auth_method == "client_secret_basic":
        special = sorted(set(main_client.client_secret or "") & set(":+%&= /"))
        note = f" (the secret contains {''.join(special)!r}, encoded per RFC 6749 App. B)" if special else ""
    what = f"{main_client.auth_method} token request{note}"
    status_in(ex, 200, what)  # refused: the credentials were not read as RFC 6749 §2.3.1 encodes them
    token_success(ex, what)


@check("DCR-TOK-004", "RFC6749-5.2", methods=SECRET_METHODS)
def test_wrong_secret_is_invalid_client(dcr_session, profile, main_client):
    """A wrong client secret gets invalid_client (401 with WWW-Authenticate after Basic)."""
    _valid_first(dcr_session, profile, main_client, "wrong-secret")
    ex = _initial(dcr_session, profile, main_client, secret_override="wrong-" + (main_client.client_secret or "")[::-1])
    if main_client.auth_method == "client_secret_basic":
        client_authentication_refused(ex, "wrong secret sent with HTTP Basic", basic=True)
        www_authenticate(ex, "Basic", "wrong secret sent with HTTP Basic")
    else:
        client_authentication_refused(ex, "wrong secret sent in the body", basic=False)


@check("DCR-TOK-005", "RFC6749-2.3.1", level=SHOULD, methods=SECRET_METHODS)
def test_two_authentication_methods_are_refused(dcr_session, profile, main_client):
    """A request using Basic and client_secret_post at once is refused."""
    _valid_first(dcr_session, profile, main_client, "two-methods")
    base = client_credentials(profile.token_endpoint_for(main_client), "dcr")
    both = authenticate(authenticate(base, _as(main_client, "client_secret_basic")),
                        _as(main_client, "client_secret_post"))
    ex = dcr_session.transport.send(both)
    with prerequisite():  # a 5xx is no answer to judge a SHOULD by (an error, not a warning)
        protocol_answer(ex, "Basic and client_secret in the body together")
    refused(ex, "Basic and client_secret in the body together", statuses={400, 401},
            errors={"invalid_request", "invalid_client"})


def _as(client, method):
    return replace(client, auth_method=method)


@check("DCR-TOK-006", "CURITY-DCR-SCOPE", "RFC6749-3.3")
@pytest.mark.parametrize("requested", [None, "openid"], ids=["no-scope", "scope-openid"])
def test_dcr_scope_only_when_requested(dcr_session, profile, main_client, requested):
    """A token requested without the dcr scope does not carry it and cannot register."""
    ex = dcr_session.transport.send(initial_token_request(profile, main_client, scope=requested))
    what = f"token request {'without a scope' if requested is None else f'for scope {requested!r}'}"
    if ex.status != 200:  # refused (e.g. invalid_scope): nothing was granted, if it is a real refusal
        token_refused(ex, what)
        return
    body = granted(ex, what)
    token = body["access_token"]
    dcr_session.transport.redactor.add_secret(token)
    expect("dcr" not in scopes(body.get("scope")), f"the token response's scope is {body.get('scope')!r}",
           "no dcr scope unless requested", ex)
    _, reg = dcr_session.register(token)
    refused(reg, "registration with a token requested without the dcr scope",
            statuses={400, 401, 403}, errors=None)


@check("DCR-TOK-007", "CURITY-DCR-SCOPE", per_profile=True, needs=("unlisted_client",))
def test_unlisted_client_gets_no_dcr_scope(dcr_session, profile):
    """A client no template names is refused the dcr scope, or gets a token that cannot register."""
    ex = _initial(dcr_session, profile, profile.unlisted_client)
    if ex.status != 200:
        refused_as_described(ex, "dcr requested by a client no template names", statuses={400, 401, 403},
                             errors={"invalid_scope", "unauthorized_client", "invalid_client"},
                             described=TOKEN_400_DESCRIBED)
        return
    body = granted(ex, "dcr requested by a client no template names")
    token = body["access_token"]
    dcr_session.transport.redactor.add_secret(token)
    expect("dcr" not in granted_scopes(body, "dcr"),  # an omitted scope is the one requested (§5.1)
           f"the token response to the unlisted client {scope_shown(body, 'dcr')}",
           "invalid_scope, or a token without dcr", ex)
    _, reg = dcr_session.register(token)
    refused(reg, "registration with the unlisted client's token", statuses={400, 401, 403})


@check("DCR-TOK-008", "RFC6749-4.4.2", "RFC6749-5.2")
def test_main_client_without_credentials_is_refused(dcr_session, profile, main_client):
    """The main client id without any credential gets invalid_client and no token."""
    _valid_first(dcr_session, profile, main_client, "no-credentials")
    # The same endpoint as the valid request (an mTLS alias may refuse the handshake without a certificate).
    spec = client_credentials(profile.token_endpoint_for(main_client), "dcr").with_form(client_id=main_client.client_id)
    ex = dcr_session.transport.send(spec)
    if ex.error and ex.error.startswith("TLS handshake refused"):
        return  # RFC 8705: an mTLS alias may refuse the handshake without a certificate
    refused_as_described(ex, "client_id without any client authentication", statuses={400, 401},
                         errors={"invalid_client"}, described=_INVALID_CLIENT_DESCRIBED)


@check("DCR-TOK-009", "RFC7521-4.2", "RFC7523-3", methods=("private_key_jwt",))
def test_private_key_jwt_is_accepted(dcr_session, profile, main_client):
    """A private_key_jwt assertion (iss = sub = client_id, aud = token endpoint, exp, jti) is accepted."""
    _accepted(_initial(dcr_session, profile, main_client), f"private_key_jwt ({main_client.alg}) token request")


def _accepted(ex, what: str) -> dict:
    """The check's own verdict is the acceptance (HTTP 200); the rest of the answer is RFC 6749
    §5.1's (DCR-TOK-001 / DCR-TOK-002 own it: a fault there blocks the check)."""
    status_in(ex, 200, what)
    return token_success(ex, what, scope_contains="dcr")


BAD_ASSERTIONS = ["expired", "no-exp", "wrong-aud", "sub-not-client", "iss-not-sub", "unknown-key",
                  "alg-none", "bad-signature", "crit-unknown", "client-id-mismatch", "two-assertions"]


def _unknown_key(client):
    """A key of the client's kind the server never registered (same alg: only the key differs)."""
    if client.auth_method == "private_key_jwt":
        if (client.alg or key_algs(signing_key(client))[0]).startswith("ES"):
            return unknown_signing_key()
        return unknown_rsa_key()
    return "an-unrelated-shared-secret-of-32-bytes!"


def assertion_vector(profile, client, defect: str, *, now: float | None = None):
    """``(valid, mutated)``: two token requests from one builder, the second with one RFC 7523 §3 /
    RFC 7521 §4.2 fault. What both share (no body ``client_id`` for ``sub-not-client``, whose only
    fault must be the ``sub``; an ``iat`` six minutes back for ``expired``) is in the valid one too."""
    now = time.time() if now is None else now
    common: dict = {"now": now}
    auth: dict = {}
    if defect == "sub-not-client":
        auth["include_client_id"] = False  # RFC 7521 §4.2: client_id is OPTIONAL; a mismatch would be a second fault
    if defect == "expired":
        common["iat"] = int(now) - 360
    mutation = {
        "expired": {"exp": int(now) - 300},
        "no-exp": {"exp": OMIT},
        "wrong-aud": {"aud": "https://attacker.example/token"},
        "sub-not-client": {"sub": "someone-else"},
        "iss-not-sub": {"iss": "someone-else"},
        "unknown-key": {"sign_with": _unknown_key(client)} if defect == "unknown-key" else {},
        "alg-none": {"alg": "none"},
        "bad-signature": {"signature": "broken"},
        # RFC 7515 §4.1.11: an extension the server cannot understand makes the JWS invalid.
        "crit-unknown": {"header": {"crit": ["urn:example:unknown"], "urn:example:unknown": True}},
    }.get(defect, {})
    valid = initial_token_request(profile, client, assertion_overrides=dict(common), **auth)
    if defect == "client-id-mismatch":
        return valid, initial_token_request(profile, client, assertion_overrides=dict(common)).with_form(
            client_id="another-client")
    if defect == "two-assertions":
        mutated = initial_token_request(profile, client, assertion_overrides=dict(common))
        second = initial_token_request(profile, client, assertion_overrides=dict(common)).form_value("client_assertion")
        return valid, mutated.add_form("client_assertion", second)
    return valid, initial_token_request(profile, client, assertion_overrides={**common, **mutation}, **auth)


@check("DCR-TOK-010", "RFC7523-3", "RFC7521-4.2", "RFC7515-4.1.11", methods=JWT_METHODS)
@pytest.mark.parametrize("defect", BAD_ASSERTIONS)
def test_invalid_client_assertion_is_refused(dcr_session, profile, main_client, defect):
    """Each invalid client assertion is refused with invalid_client (invalid_request for two assertions)."""
    errors = {"invalid_client"} | ({"invalid_request"} if defect in ("client-id-mismatch", "two-assertions") else set())
    valid, mutated = assertion_vector(profile, main_client, defect)
    # The unmutated request first: accepted, so the refusal below is the mutation's doing.
    # RFC 7521 §4.2 / RFC 7523 §3, this check's own: a valid assertion (also without client_id) authenticates.
    status_in(dcr_session.transport.send(valid), 200, f"the valid request the {defect!r} vector mutates")
    ex = dcr_session.transport.send(mutated)
    what = f"client assertion with defect {defect!r}"
    code = refused_as_described(ex, what, statuses={400, 401}, errors=errors, described=INVALID_CLIENT_DESCRIBED)
    if defect not in ("client-id-mismatch", "two-assertions"):  # an invalid assertion: the code is a MUST
        expect(code == "invalid_client", f"{what}: error {code!r}", _ASSERTION_CODE, ex)


@check("DCR-TOK-011", "OIDC-CORE-9", "RFC7523-3", level=SHOULD, methods=JWT_METHODS, claims=("jwt_replay_rejected",))
def test_replayed_assertion_is_refused(dcr_session, profile, main_client):
    """The same assertion (same jti) is accepted once and refused the second time."""
    spec = initial_token_request(profile, main_client)
    first = dcr_session.transport.send(spec)
    with prerequisite():  # the legitimate first use; only the replay's refusal is the SHOULD
        granted(first, "first use of the assertion")
    replay = dcr_session.transport.send(spec.copy())
    with prerequisite():  # a 5xx is no answer to judge a SHOULD by (an error, not a warning)
        protocol_answer(replay, "second use of the same assertion (same jti)")
    refused(replay, "second use of the same assertion (same jti)", statuses={400, 401},
            errors={"invalid_client", "invalid_grant"})


@check("DCR-TOK-012", "RFC7523-3", methods=("client_secret_jwt",))
def test_client_secret_jwt_is_accepted(dcr_session, profile, main_client):
    """A client_secret_jwt assertion MACed with HS256 and the shared secret is accepted."""
    _accepted(_initial(dcr_session, profile, main_client), "client_secret_jwt token request")


@check("DCR-TOK-013", "RFC8705-2", methods=("tls_client_auth",))
def test_tls_client_auth_is_accepted(dcr_session, profile, main_client):
    """A CA-issued client certificate with the registered subject, plus client_id, is accepted."""
    _accepted(_initial(dcr_session, profile, main_client), "tls_client_auth token request")


@check("DCR-TOK-014", "RFC8705-2", methods=MTLS_METHODS)
def test_mtls_without_client_id_is_refused(dcr_session, profile, main_client):
    """A mutual-TLS request without the client_id parameter is refused."""
    _valid_first(dcr_session, profile, main_client, "no-client-id")
    spec = initial_token_request(profile, main_client).without_form("client_id")
    refused_as_described(dcr_session.transport.send(spec), "mTLS token request without client_id", statuses={400, 401},
                         errors={"invalid_request", "invalid_client"}, described=TOKEN_400_DESCRIBED)


@check("DCR-TOK-015", "RFC8705-2", methods=("tls_client_auth",))
@pytest.mark.parametrize("certificate", ["none", "untrusted-ca", "wrong-dn"])
def test_mtls_certificate_binding_is_enforced(dcr_session, profile, main_client, certificate):
    """No certificate, one from an untrusted CA with the right DN, or a trusted one with another DN is refused."""
    _valid_first(dcr_session, profile, main_client, f"{certificate} certificate")
    spec = initial_token_request(profile, main_client)
    if certificate == "none":
        spec.identity = None
    elif certificate == "untrusted-ca":
        spec.identity = (TlsIdentity(main_client.untrusted_certificate, main_client.untrusted_private_key)
                         if main_client.untrusted_certificate else
                         TlsIdentity(*rogue_certificate_like(main_client.certificate)))
    else:
        if main_client.other_certificate is None:
            pytest.skip("not claimed by profile: no other_certificate for the wrong-DN negative")
        spec.identity = TlsIdentity(main_client.other_certificate, main_client.other_private_key)
    _mtls_refused(dcr_session.transport.send(spec), f"tls_client_auth with certificate {certificate!r}")


def _mtls_refused(ex, what: str) -> None:
    """A failed mutual-TLS authentication: a refused handshake, or a refusal with an error code (RFC 8705 §2
    describes invalid_client and RFC 6749 §5.2 its 400/401: another code or 4xx warns)."""
    if ex.error and ex.error.startswith("TLS handshake refused"):
        return  # RFC 8705 negatives: a refused handshake is as good as invalid_client
    refused_as_described(ex, what, statuses={400, 401}, errors={"invalid_client"}, described=_MTLS_DESCRIBED)


@check("DCR-TOK-016", "RFC8705-2.2", methods=("self_signed_tls_client_auth",))
def test_only_the_registered_self_signed_certificate_works(dcr_session, profile, main_client):
    """The pinned self-signed certificate is accepted and another self-signed certificate is refused."""
    _accepted(_initial(dcr_session, profile, main_client), "the registered self-signed certificate")
    # The profile's other certificate may pass the TLS layer (a server that trusts several pinned
    # certificates there), so the application's match is tested; a forged one only tests TLS.
    others = [("a forged self-signed certificate", TlsIdentity(*unregistered_self_signed()))]
    if main_client.other_certificate is not None:
        others.insert(0, ("the profile's other self-signed certificate",
                          TlsIdentity(main_client.other_certificate, main_client.other_private_key)))
    for what, identity in others:
        spec = initial_token_request(profile, main_client)
        spec.identity = identity
        _mtls_refused(dcr_session.transport.send(spec), what)


@check("DCR-TOK-017", "RFC7662-2.2", level=SHOULD, claims=("introspection",), needs=("introspector",))
def test_initial_token_introspects_as_dcr(dcr_session, main_client, initial_token):
    """Introspection shows the initial token active, with the dcr scope, issued to the main client."""
    ex = dcr_session.introspect(initial_token)
    body = success(ex, 200, "introspection of the initial token")
    expect(body.get("active") is True, f"active is {body.get('active')!r}", "active: true", ex)
    expect("dcr" in scopes(body.get("scope")), f"scope is {body.get('scope')!r}", "a scope containing dcr", ex)
    expect(body.get("client_id") in (None, main_client.client_id), f"client_id is {body.get('client_id')!r}",
           f"the main client's id {main_client.client_id!r}", ex)
