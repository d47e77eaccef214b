"""RFC 7592 management of a per-device client: read, update, delete, with rotation as claimed."""

from __future__ import annotations

import secrets

import pytest

from conformance.client import management
from conformance.client.http import RequestSpec
from conformance.client.token import access_token_of
from conformance.requirements import SHOULD
from conformance.suite import expect as e
from conformance.suite.check import check
from conformance.suite.oracles import scopes, token_success

MANAGED = ("registration_management",)


def _get(dcr, uri: str, token: str | None) -> object:
    headers = {"Accept": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return dcr.transport.send(RequestSpec("GET", uri, headers))


def _works(dcr, dyn, what: str) -> None:
    token_success(dcr.use(dyn), what, token_type="DPoP" if dcr.profile.use.dpop else "Bearer")


@check("DCR-MGT-001", "RFC7592-2.1", claims=MANAGED)
def test_read_returns_the_client(dcr, profile, registered):
    """GET with the registration access token returns the client, with new credentials when the profile claims rotation."""
    old_secret, old_rat = registered.client_secret, registered.registration_access_token
    ex = dcr.read(registered)
    body = e.success(ex, 200, "RFC 7592 read")
    e.expect(body.get("client_id") == registered.client_id, f"client_id is {body.get('client_id')!r}",
             f"the client's own id {registered.client_id!r}", ex)
    e.expect(body.get("software_id") in (None, profile.template.software_id), "software_id changed",
             "the registered metadata", ex)
    if profile.claims.rotates_credentials_on_read:
        e.expect(body.get("registration_access_token") not in (None, old_rat),
                 "no new registration_access_token", "a rotated registration access token (claimed)", ex)
        if old_secret:
            e.expect(body.get("client_secret") not in (None, old_secret), "no new client_secret",
                     "a rotated client_secret (claimed)", ex)


@check("DCR-MGT-002", "RFC7592-2.1", claims=MANAGED + ("rotates_credentials_on_read",))
def test_rotated_credentials_replace_the_old(dcr, registered):
    """After a rotating read the old token and secret stop working and the new secret works."""
    old_uri = registered.registration_client_uri
    e.status_in(dcr.read(registered), 200, "RFC 7592 read")
    rotation = registered.last_rotation
    e.expect(rotation, "the read rotated nothing", "new credentials (the profile claims rotation)", None)
    if rotation.token_rotated:
        old = _get(dcr, old_uri, rotation.old_registration_access_token)
        e.status_in(old, 401, "read with the registration access token replaced by rotation")
    if rotation.secret_rotated:
        stale = dcr.use(registered, secret_override=rotation.old_client_secret)
        e.error_response(stale, {400, 401}, {"invalid_client"}, "token request with the secret replaced by rotation")
    _works(dcr, registered, "token request with the rotated secret")


@check("DCR-MGT-003", "RFC7592-2.1", "RFC6750-3", claims=MANAGED)
def test_read_without_token_is_401(dcr, registered):
    """GET on the client's URI without a token gets 401 with a Bearer challenge."""
    ex = _get(dcr, registered.registration_client_uri, None)
    e.status_in(ex, 401, "RFC 7592 read without a token")
    e.www_authenticate(ex, "Bearer", "RFC 7592 read without a token")


@check("DCR-MGT-004", "RFC7592-2.1", "CURITY-DCR-REVOKE", claims=MANAGED)
def test_other_clients_token_cannot_read(dcr, register):
    """Client B's registration access token cannot read client A."""
    a, b = register(), register()
    ex = _get(dcr, a.registration_client_uri, b.registration_access_token)
    e.status_in(ex, {401, 403}, "read of client A with client B's registration access token")
    e.expect(a.client_id not in ex.text and (not a.client_secret or a.client_secret not in ex.text),
             "the refusal discloses client A's data", "nothing of client A", ex)


@check("DCR-MGT-005", "RFC7592-2.1", claims=MANAGED)
def test_unknown_client_is_401(dcr, registered):
    """GET on the URI of a client that does not exist gets 401 (403 tolerated), also with a once-valid token."""
    # RFC 7592 §2.1 lets the server revoke the token used here, so it is a deleted client's token:
    # probing with a live client's token could leave that client undeletable.
    e.status_in(dcr.delete(registered), 204, "RFC 7592 delete of the probe client")
    base = registered.registration_client_uri.rsplit("/", 1)[0]
    ex = _get(dcr, f"{base}/no-such-client-{secrets.token_hex(4)}", registered.registration_access_token)
    e.status_in(ex, {401, 403}, "read of a client that does not exist")
    own = _get(dcr, registered.registration_client_uri, registered.registration_access_token)
    e.status_in(own, 401, "read of the deleted client with its registration access token")


@check("DCR-MGT-006", "RFC7592-2.2", claims=MANAGED)
def test_update_with_full_metadata(dcr, registered):
    """PUT with the full metadata and the matching client_id answers 200 with the client, which keeps working."""
    ex = dcr.update(registered, {"client_name": "dcr-conformance updated"})
    body = e.success(ex, 200, "RFC 7592 update")
    e.expect(body.get("client_id") == registered.client_id, f"client_id is {body.get('client_id')!r}",
             "the same client_id", ex)
    for key in ("grant_types", "token_endpoint_auth_method", "scope"):
        e.expect(key in body or (key == "token_endpoint_auth_method" and "token_endpoint_auth_methods" in body),
                 f"{key} is missing from the update response", "all registered metadata", ex)
    _works(dcr, registered, "token request after the update")


@check("DCR-MGT-007", "RFC7592-2.2", claims=MANAGED)
def test_update_with_another_client_id_is_refused(dcr, registered):
    """PUT whose client_id differs from the URI's client is refused and changes nothing."""
    spec = management.update_request(registered, {"client_id": "another-" + secrets.token_hex(4)})
    ex = dcr.transport.send(spec)
    e.refused(ex, "update naming another client_id", statuses={400, 401, 403})
    _works(dcr, registered, "token request after the refused update")


@check("DCR-MGT-008", "RFC7592-2.2", claims=MANAGED)
@pytest.mark.parametrize("field", ["client_secret", "registration_access_token"])
def test_update_cannot_set_server_fields(dcr, registered, field):
    """PUT cannot choose the client's secret; server-managed fields are refused or ignored."""
    chosen = "chosen-by-client-" + secrets.token_urlsafe(12)
    dcr.transport.redactor.add_secret(chosen)
    ex = dcr.transport.send(management.update_request(registered, {field: chosen}))
    if ex.status == 200:
        management.adopt_rotation(registered, ex)
        body = ex.json() or {}
        e.expect(body.get(field) != chosen, f"the server adopted the client's chosen {field}",
                 f"a refusal, or {field} ignored", ex)
    else:
        e.refused(ex, f"update setting {field}", statuses={400, 401, 403})
    if field == "client_secret":
        attempt = dcr.use(registered, secret_override=chosen)
        e.expect(attempt.status != 200, "the client-chosen secret authenticates", "the chosen secret never works",
                 attempt)


@check("DCR-MGT-009", "RFC7592-2.2", "CURITY-TEMPLATE-1", claims=MANAGED)
def test_update_cannot_widen_the_client(dcr, profile, registered):
    """PUT widening scope beyond the template is refused or clipped; never broader."""
    outside = "outside-" + secrets.token_hex(3)
    current = (registered.metadata or {}).get("scope") or profile.template.scope or ""
    ex = dcr.update(registered, {"scope": f"{current} {outside}".strip()})
    if ex.status != 200:
        e.error_response(ex, {400, 401, 403}, {"invalid_client_metadata", "invalid_redirect_uri", "invalid_token",
                                                 "insufficient_scope"}, "update widening the scope")
        return
    granted = scopes((ex.json() or {}).get("scope"))
    e.expect(outside not in granted, f"the updated client holds scope {sorted(granted)}",
             "no scope outside the template", ex)


@check("DCR-MGT-010", "RFC7592-2.3", claims=MANAGED)
def test_delete_answers_204(dcr, registered):
    """DELETE with the registration access token answers 204 with an empty body."""
    ex = dcr.delete(registered)
    e.status_in(ex, 204, "RFC 7592 delete")
    e.expect(not ex.text.strip(), "the 204 has a body", "no content", ex)


@check("DCR-MGT-011", "RFC7592-2.3", claims=MANAGED)
def test_deleted_client_is_gone(dcr, registered):
    """After DELETE the client's credentials and its registration access token are refused."""
    e.status_in(dcr.delete(registered), 204, "RFC 7592 delete")
    ex = dcr.use(registered)
    e.error_response(ex, {400, 401}, {"invalid_client"}, "token request by the deleted client")
    e.status_in(_get(dcr, registered.registration_client_uri, registered.registration_access_token), 401,
                "read with the deleted client's registration access token")
    again = dcr.transport.send(management.delete_request(registered))
    e.status_in(again, 401, "second delete with the deleted client's registration access token")


@check("DCR-MGT-012", "RFC7592-2.3-S", level=SHOULD,
       claims=MANAGED + ("deleted_client_tokens_inactive", "introspection"), needs=("introspector",))
def test_deleted_clients_tokens_stop_working(dcr, registered):
    """Access tokens issued before DELETE introspect as inactive afterwards."""
    token = access_token_of(dcr.use(registered))
    e.expect(token, "prerequisite: the dynamic client got no token", "a token", None)
    e.status_in(dcr.delete(registered), 204, "RFC 7592 delete")
    ex = dcr.introspect(token)
    body = e.success(ex, 200, "introspection of a token of the deleted client")
    e.expect(body.get("active") is False, f"active is {body.get('active')!r}", "active: false", ex)
