"""What a successful token response is (RFC 6749 §5.1), and how a scope string reads (§3.3).

Written from the RFCs, not from the reference server: 200 with a JSON object, a non-empty
``access_token``, the expected ``token_type`` (case-insensitive, RFC 6749 §7.1), ``expires_in``
RECOMMENDED (a SHOULD finding when missing or not a positive integer), a ``scope`` member, when
present, holding what was asked for, and ``Cache-Control: no-store`` with ``Pragma: no-cache``.
The body's assertions enforce ``RFC6749-5.1`` (or the ``requirement`` a check gives, when the
answer is its own subject), the caching headers ``RFC6749-5.1-NOSTORE``.
"""

from __future__ import annotations

from conformance.client.http import Exchange
from conformance.oracles.expect import NO_STORE, expect, json_object, no_store, should, status_in, success
from conformance.oracles.failures import Requirements, short

#: RFC 6749 §5.1: a successful token response (200, JSON, access_token, token_type).
TOKEN_RESPONSE = "RFC6749-5.1"


def scopes(value: object) -> set[str]:
    """A space-separated scope string as a set (RFC 6749 §3.3)."""
    return set(value.split()) if isinstance(value, str) else set()


def granted_scopes(body: dict, requested: str | None) -> set[str]:
    """The scopes a token response grants (RFC 6749 §5.1): its ``scope`` member, or, when it is
    omitted, the scope requested (scope "OPTIONAL, if identical to the scope requested by the client")."""
    return scopes(body["scope"]) if "scope" in body else scopes(requested)


def scope_shown(body: dict, requested: str | None) -> str:
    """How a token response names its scope, for messages: the member, or the omission's reading."""
    if "scope" in body:
        return f"names scope {body.get('scope')!r}"
    return f"omits scope, which RFC 6749 §5.1 reads as the requested {requested!r} granted"


def token_success(ex: Exchange, what: str, *, token_type: str = "Bearer", scope_contains: str | None = None,
                  requirement: Requirements = TOKEN_RESPONSE) -> dict:
    """A successful token response (RFC 6749 §5.1): 200 JSON, access_token, token_type, no-store.

    ``expires_in`` is RECOMMENDED (a SHOULD finding when missing). A ``scope`` member, when
    present, must contain ``scope_contains``. The body's failures name ``requirement``, the
    caching headers' ``RFC6749-5.1-NOSTORE``.
    """
    body = success(ex, 200, what, requirement=requirement)
    expect(isinstance(body.get("access_token"), str) and body["access_token"],
           f"{what}: access_token is missing or empty", "a non-empty access_token string", ex,
           requirement=requirement)
    expect(isinstance(body.get("token_type"), str) and body["token_type"].lower() == token_type.lower(),
           f"{what}: token_type is {body.get('token_type')!r}", f"token_type {token_type} (case-insensitive)", ex,
           requirement=requirement)
    expires_in = body.get("expires_in")
    should(isinstance(expires_in, int) and not isinstance(expires_in, bool) and expires_in > 0,
           f"{what}: expires_in is {expires_in!r}", "a positive integer expires_in (RECOMMENDED, RFC 6749 §5.1)", ex,
           requirement=TOKEN_RESPONSE)  # the token-response checks' finding, not every user's of a token
    if scope_contains is not None and "scope" in body:
        expect(scope_contains in scopes(body["scope"]), f"{what}: the token response's scope is {body['scope']!r}",
               f"a scope containing {scope_contains!r}", ex, requirement=requirement)
    no_store(ex, what, requirement=NO_STORE)
    return body


def granted(ex: Exchange, what: str) -> dict:
    """A token was granted (RFC 6749 §5.1): 200 with a JSON object holding a non-empty ``access_token``
    string. Only the grant is judged here (no caching or lifetime expectations)."""
    status_in(ex, 200, what)
    body = json_object(ex, what)
    expect(isinstance(body.get("access_token"), str) and body["access_token"],
           f"{what}: access_token is {short(body.get('access_token'))}", "a non-empty access_token string", ex)
    return body
