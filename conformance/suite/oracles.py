"""Shared oracles: what a conformant answer looks like, written from the RFCs (not from our server).

Only what several checks share lives here; an oracle used once stays in its check.
"""

from __future__ import annotations

from conformance.client.http import RequestSpec
from conformance.suite import expect as e


def scopes(value: object) -> set[str]:
    """A space-separated scope string as a set (RFC 6749 §3.3)."""
    return set(value.split()) if isinstance(value, str) else set()


def fetch_metadata(dcr, profile) -> tuple[dict, object]:
    """The RFC 8414 document (falling back to OpenID discovery), or a failed check."""
    issuer = profile.server.issuer.rstrip("/")
    ex = None
    for suffix in ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"):
        ex = dcr.transport.send(RequestSpec("GET", issuer + suffix, headers={"Accept": "application/json"}))
        if ex.status == 200:
            return e.json_object(ex, "metadata"), ex
    e.fail("no metadata document at the issuer's well-known URLs", "HTTP 200 with a JSON object (RFC 8414 §3)", ex)
    raise AssertionError("unreachable")


def token_success(ex, what: str, *, token_type: str = "Bearer", scope_contains: str | None = None) -> dict:
    """A successful token response (RFC 6749 §5.1): 200 JSON, access_token, token_type, no-store.

    ``expires_in`` is RECOMMENDED (a SHOULD finding when missing). A ``scope`` member, when
    present, must contain ``scope_contains``.
    """
    body = e.success(ex, 200, what)
    e.expect(isinstance(body.get("access_token"), str) and body["access_token"],
             f"{what}: access_token is missing or empty", "a non-empty access_token string", ex)
    e.expect(isinstance(body.get("token_type"), str) and body["token_type"].lower() == token_type.lower(),
             f"{what}: token_type is {body.get('token_type')!r}", f"token_type {token_type} (case-insensitive)", ex)
    expires_in = body.get("expires_in")
    e.should(isinstance(expires_in, int) and not isinstance(expires_in, bool) and expires_in > 0,
             f"{what}: expires_in is {expires_in!r}", "a positive integer expires_in (RECOMMENDED, RFC 6749 §5.1)", ex)
    if scope_contains is not None and "scope" in body:
        e.expect(scope_contains in scopes(body["scope"]), f"{what}: the granted scope is {body['scope']!r}",
                 f"a scope containing {scope_contains!r}", ex)
    e.no_store(ex, what)
    return body


def not_created(dcr, ex, what: str) -> None:
    """A registration that must not succeed did not create a client (no 201, no client_id)."""
    created = ex.status == 201 or (200 <= (ex.status or 0) < 300 and isinstance(ex.json(), dict)
                                   and "client_id" in ex.json())
    e.expect(not created, f"{what}: the server registered a client (HTTP {ex.status})",
             "a refusal and no client created", ex)
