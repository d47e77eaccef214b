"""The token endpoint's request rules (RFC 6749 §2.3.1, §3.2, §3.3, §5.2; RFC 9449 §2): TLS only, also
for DPoP token requests, parameters without a value are omitted, an omitted scope gets a default or
invalid_scope, and the text members of error answers keep to their character sets."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from conformance.client.http import CONNECTION, PROTOCOL, TLS, Exchange, RequestSpec
from conformance.client.jose import DpopKey
from conformance.client.token import access_token_of, client_credentials, initial_token_request
from conformance.client.use import dynamic_token_request, send_with_nonce_retry
from conformance.oracles.error_text import text_member_problems
from conformance.oracles.expect import TOKEN_400_DESCRIBED, expect, fail, refused_as_described, token_refused
from conformance.oracles.failures import CheckFailure
from conformance.oracles.token_response import granted, scopes, token_success
from conformance.suite import steps
from conformance.suite.check import check, not_applicable
from conformance.vocabulary import JWT_METHODS, SECRET_METHODS
from conformance.catalogue import allowed as ok, declare_answers, forbidden as no

_TLS = ("RFC 6749 §3.2", "MUST", "Since requests to the token endpoint result in the transmission of clear-text "
        "credentials (in the HTTP request and response), the authorization server MUST require the use of TLS as "
        "described in Section 1.6 when sending requests to the token endpoint.")
_OMITTED = ("RFC 6749 §3.2", "MUST", "Parameters sent without a value MUST be treated as if they were omitted from "
            "the request.")
_DEFAULT_SCOPE = ("RFC 6749 §3.3", "MUST", "If the client omits the scope parameter when requesting authorization, "
                  "the authorization server MUST either process the request using a pre-defined default value or "
                  "fail the request indicating an invalid scope.")
_CHARSETS = ("RFC 6749 §5.2", "MUST NOT", 'Values for the "error_description" parameter MUST NOT include characters '
             'outside the set %x20-21 / %x23-5B / %x5D-7E. ... Values for the "error_uri" parameter MUST conform to '
             "the URI-reference syntax and thus MUST NOT include characters outside the set %x21 / %x23-5B / %x5D-7E.")
_DPOP_HTTPS = ("RFC 9449 §2", "MUST", "DPoP is not, however, a substitute for a secure transport and MUST always be "
               "used in conjunction with HTTPS.")
ANSWERS = declare_answers({
    "DCR-TOK-019": (
        ok("no HTTP answer: the connection refused, closed or answered with bytes that are not HTTP (a TLS-only port)",
           *_TLS),
        ok("a redirect to an https URL, or a 4xx answer (400 invalid_request, 426 Upgrade Required, a proxy's "
           "\"plain HTTP request was sent to HTTPS port\" page): the request is not served", *_TLS),
        no("a token over plain HTTP, with a secret (password authentication) or an assertion", "RFC 6749 §2.3.1",
           "MUST", "The authorization server MUST require the use of TLS as described in Section 1.6 when sending "
           "requests using password authentication."),
        no("any other 2xx, a 5xx, a redirect elsewhere, no answer before the timeout (a hang is not a refusal)", *_TLS),
    ),
    "DCR-TOK-028": (
        ok("no HTTP answer to a DPoP token request over plain HTTP (a TLS-only port), a redirect to an https URL, "
           "or a 4xx answer: no token", *_DPOP_HTTPS),
        no("a token (DPoP-bound or not) for a DPoP token request over plain HTTP, any other 2xx, a 5xx, a redirect "
           "elsewhere, no answer before the timeout", *_DPOP_HTTPS),
    ),
    "DCR-TOK-020": (
        ok("the token, as for the same request without the empty parameter", *_OMITTED),
        no("a refusal caused by an empty client_id, client_secret, client_assertion or client_assertion_type "
           "(e.g. counted as a second authentication method)", *_OMITTED),
    ),
    "DCR-TOK-021": (
        ok("200 with a token for a pre-defined default scope (the scope member optional)", *_DEFAULT_SCOPE),
        ok("400 invalid_scope", *_DEFAULT_SCOPE),
        no("another error code than invalid_scope (e.g. invalid_request: scope missing): the MUST names the failure "
           "\"indicating an invalid scope\"", *_DEFAULT_SCOPE),
        no("a 5xx, a body that is not an RFC 6749 answer, a refusal without an error code", "RFC 6749 §5.2",
           "REQUIRED", "error REQUIRED. A single ASCII [USASCII] error code from the following"),
        no("invalid_scope with another 4xx than 400 (a warning)", "RFC 6749 §5.2", "SHOULD", 'descriptive, no '
           'keyword: "The authorization server responds with an HTTP 400 (Bad Request) status code (unless '
           'specified otherwise)"'),
        no("an empty scope answered otherwise than an omitted one (a token for one, invalid_scope for the other; "
           "another default scope)", *_OMITTED),
    ),
    "DCR-TOK-022": (
        ok("error_description and error_uri omitted, or within their character sets (error_uri a URI-reference)",
           *_CHARSETS),
        no("an error_description with a non-ASCII character, a control character, \" or \\; an error_uri with a "
           "space or a character outside its set, or that is no URI-reference", *_CHARSETS),
    ),
})

#: Seconds to wait for an answer over plain HTTP: a TLS-only port closes at once.
PLAIN_HTTP_TIMEOUT_S = 5
_REDIRECTS = (301, 302, 303, 307, 308)


def _plain(url: str) -> str:
    """``url`` with http instead of https, at the same host and port (443 when implied)."""
    parts = urlsplit(url)
    netloc = f"{parts.hostname}:{parts.port or 443}" if ":" not in (parts.hostname or "") else \
        f"[{parts.hostname}]:{parts.port or 443}"
    return urlunsplit(("http", netloc, parts.path, parts.query, ""))


def _plain_answer(dcr_session, ex: Exchange, what: str) -> str:
    """How a plain-HTTP request was not served: ``closed`` (no HTTP answer: a TLS-only port),
    ``redirect`` (to https) or ``refused`` (a 4xx); a token, another 2xx, a 5xx, a hang or a
    redirect elsewhere fails the check."""
    if ex.error:
        if ex.failure in (CONNECTION, PROTOCOL):
            return "closed"  # refused, closed, or bytes that are not HTTP (a TLS alert)
        fail(f"{what}: no answer ({ex.error})", "a refused or closed connection, a redirect to https, or a 4xx", ex)
    token = access_token_of(ex)
    if token:
        dcr_session.transport.redactor.add_secret(token)
        fail(f"{what}: a token was issued over plain HTTP (HTTP {ex.status})",
             "no token: TLS is required at the token endpoint (RFC 6749 §3.2, §2.3.1)", ex)
    if ex.status in _REDIRECTS:
        location = ex.header("location") or ""
        expect(location.lower().startswith("https://"), f"{what}: HTTP {ex.status} to {location or 'nowhere'!r}",
               "a redirect to an https URL", ex)
        return "redirect"
    expect(400 <= ex.status < 500, f"{what}: HTTP {ex.status} over plain HTTP",
           "a refused or closed connection, a redirect to https, or a 4xx (a 2xx or a 5xx is no refusal)", ex)
    return "refused"


@check("DCR-TOK-019", "RFC6749-3.2-c", "RFC6749-2.3.1-d", per_profile=True)
def test_token_endpoint_requires_tls(dcr_session, profile):
    """A token request over plain HTTP to the token endpoint's host and port yields no token."""
    url = _plain(profile.server.token_endpoint)
    # First without any credential: a TLS-only port refuses it, and no secret crosses the wire in clear
    # (once per profile: closed connections count towards an unresponsive endpoint).
    probe = client_credentials(url, "dcr")
    probe.timeout_s = PLAIN_HTTP_TIMEOUT_S
    if _plain_answer(dcr_session, dcr_session.transport.send(probe),
                     "token request without credentials over plain HTTP") != "refused":
        return
    # The port answers plain HTTP: no main client's own request may get a token there (the
    # password methods of RFC 6749 §2.3.1 and the assertions; a certificate cannot travel in clear).
    for client in profile.main_clients.values():
        if client.auth_method not in SECRET_METHODS + JWT_METHODS:
            continue
        real = initial_token_request(profile, client).replace(url=_plain(profile.token_endpoint_for(client)),
                                                              timeout_s=PLAIN_HTTP_TIMEOUT_S)
        _plain_answer(dcr_session, dcr_session.transport.send(real),
                      f"{client.label}'s {client.auth_method} token request over plain HTTP")


@check("DCR-TOK-028", "RFC9449-2", per_profile=True, needs=("dpop",))
def test_dpop_token_requests_require_https(dcr_session, profile, register):
    """A DPoP token request over plain HTTP to the token endpoint's host and port yields no token."""
    key = DpopKey.generate()
    url = _plain(profile.server.token_endpoint)
    # First without credentials (once per profile: closed connections count towards an unresponsive endpoint).
    probe = client_credentials(url, profile.use.scope).replace(timeout_s=PLAIN_HTTP_TIMEOUT_S)
    probe.headers["DPoP"] = key.proof("POST", url)
    if _plain_answer(dcr_session, dcr_session.transport.send(probe),
                     "DPoP token request without credentials over plain HTTP") != "refused":
        return
    # The port answers plain HTTP: the dynamic client's own DPoP request, its proof naming the https URL
    # (as the server knows its endpoint) and then the plain one, must get no token there either.
    dyn = register()
    https_url = profile.token_endpoint_for(dyn)
    plain = _plain(https_url)
    for htu in (https_url, plain):
        def build(nonce, htu=htu):
            spec = dynamic_token_request(profile, dyn).replace(url=plain, timeout_s=PLAIN_HTTP_TIMEOUT_S)
            spec.headers["DPoP"] = key.proof("POST", htu, nonce=nonce)
            return spec
        _plain_answer(dcr_session, send_with_nonce_retry(dcr_session.transport, build),
                      f"the dynamic client's DPoP token request over plain HTTP (proof htu {htu})")


#: The client-authentication parameters a request may carry empty (RFC 6749 §2.3.1, RFC 7521 §4.2).
EMPTY_PARAMETERS = ("client_id", "client_secret", "client_assertion", "client_assertion_type")


@check("DCR-TOK-020", "RFC6749-3.2-e")
def test_parameters_without_a_value_are_omitted(dcr_session, profile, main_client):
    """Each client-authentication parameter the request does not use, sent empty, is ignored: the token is issued."""
    steps.accepted_control(dcr_session.transport.send(initial_token_request(profile, main_client)),
                           "the valid request the empty-parameter vectors change")
    sent = {name for name, _ in initial_token_request(profile, main_client).form_items()}
    for name in EMPTY_PARAMETERS:
        if name in sent:
            continue
        spec = initial_token_request(profile, main_client).add_form(name, "")  # a fresh assertion each time
        token_success(dcr_session.transport.send(spec), f"initial token request with an empty {name}=",
                      scope_contains="dcr", requirement="RFC6749-3.2-e")


def _no_scope_answer(dcr_session, ex: Exchange, what: str) -> tuple[str, set[str] | None]:
    """("token", its scope or None) or ("invalid_scope", None), as RFC 6749 §3.3 allows."""
    if ex.status == 200:
        body = granted(ex, what)
        dcr_session.transport.redactor.add_secret(body["access_token"])
        return "token", scopes(body["scope"]) if isinstance(body.get("scope"), str) else None
    # RFC 6749 §3.3 "MUST ... fail the request indicating an invalid scope" governs the code; §5.2
    # describes the 400 without a keyword (another 4xx warns).
    code = refused_as_described(ex, what, statuses={400}, errors={"invalid_scope"}, described=TOKEN_400_DESCRIBED)
    expect(code == "invalid_scope", f"{what}: error {code!r}",
           'error invalid_scope (RFC 6749 §3.3: the server "MUST either process the request using a pre-defined '
           'default value or fail the request indicating an invalid scope")', ex)
    return "invalid_scope", None


@check("DCR-TOK-021", "RFC6749-3.3-b", "RFC6749-3.2-e")
def test_omitted_scope_gets_a_default_or_invalid_scope(dcr_session, profile, main_client):
    """A request without scope, or with an empty one, gets a token for a default scope or 400 invalid_scope, both alike."""
    omitted = dcr_session.transport.send(initial_token_request(profile, main_client, scope=None))
    first = _no_scope_answer(dcr_session, omitted, "token request without scope")
    empty = dcr_session.transport.send(initial_token_request(profile, main_client, scope=None).add_form("scope", ""))
    second = _no_scope_answer(dcr_session, empty, "token request with an empty scope=")
    expect(first[0] == second[0], f"an empty scope= got {second[0]}, an omitted scope {first[0]}",
           "the same answer for both (RFC 6749 §3.2: a parameter without a value is omitted)", omitted, empty,
           requirement="RFC6749-3.2-e")
    if first[1] is not None and second[1] is not None:
        expect(first[1] == second[1], f"an empty scope= got scope {' '.join(sorted(second[1]))!r}, an omitted one "
               f"{' '.join(sorted(first[1]))!r}", "the same default scope", omitted, empty,
               requirement="RFC6749-3.2-e")


#: RFC 6749 §5.2: the token errors DCR-TOK-004 / DCR-TOK-008 own (a non-refusal blocks this check).
TOKEN_ERROR = "RFC6749-5.2"


def _refusals(profile, client) -> list[tuple[str, RequestSpec]]:
    """Token requests the server must refuse, each the client's valid request with one fault."""
    return [
        ("an unsupported grant_type", initial_token_request(profile, client).with_form(
            grant_type="urn:dcr-conformance:unsupported-grant")),
        ("no grant_type", initial_token_request(profile, client).without_form("grant_type")),
        ("no client authentication", client_credentials(profile.token_endpoint_for(client), "dcr").with_form(
            client_id=client.client_id)),
    ]


@check("DCR-TOK-022", "RFC6749-5.2-d", "RFC6749-5.2-e")
def test_error_text_members_keep_to_their_character_sets(dcr_session, profile, main_client):
    """The error_description and error_uri of token error answers keep to RFC 6749 §5.2's character sets."""
    judged = 0
    for fault, spec in _refusals(profile, main_client):
        ex = dcr_session.transport.send(spec)
        what = f"token request with {fault}"
        if ex.error and fault == "no client authentication" and ex.failure == TLS:
            continue  # an mTLS alias may refuse the handshake without a certificate
        if access_token_of(ex):
            dcr_session.transport.redactor.add_secret(access_token_of(ex))
        try:
            token_refused(ex, what)
        except CheckFailure as failure:  # not this check's subject: DCR-TOK-004 / DCR-TOK-008 report it
            raise CheckFailure(str(failure), TOKEN_ERROR) from None
        body = ex.json()
        judged += int("error_description" in body or "error_uri" in body)
        problems = text_member_problems(body)
        expect(not problems, f"{what}: " + "; ".join(problems), "RFC 6749 §5.2 character sets", ex)
    if not judged:
        not_applicable("no token error answer held an error_description or error_uri")
