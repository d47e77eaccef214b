"""The generic expectations of the checks: status, JSON body, error code, challenge, caching.

Checks never use bare ``assert`` on protocol values (pytest would print the values, secrets
included): they call these helpers, which raise :class:`~conformance.oracles.failures.CheckFailure`
with a message built from the redacted capture of the exchange, and with the ids of the
requirements the assertion enforces (``requirement=``; none: the check's own requirements).
Expectations are sets wherever the specs allow several answers. ``should(...)`` records a SHOULD-level finding and lets the
check go on.

Spec sources: HTTP status and JSON error bodies (RFC 6749 §5.2, RFC 7591 §3.2.2, RFC 6750 §3),
``WWW-Authenticate`` challenges (RFC 6750 §3, RFC 6749 §5.2), ``Cache-Control: no-store`` and
``Pragma: no-cache`` on credentials (RFC 6749 §5.1), refused TLS handshakes (RFC 8705 §2).
"""

from __future__ import annotations

from typing import Any, Iterable

from conformance.client.http import Exchange
from conformance.oracles.challenges import error_code
from conformance.oracles.failures import CheckFailure, Requirements, record_finding, render

#: RFC 6749 §5.1: Cache-Control: no-store and Pragma: no-cache on responses carrying tokens.
NO_STORE = "RFC6749-5.1-NOSTORE"


def fail(what: str, expected: str, *exchanges: Exchange | None, requirement: Requirements = None) -> None:
    """Fail the check (on ``requirement``, default: the check's own)."""
    raise CheckFailure(render(what, expected, exchanges), requirement)


def expect(condition: Any, what: str, expected: str, *exchanges: Exchange | None,
           requirement: Requirements = None) -> None:
    """Fail the check with ``what`` unless ``condition`` holds."""
    if not condition:
        fail(what, expected, *exchanges, requirement=requirement)


def should(condition: Any, what: str, expected: str, *exchanges: Exchange | None,
           requirement: Requirements = None) -> bool:
    """Record a SHOULD-level finding (of ``requirement``; none: the check's own) unless
    ``condition`` holds; the check goes on."""
    if not condition:
        record_finding(render(what, expected, exchanges), requirement)
    return bool(condition)


def _fmt(values: Iterable[Any]) -> str:
    values = sorted(values, key=str)
    if len(values) == 100 and all(isinstance(v, int) for v in values) and values[-1] - values[0] == 99 \
            and values[0] % 100 == 0:
        return f"{values[0] // 100}xx"  # a whole class of statuses
    return str(values[0]) if len(values) == 1 else "one of " + ", ".join(map(str, values))


def status_in(ex: Exchange, allowed: int | Iterable[int], what: str, *, requirement: Requirements = None) -> None:
    """The server answered with an HTTP status in ``allowed``."""
    allowed = {allowed} if isinstance(allowed, int) else set(allowed)
    if ex.error:
        fail(f"{what}: no HTTP answer ({ex.error})", f"HTTP status {_fmt(allowed)}", ex, requirement=requirement)
    expect(ex.status in allowed, f"{what}: HTTP {ex.status}", f"HTTP status {_fmt(allowed)}", ex,
           requirement=requirement)


def json_object(ex: Exchange, what: str, *, requirement: Requirements = None) -> dict:
    """The body is a JSON object (the RFCs' error and success bodies all are)."""
    body = ex.json()
    content_type = (ex.header("content-type") or "").split(";")[0].strip().lower()
    expect(isinstance(body, dict), f"{what}: the body is not a JSON object", "a JSON object", ex,
           requirement=requirement)
    expect(content_type == "application/json" or content_type.endswith("+json"),
           f"{what}: Content-Type is {content_type or 'missing'}", "application/json", ex, requirement=requirement)
    return body


def success(ex: Exchange, status: int | Iterable[int], what: str, *, requirement: Requirements = None) -> dict:
    """A successful JSON answer with the given status."""
    status_in(ex, status, what, requirement=requirement)
    return json_object(ex, what, requirement=requirement)


def error_response(ex: Exchange, statuses: Iterable[int], errors: Iterable[str] | None, what: str) -> dict:
    """An error answer: status in ``statuses`` and, when ``errors`` is given, a JSON ``error`` from it."""
    statuses = set(statuses)
    status_in(ex, statuses, what)
    if errors is None:
        return ex.json() if isinstance(ex.json(), dict) else {}
    errors = set(errors)
    body = json_object(ex, what)
    expect(body.get("error") in errors, f"{what}: error is {body.get('error')!r}", f"error {_fmt(errors)}", ex)
    return body


#: RFC 6749 §5.2: the error codes of a token endpoint's error response ("error REQUIRED. A single
#: ASCII error code from the following").
TOKEN_ERRORS = frozenset({"invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
                          "unsupported_grant_type", "invalid_scope"})


def refused(ex: Exchange, what: str, *, statuses: Iterable[int] = (400, 401),
            errors: Iterable[str] | None = None, tls_refusal_ok: bool = False) -> None:
    """The request was refused: an error status (and code), or, where allowed, a refused TLS handshake.

    A refusal is a protocol answer, never broken infrastructure: a 400 carries its error as the
    RFCs say (a JSON ``error``: RFC 6749 §5.2, RFC 7591 §3.2.2; or a challenge's ``error``: RFC 6750
    §3), so an HTML page or a body without an error code is not a refusal even when ``errors`` is
    not given."""
    statuses = set(statuses)
    if ex.error:
        if tls_refusal_ok and ex.error.startswith("TLS handshake refused"):
            return  # RFC 8705 negatives: a refused handshake is as good as invalid_client
        fail(f"{what}: no HTTP answer ({ex.error})", f"HTTP status {_fmt(statuses)}", ex)
    expect(not (200 <= ex.status < 300), f"{what}: the server accepted it (HTTP {ex.status})",
           f"a refusal, HTTP {_fmt(statuses)}", ex)
    error_response(ex, statuses, errors, what)
    if errors is None and ex.status == 400:
        body = ex.json()
        coded = isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"]
        challenged = any("error=" in c.replace(" ", "") for c in ex.headers_all("www-authenticate"))
        expect(coded or challenged, f"{what}: HTTP 400 without an error code",
               'a JSON body with "error" (RFC 6749 §5.2, RFC 7591 §3.2.2) or a challenge naming the error '
               "(RFC 6750 §3)", ex)


def protocol_answer(ex: Exchange, what: str) -> None:
    """An HTTP answer that is not a 5xx: a SHOULD-level check judges only what a server chose to
    answer; no answer or a server error is broken infrastructure (a SHOULD check calls this inside
    ``failures.prerequisite()``, so it errors instead of warning)."""
    if ex.error:
        fail(f"{what}: no HTTP answer ({ex.error})", "an answer of the protocol (not a 5xx)", ex)
    expect(ex.status < 500, f"{what}: HTTP {ex.status}", "an answer of the protocol (not a 5xx)", ex)


#: Every client-error status. The RFCs describe the status of a refusal without a keyword (RFC 7591
#: §3.2.2 "returns an HTTP 400 status code (unless otherwise specified)"), so which 4xx is no MUST.
CLIENT_ERRORS = frozenset(range(400, 500))


def refused_as_described(ex: Exchange, what: str, *, statuses: Iterable[int], errors: Iterable[str],
                         described: str) -> str:
    """A refusal (a failure otherwise): a 4xx carrying an error code (JSON ``error``, RFC 6749 §5.2 /
    RFC 7591 §3.2.2 "error REQUIRED", or a challenge's, RFC 6750 §3), never a 5xx, an HTML page or
    no answer. The status and code the RFC only describes (``statuses``, ``errors``: ``described``
    names the words) are a SHOULD-level finding when they differ, never a failure. Returns the code."""
    statuses, errors = set(statuses), set(errors)
    wanted = "a refusal: a 4xx with an error code (a 2xx accepts, a 5xx is no refusal)"
    if ex.error:
        fail(f"{what}: no HTTP answer ({ex.error})", wanted, ex)
    expect(ex.status in CLIENT_ERRORS, f"{what}: HTTP {ex.status}", wanted, ex)
    code = error_code(ex)
    expect(isinstance(code, str) and code, f"{what}: HTTP {ex.status} without an error code",
           'a JSON body with "error" (RFC 6749 §5.2, RFC 7591 §3.2.2: error REQUIRED) or a challenge naming it',
           ex)
    should(ex.status in statuses and code in errors, f"{what}: HTTP {ex.status}, error {code!r}",
           f"HTTP {_fmt(statuses)} with error {_fmt(errors)} (descriptive, no keyword: {described})", ex)
    return code


#: RFC 6749 §5.2 describes invalid_client without a keyword (its REQUIRED is that an error code is there).
INVALID_CLIENT_DESCRIBED = 'RFC 6749 §5.2 "invalid_client: Client authentication failed"'
#: RFC 9449 §5 names the code of a refused DPoP proof without a keyword (its MUSTs are the rejections, §4.3 / §8 / §10).
DPOP_DESCRIBED = ('RFC 9449 §5 "If the DPoP proof is invalid, the authorization server issues an error response per '
                  'Section 5.2 of [RFC6749] with invalid_dpop_proof as the value of the error parameter"')
#: RFC 6749 §5.2 describes invalid_grant (a revoked refresh token's) and its 400 without a keyword.
INVALID_GRANT_DESCRIBED = ('RFC 6749 §5.2 "invalid_grant: The provided authorization grant ... or refresh token is '
                           'invalid, expired, revoked"')
#: RFC 6749 §5.2 describes the 400 of a token error without a keyword.
TOKEN_400_DESCRIBED = 'RFC 6749 §5.2 "The authorization server responds with an HTTP 400 (Bad Request) status code"'


def client_authentication_refused(ex: Exchange, what: str, *, basic: bool, statuses: Iterable[int] = (400, 401)) -> str:
    """A token request whose client authentication failed is refused (a token, a 2xx, a 5xx or no error
    code fails); another code than invalid_client, or another status than ``statuses``, is a SHOULD-level
    finding (RFC 6749 §5.2 describes them). After HTTP Basic the 401 is a MUST (RFC 6749 §5.2: "If the
    client attempted to authenticate via the "Authorization" request header field, the authorization
    server MUST respond with an HTTP 401")."""
    code = refused_as_described(ex, what, statuses={401} if basic else set(statuses), errors={"invalid_client"},
                                described=INVALID_CLIENT_DESCRIBED)
    expect(not basic or ex.status == 401, f"{what}: HTTP {ex.status} after HTTP Basic",
           'HTTP 401 (RFC 6749 §5.2: "If the client attempted to authenticate via the \"Authorization\" request '
           'header field, the authorization server MUST respond with an HTTP 401")', ex)
    return code


def token_refused(ex: Exchange, what: str, errors: Iterable[str] = TOKEN_ERRORS) -> None:
    """A token request refused as RFC 6749 §5.2 says: 400 (401 for ``invalid_client``), a JSON error body."""
    refused(ex, what, statuses={400, 401}, errors=errors)


def www_authenticate(ex: Exchange, scheme: str, what: str, *, error: str | None = None) -> str:
    """A ``WWW-Authenticate`` challenge of ``scheme`` (RFC 6750 §3 / RFC 6749 §5.2), with ``error`` if given."""
    challenges = ex.headers_all("www-authenticate")
    matching = [c for c in challenges if c.strip().lower().startswith(scheme.lower())]
    wanted = f"WWW-Authenticate: {scheme}" + (f' error="{error}"' if error else "")
    expect(matching, f"{what}: no {scheme} challenge in WWW-Authenticate", wanted, ex)
    if error is not None:
        expect(any(f'error="{error}"' in c.replace(" ", "") or f"error={error}" in c for c in matching),
               f"{what}: the challenge does not name error={error}", wanted, ex)
    return matching[0]


def no_store(ex: Exchange, what: str, *, pragma: bool = True, requirement: Requirements = NO_STORE) -> None:
    """``Cache-Control: no-store`` (and ``Pragma: no-cache``) on a response carrying credentials
    (RFC 6749 §5.1, requirement ``RFC6749-5.1-NOSTORE``)."""
    cache_control = ",".join(ex.headers_all("cache-control")).lower()
    expect("no-store" in [d.strip() for d in cache_control.split(",")],
           f"{what}: Cache-Control is {cache_control or 'missing'}", "Cache-Control: no-store", ex,
           requirement=requirement)
    if pragma:
        pragma_value = ",".join(ex.headers_all("pragma"))
        expect("no-cache" in pragma_value.lower(),
               f"{what}: Pragma is {pragma_value or 'missing'}", "Pragma: no-cache", ex, requirement=requirement)
