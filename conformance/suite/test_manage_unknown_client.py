"""RFC 7592 requests for a client that does not exist: 401, never 403 or 404, and the registration
access token used SHOULD be revoked (§2.1, §2.2).

The unknown client's URI is the one the server gave (``registration_client_uri``) with the
client_id replaced (RFC 7592 §2: its shape is the server's), so the answer is the server's for an
unknown client. A live token presented there may be revoked, leaving its own client manageable
only by a management client: the check using one needs a claimed ``[management_client]``, which
the cleanup then deletes the client with.
"""

from __future__ import annotations

import secrets

from conformance.client import management
from conformance.client.http import RequestSpec
from conformance.client.registration import DynamicClient
from conformance.oracles.expect import should, status_in
from conformance.oracles.failures import prerequisite
from conformance.suite.check import check, not_applicable
from conformance.catalogue import allowed as ok, declare_answers, forbidden as no

_GONE_21 = ("RFC 7592 §2.1", "MUST", "If the client does not exist on this server, the server MUST respond with HTTP "
            "401 Unauthorized and the registration access token used to make this request SHOULD be immediately "
            "revoked.")
_REVOKE_21 = ("RFC 7592 §2.1", "SHOULD", _GONE_21[2])
_GONE_22 = ("RFC 7592 §2.2", "MUST", _GONE_21[2])  # §2.2 repeats §2.1's sentence for PUT

# The answers the specs allow and forbid, per check (rendered into docs/catalogue.md).
ANSWERS = declare_answers({
    "DCR-MGT-016": (
        ok("401 for the unknown client; client A's token then refused on A's own URI (401)", *_GONE_21),
        ok("not applicable when the registration_client_uri does not hold the client_id", "RFC 7592 §2",
           "descriptive",
           "The location of this endpoint is communicated to the client through the \"registration_client_uri\" "
           "member"),
        no("403, 404, 200 or any other status for the unknown client", *_GONE_21),
        no("A's token still reading A afterwards (a warning)", *_REVOKE_21),
    ),
    "DCR-MGT-017": (
        ok("401 for a PUT on an unknown client's URI and on the deleted client's own URI", *_GONE_22),
        no("404, 403, 400, 200 or any other status", *_GONE_22),
    ),
})

MANAGED = ("registration_management",)
MANAGERS = MANAGED + ("management_clients",)


def _unknown_client_uri(dyn: DynamicClient) -> tuple[str, str]:
    """The URI of a client that does not exist, and its client_id (RFC 7592 §2: the server's shape)."""
    uri, client_id = dyn.registration_client_uri, dyn.client_id
    if client_id not in uri:
        not_applicable("the registration_client_uri does not hold the client_id: no unknown client's URI to build")
    unknown = f"no-such-client-{secrets.token_hex(4)}"
    head, _, tail = uri.rpartition(client_id)
    return f"{head}{unknown}{tail}", unknown


@check("DCR-MGT-016", "RFC7592-2.1", "RFC7592-2.1-b", per_profile=True, claims=MANAGERS,
       needs=("management_client",))
def test_live_token_on_unknown_client_is_401_and_revoked(dcr_session, registered):
    """GET on a client that does not exist with a live client's registration access token gets 401, and the token is revoked."""
    uri, _ = _unknown_client_uri(registered)
    headers = {"Accept": "application/json", "Authorization": f"Bearer {registered.registration_access_token}"}
    ex = dcr_session.transport.send(RequestSpec("GET", uri, headers))
    status_in(ex, 401, "read of a client that does not exist with client A's live registration access token")
    own = dcr_session.transport.send(management.read_request(registered))
    if own.status == 200:  # not revoked: keep up with a rotation, so that the cleanup deletes A as usual
        management.adopt_rotation(registered, own)
        dcr_session.transport.redactor.add_secret(registered.client_secret)
        dcr_session.transport.redactor.add_secret(registered.registration_access_token)
    with prerequisite():  # neither an answer for A nor a refusal: no verdict on the revocation
        status_in(own, {200, 401}, "read of client A with its own token afterwards")
    should(own.status == 401, "client A's registration access token still reads client A after it was presented "
           "for a client that does not exist", "the token revoked: 401 (RFC 7592 §2.1 SHOULD)", ex, own,
           requirement="RFC7592-2.1-b")


@check("DCR-MGT-017", "RFC7592-2.2-g", per_profile=True, claims=MANAGED)
def test_update_of_unknown_client_is_401(dcr_session, registered):
    """PUT on a client that does not exist, or on the deleted client, gets 401."""
    # A deleted client's token: a live one presented here may be revoked (RFC 7592 §2.2), which
    # would leave a client the suite could not delete without a management client.
    uri, unknown = _unknown_client_uri(registered)
    body = management.update_body(registered, {"client_id": unknown})
    status_in(dcr_session.delete(registered), 204, "RFC 7592 delete of the probe client", requirement="RFC7592-2.3")
    spec = management.update_request(registered).replace(url=uri, json=body)
    ex = dcr_session.transport.send(spec)
    status_in(ex, 401, "update of a client that does not exist")
    again = dcr_session.transport.send(management.update_request(registered))
    status_in(again, 401, "update of the deleted client with its registration access token")
