"""A credential acts for its own client only: one dynamic client's registration access token never
manages another (RFC 7592 §2), and one client's secret never authenticates another at the token
endpoint (RFC 6749 §4.4.2: the authorization server MUST authenticate the client)."""

from __future__ import annotations

import secrets

import pytest

from conformance.client import management
from conformance.oracles.expect import client_authentication_refused, expect, status_in, success, www_authenticate
from conformance.suite.check import check

from conformance.suite.common_answers import CLIENT_AUTHENTICATION_REFUSAL
from conformance.catalogue import allowed as ok, declare_answers, forbidden as no

# The answers the specs allow and forbid, per check (rendered into docs/catalogue.md).
ANSWERS = declare_answers({
    "DCR-MGT-015": (
        ok("401 (or 403 for another client's token) with a Bearer challenge, the client unchanged", "RFC 7592 §2",
           "MUST", "The client MUST use its registration access token in all calls to this endpoint as an OAuth 2.0 "
           "Bearer Token [RFC6750]."),
        no("a PUT or DELETE without the client's own registration access token that succeeds or changes the client",
           "RFC 7592 §2, §2.2", "MUST", "The client MUST use its registration access token in all calls to this "
           "endpoint as an OAuth 2.0 Bearer Token [RFC6750]. ... If the client does not have permission to update its "
           "record, the server MUST return an HTTP 403 Forbidden."),
    ),
    "DCR-USE-014": (
        ok("401 invalid_client (400 without an Authorization header)", "RFC 6749 §5.2", "MUST",
           "invalid_client: Client authentication failed (e.g., unknown client, no client authentication included, "
           "or unsupported authentication method). ... If the client attempted to authenticate via the "
           "\"Authorization\" request header field, the authorization server MUST respond with an HTTP 401 "
           "(Unauthorized) status code and include the \"WWW-Authenticate\" response header field matching the "
           "authentication scheme used by the client."),
        no("a token for client A authenticated with client B's secret", "RFC 6749 §4.4.2", "MUST",
           "The authorization server MUST authenticate the client."),
        *CLIENT_AUTHENTICATION_REFUSAL,
    ),
})

MANAGED = ("registration_management",)


def _without_token(spec):
    spec.headers.pop("Authorization", None)
    return spec


@check("DCR-MGT-015", "RFC7592-2", "RFC7592-2.2-h", "RFC6750-3", claims=MANAGED)
def test_writes_need_the_clients_own_token(dcr_session, register):
    """PUT and DELETE on a client's URI without its registration access token, or with another client's, are refused and change nothing."""
    a, b = register(), register()
    marker = "dcr-conformance intruder " + secrets.token_hex(4)
    attempts = (
        ("PUT without a token", _without_token(management.update_request(a, {"client_name": marker})), {401}),
        ("PUT with client B's registration access token",
         management.update_request(a, {"client_name": marker}, token=b.registration_access_token), {401, 403}),
        ("DELETE without a token", _without_token(management.delete_request(a)), {401}),
        ("DELETE with client B's registration access token",
         management.delete_request(a, b.registration_access_token), {401, 403}),
    )
    for what, spec, statuses in attempts:
        ex = dcr_session.transport.send(spec)
        status_in(ex, statuses, f"RFC 7592 {what} on client A")
        if "Authorization" not in spec.headers:
            www_authenticate(ex, "Bearer", f"RFC 7592 {what} on client A")
    ex = dcr_session.read(a)
    body = success(ex, 200, "RFC 7592 read of client A with its own token after the refused writes")
    expect(body.get("client_name") != marker, "client A's metadata was changed by a refused PUT",
           "client A unchanged", ex)


@check("DCR-USE-014", "RFC6749-4.4.2", "RFC6749-5.2")
def test_one_clients_secret_does_not_authenticate_another(dcr_session, register):
    """Dynamic client A's client_id with dynamic client B's secret gets invalid_client."""
    a, b = register(), register()
    if not (a.client_secret and b.client_secret):
        pytest.skip("not claimed by profile: the template issues no client_secret")
    ex = dcr_session.use(a, secret_override=b.client_secret)
    client_authentication_refused(ex, "client A's token request with client B's secret",
                                  basic=a.auth_method == "client_secret_basic")
