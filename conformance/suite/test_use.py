"""Step 3: the per-device client's own token requests (RFC 6749 §4.4, DPoP RFC 9449) and their use."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit, urlunsplit

import pytest

from conformance.client.jose import DpopKey, strip_query
from conformance.client.token import access_token_of, initial_token_request
from conformance.client.use import dynamic_token_request, resource_request, send_with_nonce_retry
from conformance.oracles.expect import (refused_as_described, TOKEN_ERRORS, expect, json_object, refused, status_in, success,
                                        www_authenticate)
from conformance.oracles.expect import DPOP_DESCRIBED, TOKEN_400_DESCRIBED
from conformance.oracles.token_response import scopes, token_success
from conformance.requirements import SHOULD
from conformance.suite import code_flow, steps
from conformance.suite.check import check
from conformance.catalogue import allowed as ok, declare_answers, forbidden as no


# The answers the specs allow and forbid, per check (rendered into docs/catalogue.md).
_PROOF = ("RFC 9449 §4.3", "MUST", "To validate a DPoP proof, the receiving server MUST ensure the following: ... "
          "The typ JOSE Header Parameter has the value dpop+jwt. The alg JOSE Header Parameter indicates a registered "
          "asymmetric digital signature algorithm [IANA.JOSE.ALGS], is not none ... The JWT signature verifies with "
          "the public key contained in the jwk JOSE Header Parameter. ... The htm claim matches the HTTP method of the "
          "current request. The htu claim matches the HTTP URI value for the HTTP request in which the JWT was "
          "received ... The creation time of the JWT, as determined by either the iat claim or a server managed "
          "timestamp via the nonce claim, is within an acceptable window")
_BOUND = ("RFC 9449 §7.1", "MUST", "a resource server MUST check that a DPoP proof was also received in the DPoP header "
          "field of the HTTP request, check the DPoP proof according to the rules in Section 4.3, and check that the "
          "public key of the DPoP proof matches the public key to which the access token is bound per Section 6. "
          "(§4.3: ensure that the value of the ath claim equals the hash of that access token)")
_DPOP_CODE_WARN = ("RFC 9449 §5", "SHOULD", "descriptive, no keyword: \"If the DPoP proof is invalid, the authorization "
                   "server issues an error response per Section 5.2 of [RFC6749] with invalid_dpop_proof as the value "
                   "of the error parameter.\"")
_CODE_REQUIRED = ("RFC 6749 §5.2", "REQUIRED", "error REQUIRED. A single ASCII [USASCII] error code from the following")
#: A rejection whose code or status is only described: a warning; a non-refusal still fails.
_NONCE_DESCRIBED = ('RFC 9449 §8 "the authorization server responds to requests that do not include a nonce with an '
                    'HTTP 400 (Bad Request) error response per Section 5.2 of [RFC6749] using use_dpop_nonce as the '
                    'error code value"')
DPOP_REFUSAL = (
    no("a 5xx, an HTML page, a refusal without an error code", *_CODE_REQUIRED),
    no("another 4xx or another error code than the ones named, with an error code (a warning)", *_DPOP_CODE_WARN),
)
ANSWERS = declare_answers({
    "DCR-USE-001": (
        ok("200 with an access_token, token_type DPoP (DPoP) or Bearer, any case", "RFC 9449 §5", "MUST",
           "A token_type of DPoP MUST be included in the access token response to signal to the client that the "
           "access token was bound to its DPoP key"),
        no("no access_token, or Bearer for a DPoP-bound token", "RFC 6749 §5.1", "REQUIRED",
           "access_token REQUIRED ... token_type REQUIRED"),
    ),
    "DCR-USE-002": (
        ok("400/401 with any RFC 6749 §5.2 error (invalid_grant included) or invalid_dpop_proof", "RFC 9449 §5.2",
           "MUST", "If the value is true, the authorization server MUST reject token requests from the client that do "
           "not contain the DPoP header (no error code is named)"),
        no("a token without a proof", "RFC 9449 §5.2", "MUST", "MUST reject token requests from the client that do not "
           "contain the DPoP header"),
        *DPOP_REFUSAL,
    ),
    "DCR-USE-003": (
        ok("400/401 invalid_dpop_proof (invalid_request for two DPoP headers)", *_PROOF),
        ok("use_dpop_nonce for a proof with a stale or future iat and no nonce (the nonce stands for freshness; the "
           "proof is not retried with one)", "RFC 9449 §4.3", "MUST", "To validate a DPoP proof, the receiving "
           "server MUST ensure the following: ... The creation time of the JWT, as determined by either the iat "
           "claim or a server managed timestamp via the nonce claim, is within an acceptable window"),
        no("a token for an invalid proof", *_PROOF),
        *DPOP_REFUSAL,
    ),
    "DCR-USE-004": (
        ok("400 use_dpop_nonce with one DPoP-Nonce; the retry with it succeeds", "RFC 9449 §8", "MUST",
           "the authorization server responds to requests that do not include a nonce with an HTTP 400 (Bad Request) "
           "error response per Section 5.2 of [RFC6749] using use_dpop_nonce as the error code value. The "
           "authorization server includes a DPoP-Nonce HTTP header in the response ... there MUST NOT be more than one "
           "DPoP-Nonce header."),
        no("no refusal of a proof without a nonce, several DPoP-Nonce headers, the retry refused", "[claims] dpop_nonce",
           "claim", "the token endpoint requires server nonces"),
        no("a 5xx, an HTML page, a refusal without an error code", *_CODE_REQUIRED),
        no("another 4xx than 400 or another code than use_dpop_nonce, with an error code (a warning)", "RFC 9449 §8",
           "SHOULD", "descriptive, no keyword: \"the authorization server responds to requests that do not include a "
           "nonce with an HTTP 400 (Bad Request) error response per Section 5.2 of [RFC6749] using use_dpop_nonce as "
           "the error code value.\""),
    ),
    "DCR-USE-005": (
        ok("200 at the resource", *_BOUND),
        no("a refusal of the bound token with a correct proof", *_BOUND),
    ),
    "DCR-USE-006": (
        ok("401", "RFC 9449 §7.2", "MUST", "Specifically, such a protected resource MUST reject a DPoP-bound access "
           "token received as a bearer token per [RFC6750]."),
        no("200 for the bound token as Bearer", *_BOUND),
    ),
    "DCR-USE-007": (
        ok("401 for a proof by another key or with a wrong ath", *_BOUND),
        no("200", *_BOUND),
    ),
    "DCR-USE-008": (
        ok("401 use_dpop_nonce with one new DPoP-Nonce; the retry succeeds", "RFC 9449 §9", "descriptive",
           "Resource servers use an HTTP 401 (Unauthorized) error code with an accompanying WWW-Authenticate: DPoP "
           "value and DPoP-Nonce value to accomplish this."),
        no("the call accepted without a current nonce", "[claims] resource_dpop_nonce", "claim",
           "the resource requires server nonces"),
    ),
    "DCR-USE-009": (
        ok("a refusal (400/401/403 with an error) or a token without the attestation-only scopes", "RFC 6749 §3.3",
           "MAY", "The authorization server MAY fully or partially ignore the scope requested by the client"),
        no("the main client granted the [use] scope without attestation", "[claims] main_client_requires_attestation",
           "claim", "only the per-device client goes without attestation (CURITY-FALLBACK-ATTEST)"),
        no("a 5xx, an HTML page, a refusal without an error code", "RFC 6749 §5.2", "REQUIRED",
           "error REQUIRED. A single ASCII [USASCII] error code from the following"),
        no("another 4xx or another error code, with an error code (a warning)", "RFC 6749 §5.2", "SHOULD",
           'descriptive, no keyword: "The authorization server responds with an HTTP 400 (Bad Request) status code '
           '(unless specified otherwise)" and the codes "from the following", each described by what it means'),
    ),
    "DCR-USE-010": (
        ok("401 invalid_client (Basic), 400/401 invalid_client (other methods)", "RFC 6749 §5.2", "MUST",
           "If the client attempted to authenticate via the \"Authorization\" request header field, the authorization "
           "server MUST respond with an HTTP 401"),
        no("a token", "RFC 6749 §4.4.2", "MUST", "The authorization server MUST authenticate the client."),
        no("400 after Basic, a 5xx, an HTML page, a refusal without an error code", "RFC 6749 §5.2", "MUST",
           "If the client attempted to authenticate via the \"Authorization\" request header field, the authorization "
           "server MUST respond with an HTTP 401 (Unauthorized) status code ... error REQUIRED."),
        no("another 4xx or another error code, with an error code (a warning)", "RFC 6749 §5.2", "SHOULD",
           'descriptive, no keyword: "invalid_client: Client authentication failed"'),
    ),
    "DCR-USE-011": (
        ok("400/401/403 invalid_scope (or unauthorized_client, invalid_request)", "RFC 6749 §5.2", "REQUIRED",
           "error REQUIRED. ... invalid_scope: The requested scope is invalid, unknown, malformed, or exceeds the "
           "scope granted"),
        ok("200 with a narrower scope, named in the response", "RFC 6749 §3.3", "MUST", "If the issued access token "
           "scope is different from the one requested by the client, the authorization server MUST include the \"scope\" "
           "response parameter"),
        no("dcr or a scope outside the template granted, or scope omitted when it differs", "RFC 6749 §3.3", "MUST",
           "MUST include the \"scope\" response parameter to inform the client of the actual scope granted"),
        no("a 5xx, an HTML page, a refusal without an error code", "RFC 6749 §5.2", "REQUIRED",
           "error REQUIRED. A single ASCII [USASCII] error code from the following"),
        no("another 4xx or another error code, with an error code (a warning)", "RFC 6749 §5.2", "SHOULD",
           'descriptive, no keyword: "invalid_scope: The requested scope is invalid, unknown, malformed, or exceeds '
           'the scope granted by the resource owner"'),
    ),
    "DCR-USE-012": (
        ok("the refresh with another key refused, or (refresh tokens not bound) a token bound to that key",
           "RFC 9449 §5", "descriptive", "Refresh tokens issued to confidential clients ... are not bound to the DPoP proof "
           "public key because they are already sender-constrained with a different existing mechanism."),
        no("the state changed, the code exchange or the same-key refresh refused", "RFC 6749 §4.1.2", "REQUIRED",
           "state REQUIRED if the \"state\" parameter was present in the client authorization request. The exact value "
           "received from the client."),
        no("a refresh by another key accepted when refresh tokens are claimed bound", "[claims] refresh_token_dpop_bound",
           "claim", "refresh tokens are bound to the DPoP key"),
        *DPOP_REFUSAL,
    ),
    "DCR-USE-013": (
        ok("active true, client_id the client's or omitted, cnf.jkt the key's thumbprint or omitted", "RFC 7662 §2.2",
           "OPTIONAL", "client_id OPTIONAL ... (cnf: RFC 9449 §6.2)"),
        no("inactive, another client, another key (a warning)", "RFC 9449 §6.2", "SHOULD",
           "descriptive, no keyword: The hash is conveyed using the same cnf content with jkt member structure as the JWK Thumbprint "
           "confirmation method, described in Section 6.1, as a top-level member of the introspection response JSON. "
           "(the check is SHOULD-level)"),
    ),
})


def _token_type(profile) -> str:
    return "DPoP" if profile.use.dpop else "Bearer"


def proof_vector(key: DpopKey, url: str, proof: str | None, nonce: str | None = None, *, now: float | None = None):
    """The ``DPoP`` header value(s) of the dynamic client's token request: one valid proof when
    ``proof`` is None, else the same proof with one fault of :data:`BAD_PROOFS`, with a nonce the
    server never issued (:data:`MADE_UP_NONCE`), or with its htu in a form of :data:`HTU_FORMS`."""
    if proof == MADE_UP_NONCE:
        return key.proof("POST", url, nonce="made-up-" + secrets.token_urlsafe(16), now=now)
    if proof in HTU_FORMS:
        htu = HTU_FORMS[proof](strip_query(url))
        if htu is None:
            raise ValueError(f"{proof}: no such form of {url}")
        return key.proof("POST", url, nonce=nonce, now=now, htu=htu)
    overrides = dict(BAD_PROOFS[proof]) if proof is not None else {}
    two = overrides.pop("_two_headers", False)
    value = key.proof("POST", url, nonce=nonce, now=now, **overrides)
    return [value, key.proof("POST", url, nonce=nonce, now=now)] if two else value


def send_proof(dcr_session, dyn, proof: str | None, *, retry: bool = True):
    """The dynamic client's token request with :func:`proof_vector`'s proof: a ``use_dpop_nonce``
    answer retried once with the server's nonce, or, with ``retry`` false, sent once without one."""
    key = dcr_session.dpop_key(dyn)
    url = dcr_session.profile.token_endpoint_for(dyn)

    def build(nonce):
        spec = dynamic_token_request(dcr_session.profile, dyn)
        spec.headers["DPoP"] = proof_vector(key, url, proof, nonce)
        return spec

    return send_with_nonce_retry(dcr_session.transport, build) if retry else dcr_session.transport.send(build(None))


@check("DCR-USE-001", "RFC6749-5.1", "RFC6749-5.1-NOSTORE", "RFC9449-5", "RFC9449-8")
def test_dynamic_client_gets_tokens(dcr_session, profile, registered):
    """The dynamic client gets an access token for the template scope (DPoP-bound when DPoP is used)."""
    ex = dcr_session.use(registered)
    token_success(ex, "the dynamic client's token request", token_type=_token_type(profile))


@check("DCR-USE-002", "RFC9449-4.3", needs=("dpop",))
def test_token_request_without_proof_is_refused(dcr_session, registered):
    """Without a DPoP header the dynamic client's token request is refused."""
    spec = dynamic_token_request(dcr_session.profile, registered)
    # RFC 9449 §5.2: the server "MUST reject token requests from the client that do not contain the
    # DPoP header" and names no error code: any RFC 6749 §5.2 code (invalid_grant too: for this grant
    # the client's credentials are the grant, §1.3.4), or RFC 9449 §5's invalid_dpop_proof.
    # The rejection is the MUST; the status and code are what RFC 6749 §5.2 / RFC 9449 §5 describe.
    refused_as_described(dcr_session.transport.send(spec), "token request without a DPoP proof", statuses={400, 401},
                         errors=TOKEN_ERRORS | {"invalid_dpop_proof"}, described=DPOP_DESCRIBED)


BAD_PROOFS = {
    "typ-jwt": {"header": {"typ": "JWT"}},
    "alg-none": {"alg": "none"},
    "alg-hs256": {"alg": "HS256"},
    "private-jwk": {"private_jwk_in_header": True},
    "htm-get": {"htm": "GET"},
    "htu-other": {"htu": "https://attacker.example/token"},
    "iat-past": {"iat_offset_s": -600},
    "iat-future": {"iat_offset_s": 600},
    "bad-signature": {"signature": "broken"},
    "crit-unknown": {"header": {"crit": ["urn:example:unknown"], "urn:example:unknown": True}},  # RFC 7515 §4.1.11
    "two-headers": {"_two_headers": True},
}


#: A proof whose nonce the server never issued (RFC 9449 §8: the request MUST be rejected).
MADE_UP_NONCE = "nonce-made-up"


def _scheme_upper(url: str) -> str | None:
    return url.split(":", 1)[0].upper() + ":" + url.split(":", 1)[1]


def _host_upper(url: str) -> str | None:
    parts = urlsplit(url)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if parts.hostname is None or parts.hostname.startswith("[") or ":" in parts.hostname \
            or not any(c.isalpha() for c in parts.hostname):
        return None  # an IP address has no case to change
    host, colon, port = hostport.partition(":")
    return urlunsplit(parts._replace(netloc=userinfo + at + host.upper() + colon + port))


def _percent_encoded(url: str) -> str | None:
    parts = urlsplit(url)
    at = next((i for i, c in enumerate(parts.path) if c.isalnum()), None)
    if at is None:
        return None
    path = parts.path[:at] + f"%{ord(parts.path[at]):02X}" + parts.path[at + 1:]
    return urlunsplit(parts._replace(path=path))


def _default_port(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme.lower() != "https" or parts.port not in (None, 443):
        return None
    host = parts.netloc.rsplit(":", 1)[0] if parts.port == 443 else parts.netloc
    return urlunsplit(parts._replace(netloc=host if parts.port == 443 else host + ":443"))


#: htu forms the request's URL takes after RFC 3986 normalization (RFC 9449 §4.3: servers SHOULD
#: normalize before comparing): name -> the form of a URL, None where it has no such form.
HTU_FORMS = {
    "htu-scheme-upper": _scheme_upper,       # §6.2.2.1: the scheme is case-insensitive
    "htu-host-upper": _host_upper,           # §6.2.2.1: the host is case-insensitive
    "htu-percent-encoded": _percent_encoded,  # §6.2.2.2: an unreserved character percent-encoded
    "htu-default-port": _default_port,       # §6.2.3: the scheme's default port explicit (or omitted)
}


#: Proof defects a server nonce may stand in for (RFC 9449 §4.3 check 11, §11.1).
NONCE_STANDS_FOR_IAT = ("iat-past", "iat-future")


@check("DCR-USE-003", "RFC9449-4.3", "RFC9449-5", "RFC7515-4.1.11", needs=("dpop",))
@pytest.mark.parametrize("proof", list(BAD_PROOFS))
def test_invalid_dpop_proof_is_refused(dcr_session, registered, proof):
    """Each invalid DPoP proof gets 400 invalid_dpop_proof (invalid_request for two DPoP headers)."""
    # The unmutated request first: accepted, so the refusal below is the mutation's doing.
    # RFC 9449 §4.3, this check's own: the valid proof is accepted.
    status_in(send_proof(dcr_session, registered, None), 200, f"the valid request the {proof!r} vector mutates")
    errors = {"invalid_dpop_proof"} | ({"invalid_request"} if proof == "two-headers" else set())
    if proof in NONCE_STANDS_FOR_IAT and dcr_session.profile.claims.dpop_nonce:
        # RFC 9449 §4.3 check 11: the creation time is "determined by either the iat claim or a server
        # managed timestamp via the nonce claim": with a server nonce the proof is not retried with one
        # (the nonce could make it acceptable); its refusal without one, use_dpop_nonce included, is the verdict.
        ex = send_proof(dcr_session, registered, proof, retry=False)
        errors |= {"use_dpop_nonce"}
    else:
        ex = send_proof(dcr_session, registered, proof)
    refused_as_described(ex, f"DPoP proof with defect {proof!r}", statuses={400, 401}, errors=errors,
                         described=DPOP_DESCRIBED)


@check("DCR-USE-004", "RFC9449-8", needs=("dpop",), claims=("dpop_nonce",))
def test_server_nonce_is_required_and_honoured(dcr_session, registered):
    """A proof without the server's nonce gets 400 use_dpop_nonce with one DPoP-Nonce; the retry succeeds."""
    key = dcr_session.dpop_key(registered)
    spec = dynamic_token_request(dcr_session.profile, registered, dpop_key=key)
    first = dcr_session.transport.send(spec)
    refused_as_described(first, "proof without a nonce", statuses={400}, errors={"use_dpop_nonce"},
                         described=_NONCE_DESCRIBED)
    nonces = first.headers_all("dpop-nonce")
    expect(len(nonces) == 1, f"{len(nonces)} DPoP-Nonce headers", "exactly one DPoP-Nonce header", first)
    retry = dcr_session.transport.send(dynamic_token_request(dcr_session.profile, registered, dpop_key=key, nonce=nonces[0]))
    status_in(retry, 200, "retry with the server's nonce")  # RFC 9449 §8: the proof with the nonce is accepted
    token_success(retry, "retry with the server's nonce", token_type="DPoP")


def _bound_token(dcr_session, dyn):
    """The dynamic client's token (setup: a fault of its response blocks the check)."""
    body = steps.setup_use(dcr_session, dyn)
    return body["access_token"], body["token_type"]


@check("DCR-USE-005", "RFC9449-7.1", needs=("dpop", "resource_url"))
def test_bound_token_works_at_the_resource(dcr_session, registered):
    """The DPoP-bound token with a proof by its key and the right ath is accepted by the resource."""
    token, token_type = _bound_token(dcr_session, registered)
    status_in(dcr_session.call_resource(registered, token, token_type), 200, "resource call with the bound token")


@check("DCR-USE-006", "RFC9449-7.1", needs=("dpop", "resource_url"))
def test_bound_token_as_bearer_is_refused(dcr_session, profile, registered):
    """The DPoP-bound token presented as a plain bearer token is refused with 401."""
    token, _ = _bound_token(dcr_session, registered)
    spec = resource_request(profile.use.resource_url, token, "Bearer", None)
    status_in(dcr_session.transport.send(spec), 401, "the DPoP-bound token sent as Bearer without a proof")


@check("DCR-USE-007", "RFC9449-7.1", "RFC9449-4.3", needs=("dpop", "resource_url"))
@pytest.mark.parametrize("proof", ["other-key", "wrong-ath"])
def test_resource_checks_the_binding(dcr_session, profile, registered, proof):
    """A resource call whose proof is by another key, or carries a wrong ath, is refused with 401."""
    token, token_type = _bound_token(dcr_session, registered)
    url = profile.use.resource_url
    key = DpopKey.generate() if proof == "other-key" else dcr_session.dpop_key(registered)

    def build(nonce):
        spec = resource_request(url, token, token_type, key, nonce=nonce)
        if proof == "wrong-ath":
            spec.headers["DPoP"] = key.proof("GET", url, nonce=nonce, access_token="another-" + token)
        return spec

    status_in(send_with_nonce_retry(dcr_session.transport, build), 401, f"resource call with proof defect {proof!r}")


@check("DCR-USE-008", "RFC9449-9", needs=("dpop", "resource_url"), claims=("resource_dpop_nonce",),
       per_profile=True)
@pytest.mark.parametrize("nonce", ["no-nonce", "unknown-nonce"])
def test_resource_demands_a_fresh_nonce(dcr_session, profile, registered, nonce):
    """A resource call whose proof lacks a current server nonce gets 401 use_dpop_nonce with a new DPoP-Nonce; the retry succeeds."""
    token, token_type = _bound_token(dcr_session, registered)
    key, url = dcr_session.dpop_key(registered), profile.use.resource_url
    # A nonce the server never issued stands in for a stale one: RFC 9449 §9 treats both alike.
    sent = None if nonce == "no-nonce" else "stale-" + secrets.token_urlsafe(16)
    first = dcr_session.transport.send(resource_request(url, token, token_type, key, nonce=sent))
    what = f"resource call with {'no nonce' if sent is None else 'a nonce the server never issued'}"
    status_in(first, 401, what)
    www_authenticate(first, "DPoP", what, error="use_dpop_nonce")
    nonces = first.headers_all("dpop-nonce")
    expect(len(nonces) == 1 and nonces[0] != sent, f"{what}: DPoP-Nonce headers {len(nonces)}",
           "exactly one new DPoP-Nonce header", first)
    retry = dcr_session.transport.send(resource_request(url, token, token_type, key, nonce=nonces[0]))
    status_in(retry, 200, "resource call retried with the server's nonce")


@check("DCR-USE-009", "CURITY-FALLBACK-ATTEST", claims=("main_client_requires_attestation",))
def test_only_the_dynamic_client_goes_without_attestation(dcr_session, profile, target, registered):
    """Without attestation the main client is refused the [use] scope (DPoP proof included), while the dynamic client gets it."""
    key = DpopKey.generate()  # a proof as the SDK would send it; the refusal must not hinge on DPoP
    url = profile.token_endpoint_for(target.main)

    def build(nonce):
        spec = initial_token_request(profile, target.main, profile.use.scope)
        if profile.use.dpop:
            spec.headers["DPoP"] = key.proof("POST", url, nonce=nonce)
        return spec

    ex = send_with_nonce_retry(dcr_session.transport, build)
    dcr_session.transport.redactor.add_secret(access_token_of(ex))
    wanted = scopes(profile.use.scope)
    if ex.status == 200:  # RFC 6749 §3.3: the scope may be narrowed instead of refused
        body = json_object(ex, "the main client's token request for the [use] scope")
        expect(not wanted & scopes(body.get("scope")) if "scope" in body else False,
               _issued_scope(body, wanted, "to the main client without attestation"),
               "a refusal, or none of the attestation-only scopes", ex)
    else:
        refused_as_described(ex, "the main client's token request for the [use] scope without attestation",
                             statuses={400, 401, 403}, errors={"unauthorized_client", "invalid_client", "invalid_scope",
                                                               "access_denied", "invalid_request"},
                             described=TOKEN_400_DESCRIBED)
    token_success(dcr_session.use(registered), "the dynamic client's token request", token_type=_token_type(profile),
                  requirement="CURITY-FALLBACK-ATTEST")


def _issued_scope(body: dict, asked: set[str], whom: str) -> str:
    """What a 200 token response says was issued (RFC 6749 §5.1): its scope, or, when omitted,
    the requested scope, which the check cannot tell from what was really issued."""
    if "scope" in body:
        return f"the token response {whom} names scope {body.get('scope')!r}"
    return (f"the token response {whom} omits scope, which RFC 6749 §5.1 reads as {' '.join(sorted(asked))!r} "
            "issued as requested: scope omitted although the issued scope may differ (then it is REQUIRED)")


@check("DCR-USE-010", "RFC6749-5.2")
def test_wrong_dynamic_secret_is_invalid_client(dcr_session, registered):
    """The dynamic client with a wrong secret gets invalid_client."""
    if not registered.client_secret:
        pytest.skip("not claimed by profile: the template issues no client_secret")
    ex = dcr_session.use(registered, secret_override="wrong-" + secrets.token_urlsafe(12))
    what = "the dynamic client's token request with a wrong secret"
    basic = registered.auth_method == "client_secret_basic"
    refused_as_described(ex, what, statuses={401} if basic else {400, 401}, errors={"invalid_client"},
                         described='RFC 6749 §5.2 "invalid_client: Client authentication failed"')
    expect(not basic or ex.status == 401, f"{what}: HTTP {ex.status} after HTTP Basic",
           'HTTP 401 (RFC 6749 §5.2: "If the client attempted to authenticate via the \"Authorization\" request '
           'header field, the authorization server MUST respond with an HTTP 401")', ex)


@check("DCR-USE-011", "RFC6749-3.3", "CURITY-DCR-SCOPE", "CURITY-TEMPLATE-1")
@pytest.mark.parametrize("asked", ["dcr", "outside-template"])
def test_dynamic_client_gets_nothing_beyond_the_template(dcr_session, profile, registered, asked):
    """The dynamic client asking for dcr or a scope outside the template gets neither."""
    scope = "dcr" if asked == "dcr" else "outside-" + secrets.token_hex(3)
    ex = dcr_session.use(registered, scope=scope)
    if ex.status != 200:
        refused_as_described(ex, f"the dynamic client asking for {scope!r}", statuses={400, 401, 403},
                             errors={"invalid_scope", "unauthorized_client", "invalid_request"},
                             described=TOKEN_400_DESCRIBED)
        return
    body = json_object(ex, f"the dynamic client asking for {scope!r}")
    # RFC 6749 §5.1: an omitted scope means "identical to the scope requested".
    expect("scope" in body and scope not in scopes(body.get("scope")),
           _issued_scope(body, {scope}, f"to the dynamic client asking for {scope!r}"),
           f"no {scope!r} (outside the template)", ex)
    if asked == "dcr":
        _, reg = dcr_session.register(access_token_of(ex))
        refused(reg, "registration with the dynamic client's token", statuses={400, 401, 403})


@check("DCR-USE-012", "RFC6749-4.1.3", "RFC6749-6", "RFC9449-5", "CURITY-HAAPI-BINDING",
       claims=("code_flow",), needs=("dpop",), per_profile=True)
def test_code_flow_tokens_are_bound_to_the_dpop_key(dcr_session, profile, registered):
    """The HAAPI code flow ends in a DPoP-bound code exchange, and only the same DPoP key refreshes (when bound)."""
    result, pkce, state = code_flow.authorize(dcr_session, registered)
    expect(result.state == state, f"the authorization response's state is {result.state!r}",
           "the request's state, unchanged (RFC 6749 §4.1.2)", result.exchanges[-1])
    tokens = code_flow.exchange(dcr_session, registered, result, pkce, "code exchange with the HAAPI DPoP key")
    same = dcr_session.refresh(registered, tokens["refresh_token"])
    refreshed = token_success(same, "refresh with the same DPoP key", token_type="DPoP", requirement="RFC6749-6")
    refresh_token = refreshed.get("refresh_token") or tokens["refresh_token"]  # rotated, or kept
    other = DpopKey.generate()
    ex = dcr_session.refresh(registered, refresh_token, key=other)
    what = "refresh with a proof by another DPoP key"
    if profile.claims.refresh_token_dpop_bound or ex.status != 200:
        refused_as_described(ex, what, statuses={400, 401}, errors={"invalid_dpop_proof", "invalid_grant"},
                             described=DPOP_DESCRIBED)
        return
    # RFC 9449 §5: a confidential client's refresh token need not be bound; the new token is then
    # bound to the key of this refresh's proof.
    body = token_success(ex, what, token_type="DPoP", requirement="RFC9449-5")
    if profile.claims.introspection and profile.introspector is not None:
        introspection = dcr_session.introspect(body["access_token"])
        cnf = (introspection.json() or {}).get("cnf")
        if isinstance(cnf, dict) and "jkt" in cnf:
            expect(cnf["jkt"] == other.thumbprint, f"{what}: the new access token is bound to another key",
                   "cnf.jkt = the thumbprint of the refresh's proof key (RFC 9449 §6)", ex, introspection)


@check("DCR-USE-013", "RFC7662-2.2", "RFC9449-5", level=SHOULD, claims=("introspection",), needs=("introspector",))
def test_dynamic_token_introspects_to_the_client(dcr_session, registered):
    """Introspection shows the dynamic client's token active, issued to it, bound to its DPoP key."""
    token, _ = _bound_token(dcr_session, registered)
    ex = dcr_session.introspect(token)
    body = success(ex, 200, "introspection of the dynamic client's token")
    expect(body.get("active") is True, f"active is {body.get('active')!r}", "active: true", ex)
    expect(body.get("client_id") in (None, registered.client_id), f"client_id is {body.get('client_id')!r}",
           "the dynamic client's id", ex)
    cnf = body.get("cnf")
    key = dcr_session.dpop_key(registered)
    if isinstance(cnf, dict) and key is not None and "jkt" in cnf:
        expect(cnf["jkt"] == key.thumbprint, "cnf.jkt is not the thumbprint of the proof key",
               "cnf.jkt = RFC 7638 thumbprint of the DPoP key", ex)
