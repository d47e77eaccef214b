"""Revocation: one per-device client at a time (RFC 7592 §2.3, RFC 7009, RFC 7662)."""

from __future__ import annotations

import secrets

from conformance.client.revocation import introspection_request
from conformance.client.token import access_token_of
from conformance.requirements import SHOULD
from conformance.suite import expect as e
from conformance.suite.check import check
from conformance.suite.oracles import token_success


def _token(dcr, dyn) -> str:
    ex = dcr.use(dyn)
    body = token_success(ex, "the dynamic client's token request", token_type="DPoP" if dcr.profile.use.dpop else "Bearer")
    return body["access_token"]


def _active(dcr, token: str, what: str) -> bool:
    ex = dcr.introspect(token)
    body = e.success(ex, 200, what)
    e.expect(isinstance(body.get("active"), bool), f"active is {body.get('active')!r}", "a boolean active", ex)
    return body["active"]


@check("DCR-REV-003", "CURITY-DCR-REVOKE", "RFC7592-2.3", claims=("registration_management",))
def test_deleting_one_client_spares_the_others(dcr, target, register):
    """Deleting dynamic client A leaves client B and the main client working."""
    a, b = register(), register()
    e.status_in(dcr.delete(a), 204, "delete of client A")
    _token(dcr, b)
    token, ex = dcr.initial_token(target.label)
    e.expect(token, "the main client can no longer get an initial token", "a token for the main client", ex)


@check("DCR-REV-005", "RFC7009-2.2", level=SHOULD, claims=("revocation", "introspection"),
       needs=("introspector", "revocation_endpoint"))
def test_revoked_access_token_is_inactive(dcr, registered):
    """An access token the dynamic client revokes introspects as inactive afterwards."""
    token = _token(dcr, registered)
    ex = dcr.revoke(registered, token, "access_token")
    e.status_in(ex, 200, "revocation of the dynamic client's access token")
    e.expect(_active(dcr, token, "introspection after revocation") is False, "the revoked token is still active",
             "active: false", ex)


@check("DCR-REV-006", "RFC7009-2.2", claims=("revocation",), needs=("revocation_endpoint",))
def test_revoking_an_unknown_token_is_200(dcr, registered):
    """Revoking a token the server never issued answers 200."""
    ex = dcr.revoke(registered, "unknown-" + secrets.token_urlsafe(24))
    e.status_in(ex, 200, "revocation of an unknown token")


@check("DCR-REV-007", "RFC7009-2.1", "CURITY-DCR-REVOKE", claims=("revocation", "introspection"),
       needs=("introspector", "revocation_endpoint"))
def test_client_cannot_revoke_another_clients_token(dcr, register):
    """Client A cannot revoke client B's token: the request is refused and B's token stays active."""
    a, b = register(), register()
    token = _token(dcr, b)
    ex = dcr.revoke(a, token, "access_token")
    e.expect(ex.status is not None and 400 <= ex.status < 500,
             f"A's revocation of B's token answered HTTP {ex.status}", "a 4xx refusal (RFC 7009 §2.1)", ex)
    e.expect(_active(dcr, token, "introspection of B's token") is True, "client A revoked client B's token",
             "B's token still active", ex)


@check("DCR-REV-008", "RFC7662-2.2", "RFC7662-2.2-S", claims=("introspection",), needs=("introspector",))
def test_inactive_token_introspects_as_only_active_false(dcr):
    """An unknown token introspects as 200 {"active": false}, with no other members (SHOULD)."""
    ex = dcr.introspect("unknown-" + secrets.token_urlsafe(24))
    body = e.success(ex, 200, "introspection of an unknown token")
    e.expect(body.get("active") is False, f"active is {body.get('active')!r}", "active: false", ex)
    e.should(set(body) == {"active"}, f"the inactive answer has members {sorted(body)}", 'exactly {"active": false}', ex)


@check("DCR-REV-009", "RFC7662-2.1", claims=("introspection",), needs=("introspector",))
def test_introspection_requires_authentication(dcr, profile, registered):
    """Introspection without caller authentication gets 401."""
    token = access_token_of(dcr.use(registered)) or "some-token"
    ex = dcr.transport.send(introspection_request(profile, None, token))
    e.status_in(ex, 401, "introspection without client authentication")
