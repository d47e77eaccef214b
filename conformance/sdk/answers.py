"""The answers the specs allow and forbid a client, per ``DCR-SDK`` check: :data:`SDK_ANSWERS`.

Each check of :mod:`.checks` grades one behaviour; where the RFCs leave the client a choice,
every allowed way is listed here with its section and its words, and the check accepts it. A
forbidden answer is one the check fails, with the clause that makes it a failure (a MUST); a
*warning* is one the words discourage without forbidding (a SHOULD / SHOULD NOT, or a rule of
this suite marked *suite rule (inferred)*, which no public source states): the check reports it
as a warning, a failure only when strict. The table is data:
``python -m conformance.sdk answers`` prints it, :func:`answers_markdown` renders it into
docs/sdk.md (a test keeps the two equal), and a test checks that every check has its table.
"""

from __future__ import annotations

from dataclasses import dataclass

ALLOWED, FORBIDDEN, WARNING = "allowed", "forbidden", "warning"


@dataclass(frozen=True)
class Answer:
    """One way a client may (or may not) behave for one check."""

    behaviour: str
    verdict: str  # ALLOWED | FORBIDDEN (a failure) | WARNING (a SHOULD finding)
    source: str  # "RFC 9449 §7.1", "Curity HAAPI SDK", "suite rule"
    words: str  # the RFC's words (MUST / SHOULD / MAY ...) or the rule, quoted briefly


def _a(behaviour: str, source: str, words: str) -> Answer:
    return Answer(behaviour, ALLOWED, source, words)


def _f(behaviour: str, source: str, words: str) -> Answer:
    return Answer(behaviour, FORBIDDEN, source, words)


def _w(behaviour: str, source: str, words: str) -> Answer:
    return Answer(behaviour, WARNING, source, words)


_DISCOVERY = _a("fetch server metadata (RFC 8414 `/.well-known/...`) before or after the attestation call; "
                "discovery never opens or occupies a launch", "RFC 8414 §3.1",
                "\"An authorization server metadata document MUST be queried using an HTTP \"GET\" request at the "
                "previously specified path\"; no order relative to other requests is set")
_AUTH = _a("authenticate with `client_secret_basic` or `client_secret_post`", "RFC 6749 §2.3.1",
           "the AS \"MAY support including the client credentials in the request-body\" (NOT RECOMMENDED, still "
           "allowed when the server lists client_secret_post); Basic \"MUST\" be supported")
_HEADERS = _a("send extra headers (`Accept`, `User-Agent`...), no `X-Installation-Id`, new connections",
              "RFC 9110 §12.5.1, suite rule", "`Accept` is optional; installations are told apart by credentials")

SDK_ANSWERS: dict[str, tuple[Answer, ...]] = {
    "DCR-SDK-001": (
        _a("dcr token, registration, then the dynamic client's token request, with retried 5xx answers and "
           "nonce challenges in between", "Curity HAAPI SDK", "the documented fallback order"),
        _a("a DPoP proof on the dcr token request as well (the initial token is then DPoP-bound)",
           "RFC 9449 §5", "a token request with a DPoP proof asks for a DPoP-bound token; any token request may"),
        _a("the dynamic client's token request without a scope parameter (the server applies its default)",
           "RFC 6749 §4.4.2, §3.3", "scope is OPTIONAL; the AS \"MUST either process the request using a "
           "pre-defined default value or fail\""),
        _DISCOVERY, _AUTH, _HEADERS,
        _f("the dynamic client's token request without a DPoP proof", "Curity HAAPI SDK",
           "HAAPI access tokens are DPoP-bound (MUST)"),
        _f("registering before asking the attestation stand-in, or although it answered accepted",
           "Curity HAAPI SDK", "DCR is the fallback when attestation fails (MUST)"),
    ),
    "DCR-SDK-002": (
        _a("a later launch requests a token as the stored dynamic client", "Curity HAAPI SDK",
           "the stored client is reused on later runs"),
        _a("a later launch presents a still-valid access token issued to the stored client in an earlier "
           "launch (no token request)", "RFC 6749 §5.1, §1.4",
           "expires_in gives the token's lifetime; a client uses an access token until it expires"),
        _DISCOVERY,
        _f("a later launch asks for a dcr token or registers again", "Curity HAAPI SDK",
           "the registered client is stored and reused (MUST)"),
        _f("a later launch shows no use of the stored client at all", "Curity HAAPI SDK; suite rule",
           "the registered client is reused on later runs (MUST); behaviour a scenario needs but that was "
           "never observed is a failure"),
    ),
    "DCR-SDK-003": (
        _a("the cleared launch registers exactly once and uses the new client (token request or its token)",
           "Curity HAAPI SDK", "shouldClearExistingDCRClient forces a new registration"),
        _a("deleting the old registration first (RFC 7592 DELETE with its registration access token)",
           "RFC 7592 §2.3", "a client deprovisions itself with a DELETE to its client configuration endpoint"),
        _f("no new registration, several, or the old client_id kept", "Curity HAAPI SDK",
           "clearing forces a new registration (MUST)"),
    ),
    "DCR-SDK-004": (
        _a("attestation accepted: no dcr token, registration or dynamic-client request; discovery is fine",
           "Curity HAAPI SDK", "DCR only when attestation fails"),
        _f("any DCR request in an attested launch", "Curity HAAPI SDK", "(MUST)"),
    ),
    "DCR-SDK-005": (
        _a("one retry with a proof whose `nonce` is the DPoP-Nonce value, on the same or another connection",
           "RFC 9449 §8", "the retry's proof carries the server-provided nonce; no connection is prescribed"),
        _a("a nonce kept from an earlier answer and sent before any challenge", "RFC 9449 §8.2",
           "\"The client MUST use the new nonce value supplied for the next token request and for all subsequent "
           "token requests until the authorization server supplies a new nonce.\""),
        _f("no retry, a retry without the server's nonce, or challenges in a loop",
           "Curity HAAPI SDK; RFC 9449 §8",
           "the SDK retries with the server's nonce (MUST, Curity's DPoP nonce auto-management); RFC 9449 §8: "
           "\"Upon receiving the nonce, the client is expected to retry its token request using a DPoP proof "
           "including the supplied nonce value\""),
    ),
    "DCR-SDK-006": (
        _a("a bearer initial token (token_type Bearer) as `Authorization: Bearer`", "RFC 6750 §2.1",
           "\"Clients SHOULD make authenticated requests with a bearer token using the \"Authorization\" "
           "request header field with the \"Bearer\" HTTP authorization scheme\""),
        _a("a DPoP-bound initial token (token_type DPoP) as `Authorization: DPoP` with a DPoP proof "
           "carrying `ath`", "RFC 9449 §7.1, §4.2",
           "\"A DPoP-bound access token is sent using the Authorization request header field ... with an "
           "authentication scheme of DPoP\"; the proof \"MUST also contain\" ath"),
        _a("a DPoP-bound initial token as `Authorization: Bearer` (not a 006 failure: a conformant server "
           "refuses it, RFC 9449 §7.2 \"MUST reject\", and DCR-SDK-001 then fails)", "RFC 9449 §7.2",
           "the refusal is the server's duty"),
        _a("presenting it again after a 5xx answer (the first use was not answered)", "RFC 9110 §15.6",
           "a 5xx says nothing was done"),
        _f("the `DPoP` scheme for a token that is not DPoP-bound, or without a DPoP proof", "RFC 9449 §7",
           "\"Requests to DPoP-protected resources MUST include both a DPoP proof as per Section 4 and the access "
           "token as described in Section 7.1.\"; the scheme is for DPoP-bound tokens"),
        _w("the initial token in the JSON body or the query instead of the Authorization header",
           "RFC 6750 §2.1, §2.3",
           "\"Clients SHOULD make authenticated requests with a bearer token using the \"Authorization\" "
           "request header field\" (§2.1); the query method \"SHOULD NOT be used unless it is impossible to "
           "transport the access token in the \"Authorization\" request header field or the HTTP request "
           "entity-body\" (§2.3); a JSON registration has no form-encoded body (§2.2)"),
        _f("the initial token in the Authorization header and in the body or query of the same request",
           "RFC 6750 §2", "\"Clients MUST NOT use more than one method to transmit the token in each request.\""),
        _f("presenting it again after an answered use, or anywhere but the registration endpoint",
           "Curity DCR", "the initial token is single use (MUST)"),
    ),
    "DCR-SDK-007": (
        _a("a JSON registration naming the template in `software_id`, with any other metadata",
           "RFC 7591 §3.1, §2.3", "the body is JSON; software_id names the software"),
        _f("another content type, no software_id or another template", "RFC 7591 §3.1, Curity templates",
           "(MUST)"),
    ),
    "DCR-SDK-008": (
        _a("every token, revocation or introspection request after registering as the newest dynamic "
           "client, by basic or post", "Curity HAAPI SDK, RFC 6749 §2.3.1", "use the registered client"),
        _a("a token request earlier than expiry (refreshing early)", "RFC 6749 §4.4",
           "a client may ask for a token at any time"),
        _f("such a request as the main client or an older dynamic client", "Curity HAAPI SDK", "(MUST)"),
    ),
    "DCR-SDK-009": (
        _a("after 401 invalid_client (or invalid_token for its cached token), at most one more use of the "
           "rejected client, one registration, then the new client", "suite rule (inferred)",
           "a rejected client is replaced without loops"),
        _w("more uses of the rejected client, no new registration, or several", "suite rule (inferred)",
           "registration loops hammer the server (no public source states a MUST: a warning)"),
    ),
    "DCR-SDK-010": (
        _a("adopting the rotated client_secret and registration_access_token at once, by basic or post",
           "RFC 7592 §2.1",
           "the client \"MUST immediately discard its previous\" secret and registration access token"),
        _f("presenting a replaced secret or registration access token again", "RFC 7592 §2.1", "(MUST)"),
    ),
    "DCR-SDK-011": (
        _a("any pause of at least min_delay_s (default 0.2 s) and at least Retry-After before the next "
           "request after a 5xx", "RFC 9110 §10.2.3, suite rule (inferred)",
           "Retry-After says how long the client ought to wait"),
        _w("retrying sooner", "suite rule (inferred); RFC 9110 §10.2.3",
           "no hammering; Retry-After says how long \"the user agent ought to wait\" (no MUST: a warning)"),
    ),
    "DCR-SDK-012": (
        _a("giving up after at most max_attempts (default 5) consecutive 5xx answers, or never retrying",
           "suite rule (inferred)", "bounded retries"),
        _w("more consecutive attempts answered 5xx", "suite rule (inferred)",
           "no endless retrying (no public source states a MUST: a warning)"),
    ),
}


def answers_of(check_id: str) -> tuple[Answer, ...]:
    return SDK_ANSWERS[check_id]


def answers_markdown() -> str:
    """The table of docs/sdk.md between ``<!-- sdk-answers -->`` markers."""
    lines = ["| check | answer | verdict | source | the words |", "|---|---|---|---|---|"]
    for check_id, answers in SDK_ANSWERS.items():
        for answer in answers:
            words = answer.words.replace("|", "\\|")
            lines.append(f"| {check_id} | {answer.behaviour} | {answer.verdict} | {answer.source} | {words} |")
    return "\n".join(lines) + "\n"
