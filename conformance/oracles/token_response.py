"""What a successful token response is (RFC 6749 §5.1), and how a scope string reads (§3.3).

Written from the RFCs, not from the reference server: 200 with a JSON object, a non-empty
``access_token``, the expected ``token_type`` (case-insensitive, RFC 6749 §7.1), ``expires_in``
RECOMMENDED (a SHOULD finding when missing or not a positive integer), a ``scope`` member, when
present, holding what was asked for, and ``Cache-Control: no-store`` with ``Pragma: no-cache``.
"""

from __future__ import annotations

from conformance.client.http import Exchange
from conformance.oracles.failures import short
from conformance.oracles.expect import expect, json_object, no_store, should, status_in, success


def scopes(value: object) -> set[str]:
    """A space-separated scope string as a set (RFC 6749 §3.3)."""
    return set(value.split()) if isinstance(value, str) else set()


def token_success(ex: Exchange, what: str, *, token_type: str = "Bearer", scope_contains: str | None = None) -> dict:
    """A successful token response (RFC 6749 §5.1): 200 JSON, access_token, token_type, no-store.

    ``expires_in`` is RECOMMENDED (a SHOULD finding when missing). A ``scope`` member, when
    present, must contain ``scope_contains``.
    """
    body = success(ex, 200, what)
    expect(isinstance(body.get("access_token"), str) and body["access_token"],
           f"{what}: access_token is missing or empty", "a non-empty access_token string", ex)
    expect(isinstance(body.get("token_type"), str) and body["token_type"].lower() == token_type.lower(),
           f"{what}: token_type is {body.get('token_type')!r}", f"token_type {token_type} (case-insensitive)", ex)
    expires_in = body.get("expires_in")
    should(isinstance(expires_in, int) and not isinstance(expires_in, bool) and expires_in > 0,
           f"{what}: expires_in is {expires_in!r}", "a positive integer expires_in (RECOMMENDED, RFC 6749 §5.1)", ex)
    if scope_contains is not None and "scope" in body:
        expect(scope_contains in scopes(body["scope"]), f"{what}: the granted scope is {body['scope']!r}",
               f"a scope containing {scope_contains!r}", ex)
    no_store(ex, what)
    return body


def granted(ex: Exchange, what: str) -> dict:
    """A token was granted (RFC 6749 §5.1): 200 with a JSON object holding a non-empty ``access_token``
    string. Only the grant is judged here (no caching or lifetime expectations)."""
    status_in(ex, 200, what)
    body = json_object(ex, what)
    expect(isinstance(body.get("access_token"), str) and body["access_token"],
           f"{what}: access_token is {short(body.get('access_token'))}", "a non-empty access_token string", ex)
    return body
