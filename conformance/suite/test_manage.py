"""RFC 7592 management of a per-device client: read, update, delete, with rotation as claimed."""

from __future__ import annotations

import secrets

import pytest

from conformance.client import management
from conformance.client.http import RequestSpec
from conformance.client.token import access_token_of, initial_token_request
from conformance.oracles.expect import client_authentication_refused, expect, refused, refused_as_described, should
from conformance.oracles.expect import TOKEN_400_DESCRIBED, status_in, success, www_authenticate
from conformance.oracles.failures import PrerequisiteFailure
from conformance.oracles.token_response import granted_scopes, scope_shown, scopes, token_success
from conformance.requirements import SHOULD
from conformance.suite import code_flow, steps
from conformance.suite.check import check, not_applicable
from conformance.suite.expiry import AGING_MARGIN_S
from conformance.vocabulary import DCRM_SCOPE
from conformance.catalogue import allowed as ok, declare_answers, forbidden as no


# The answers the specs allow and forbid, per check (rendered into docs/catalogue.md).
_MAY_DIFFER = ("RFC 7592 §2.1", "MAY", "Some values in the response, including the \"client_secret\" and "
               "\"registration_access_token\", MAY be different from those in the initial registration response. If the "
               "authorization server includes a new client secret and/or registration access token in its response, the "
               "client MUST immediately discard its previous client secret and/or registration access token.")
_UNKNOWN_401 = ("RFC 7592 §2.1", "MUST", "If the client does not exist on this server, the server MUST respond with "
                "HTTP 401 Unauthorized and the registration access token used to make this request SHOULD be "
                "immediately revoked.")
_FORBIDDEN_403 = ("RFC 7592 §2.1", "MUST", "If the client does not have permission to read its record, the server MUST "
                  "return an HTTP 403 Forbidden.")
_TOKEN_NOT_VALID = ("RFC 7592 §2.1", "MUST", "If the registration access token used to make this request is not "
                    "valid, the server MUST respond with an error as described in OAuth 2.0 Bearer Token Usage "
                    "[RFC6750].")
_CLIENT_ID_KEPT = ("RFC 7592 §2.2", "MUST NOT", "The value of the \"client_id\" MUST NOT change from the initial "
                   "registration response.")
_DELETE_CLAIMED = ("[claims] registration_management", "claim", "RFC 7592 read / update / delete: the flow deletes "
                   "each per-device client at its own request (CURITY-DCR-REVOKE: each dynamic client can be revoked "
                   "individually); RFC 7592 §2.3's 405 (\"If the server does not support the delete method\") and 403 "
                   "(\"If the client is not allowed to delete itself\") are for a server that does not claim it")
_DELETE_204 = ("RFC 7592 §2.3", "MUST", "If a client has been successfully deprovisioned, the authorization server MUST "
               "respond with an HTTP 204 No Content message.")
_NO_OVERWRITE = ("RFC 7592 §2.2", "MUST NOT", "The client MUST NOT be allowed to overwrite its existing client secret "
                 "with its own chosen value.")
_REPLACED = ("RFC 7592 §2.2", "MUST", "For all metadata fields, the authorization server MAY replace any invalid values "
             "with suitable default values, and it MUST return any such fields to the client in the response.")
#: RFC 6749 §5.2 for a token request whose client authentication fails: the error code REQUIRED,
#: invalid_client (and its 400/401) only described.
_CODE_REQUIRED = ("RFC 6749 §5.2", "REQUIRED", "error REQUIRED. A single ASCII [USASCII] error code from the following")
_INVALID_CLIENT_WARN = ("RFC 6749 §5.2", "SHOULD", 'descriptive, no keyword: "invalid_client: Client authentication '
                        'failed (e.g., unknown client, no client authentication included, or unsupported authentication '
                        'method)."')
_AS_DESCRIBED_7591 = ("RFC 7592 §2.2", "SHOULD", "descriptive, no keyword: \"If the client attempts to set an invalid "
                      "metadata field and the authorization server does not set a default value, the authorization "
                      "server responds with an error as described in [RFC7591]\" (RFC 7591 §3.2.2: \"returns an HTTP "
                      "400 status code (unless otherwise specified)\")")
_RFC7591_CODE = ("RFC 7591 §3.2.2", "REQUIRED", "error REQUIRED. Single ASCII error code string.")
#: What a refused request whose code and status are only described may not be (a non-refusal).
_CLIENT_REFUSAL = (
    no("a 5xx, an HTML page, a refusal without an error code (the token request of a client whose credentials no "
       "longer hold)", *_CODE_REQUIRED),
    no("another error code than invalid_client, or another 4xx than 400/401, with an error code (a warning)",
       *_INVALID_CLIENT_WARN),
)
_SCOPE_REFUSAL_WARN = ("RFC 6749 §5.2", "SHOULD", 'descriptive, no keyword: "The authorization server responds with '
                       'an HTTP 400 (Bad Request) status code (unless specified otherwise)"; "invalid_scope: The '
                       'requested scope is invalid, unknown, malformed, or exceeds the scope granted by the resource '
                       'owner"')
_METADATA_REFUSAL = (
    no("a 5xx, an HTML page, a refusal without an error code", *_RFC7591_CODE),
    no("another 4xx or another error code, with an error code (a warning)", *_AS_DESCRIBED_7591),
)
ANSWERS = declare_answers({
    "DCR-MGT-001": (
        ok("200 with the client; new secret and/or token, or the same ones", *_MAY_DIFFER),
        no("another client_id, another software_id", "RFC 7591 §3.2.1 (the response RFC 7592 §2.1 returns)", "MUST",
           "Additionally, the authorization server MUST return all registered metadata about the client, including "
           "any fields provisioned by the authorization server itself."),
        no("nothing rotated when the profile claims rotation on read", "[claims] rotates_credentials_on_read", "claim",
           "a read returns a new client secret and/or registration access token"),
    ),
    "DCR-MGT-002": (
        ok("the replaced token 401, the replaced secret invalid_client, the new secret working", *_MAY_DIFFER),
        no("a replaced credential still working", "[claims] rotates_credentials_on_read", "claim",
           "rotation replaces the old credentials"),
        *_CLIENT_REFUSAL,
    ),
    "DCR-MGT-003": (
        ok("401 with a Bearer challenge", "RFC 6750 §3", "MUST", "the resource server MUST include the HTTP "
           "\"WWW-Authenticate\" response header field"),
        no("no Bearer challenge (a 200 among them), a 5xx", "RFC 6750 §3", "MUST", "If the protected resource request "
           "does not include authentication credentials or does not contain an access token that enables access to "
           "the protected resource, the resource server MUST include the HTTP \"WWW-Authenticate\" response header "
           "field"),
        no("another 4xx than 401, with a Bearer challenge (a warning)", "RFC 6750 §3", "SHOULD",
           "descriptive, no keyword: \"For example, in response to a protected resource request without "
           "authentication: HTTP/1.1 401 Unauthorized\""),
    ),
    "DCR-MGT-004": (
        ok("401 (the token is not valid for this client) or 403", *_FORBIDDEN_403),
        no("200, or a refusal disclosing client A's data", *_FORBIDDEN_403),
    ),
    "DCR-MGT-005": (
        ok("401 at the server's URI for the client with the client_id replaced, and on the deleted client's own URI",
           *_UNKNOWN_401),
        ok("an RFC 6750 error for the deleted client's token (invalid_token: 401) is the same 401", *_TOKEN_NOT_VALID),
        ok("not applicable when the registration_client_uri does not hold the client_id", "RFC 7592 §2",
           "descriptive",
           "The location of this endpoint is communicated to the client through the \"registration_client_uri\" member"),
        no("403 for the unknown client: §2.1's 403 is for a client that exists (\"If the client does not have "
           "permission to read its record\"), and the token not being valid does not lift the 401 §2.1 requires",
           *_UNKNOWN_401),
        no("200 or 404 for an unknown client, the deleted client still readable", *_UNKNOWN_401),
    ),
    "DCR-MGT-006": (
        ok("200 with the client (new secret and/or token allowed)", "RFC 7592 §2.2", "descriptive", "the server "
           "responds with "
           "an HTTP 200 OK ... and a payload ... same as the client information response"),
        no("another client_id", *_CLIENT_ID_KEPT),
        no("metadata missing from the response, the client no longer working", "RFC 7591 §3.2.1",
           "MUST", "the authorization server MUST return all registered metadata about the client"),
    ),
    "DCR-MGT-007": (
        ok("400/401/403 refusal with an error, the client unchanged", "RFC 7592 §2.2", "MUST", "The client MUST include "
           "its \"client_id\" field in the request, and it MUST be the same as its currently issued client identifier."),
        no("200 for another client_id", "RFC 7592 §2.2", "MUST", "it MUST be the same as its currently issued client "
           "identifier"),
    ),
    "DCR-MGT-008": (
        ok("a refusal, or 200 with the field ignored", *_NO_OVERWRITE),
        no("the chosen secret or token adopted, or the chosen secret authenticating", *_NO_OVERWRITE),
    ),
    "DCR-MGT-009": (
        ok("a refusal with an error, or 200 with the scope clipped", "RFC 7591 §3.2.1", "MAY", "The authorization server "
           "MAY reject or replace any of the client's requested metadata values"),
        no("a scope outside the template", "[claims] (templates)", "claim", "the template bounds the scope "
           "(CURITY-TEMPLATE-1)"),
        *_METADATA_REFUSAL,
    ),
    "DCR-MGT-010": (
        ok("204 with no body", *_DELETE_204),
        no("405 (delete not supported) or 403 (the client not allowed to delete itself) to the client's own DELETE",
           *_DELETE_CLAIMED),
        no("another status, or a body", *_DELETE_204),
    ),
    "DCR-MGT-011": (
        ok("invalid_client for the deleted client; 401 for its registration access token", *_UNKNOWN_401),
        no("the deleted client or its token still working", *_UNKNOWN_401),
        *_CLIENT_REFUSAL,
    ),
    "DCR-MGT-012": (
        ok("tokens of the deleted client inactive; its refresh token refused (invalid_grant or invalid_client)",
           "RFC 7592 §2.3", "SHOULD", "the authorization server SHOULD immediately invalidate all existing authorization "
           "grants and currently active access tokens, all refresh tokens, and all other tokens associated with this "
           "client"),
        no("a token of the deleted client still active (a warning)", "RFC 7592 §2.3", "SHOULD",
           "SHOULD immediately invalidate ... currently active access tokens"),
    ),
    "DCR-MGT-013": (
        ok("a refused dcrm request (invalid_scope, unauthorized_client) or a token without dcrm that cannot manage",
           "RFC 6749 §3.3", "MAY", "The authorization server MAY fully or partially ignore the scope requested"),
        no("a main client managing a client or granted dcrm (its scope naming dcrm, or omitted: RFC 6749 §5.1, the "
           "requested scope); a management client unable to", "[claims] management_clients", "claim",
           "a management client's dcrm token reads and deletes any dynamic client (CURITY-DCRM-MANAGER)"),
        no("the main client's dcrm request refused with another 4xx or another code than invalid_scope / "
           "unauthorized_client, with an error code (a warning)", *_SCOPE_REFUSAL_WARN),
        *_CLIENT_REFUSAL,
    ),
    "DCR-MGT-014": (
        ok("401 with a challenge for read and update, 204 for delete", "RFC 6750 §3", "MUST", "the resource server MUST "
           "include the HTTP \"WWW-Authenticate\" response header field"),
        no("a read or update accepted, credentials in the refusal, the delete refused",
           "[claims] registration_token_read_write_ttl_s", "claim", "an older registration access token may only DELETE"),
        *_CLIENT_REFUSAL,
    ),
    "DCR-MGT-018": (
        ok("400 invalid_client_metadata (invalid_request for the malformed value), the client unchanged",
           "RFC 7592 §2.2", "MAY", "For all metadata fields, the authorization server MAY replace any invalid "
           "values with suitable default values ... If the client attempts to set an invalid metadata field and "
           "the authorization server does not set a default value, the authorization server responds with an "
           "error as described in [RFC7591]."),
        ok("200 returning the array of grant types that replaced the invalid value", *_REPLACED),
        no("200 without grant_types, or with the invalid value kept", *_REPLACED),
        *_METADATA_REFUSAL,
    ),
    "DCR-MGT-019": (
        ok("401 for the unknown client; then the token used is refused (401)", "RFC 7592 §2.3",
           "SHOULD", "If the client does not exist on this server, the server MUST respond with HTTP 401 "
           "Unauthorized and the registration access token used to make this request SHOULD be immediately "
           "revoked."),
        ok("not applicable when the registration_client_uri does not hold the client_id", "RFC 7592 §2",
           "descriptive",
           "The location of this endpoint is communicated to the client through the \"registration_client_uri\" "
           "member"),
        no("204, 403 or 404 for a client that does not exist (403 is §2.3's answer for a client that exists but "
           "may not delete itself)", "RFC 7592 §2.3", "MUST", "If the client does not exist "
           "on this server, the server MUST respond with HTTP 401 Unauthorized"),
        no("the token used still reading its own client (a warning)", "RFC 7592 §2.3", "SHOULD",
           "the registration access token used to make this request SHOULD be immediately revoked"),
    ),
    "DCR-MGT-020": (
        ok("401 (403 tolerated) for the unknown client; then the token used is refused (401)", "RFC 7592 §2.2",
           "SHOULD", "If the client does not exist on this server, the server MUST respond with HTTP 401 "
           "Unauthorized and the registration access token used to make this request SHOULD be immediately "
           "revoked."),
        no("the token used still reading its own client, or the PUT accepted (a warning)", "RFC 7592 §2.2",
           "SHOULD", "the registration access token used to make this request SHOULD be immediately revoked"),
    ),
})

#: RFC 7592 §2.2 refers a refused update to RFC 7591's errors without a keyword.
UPDATE_ERROR_DESCRIBED = ('RFC 7592 §2.2 "the authorization server responds with an error as described in [RFC7591]" '
                          '(RFC 7591 §3.2.2 "returns an HTTP 400 status code (unless otherwise specified)")')
MANAGED = ("registration_management",)
MANAGERS = MANAGED + ("management_clients",)


def _get(dcr_session, uri: str, token: str | None) -> object:
    headers = {"Accept": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return dcr_session.transport.send(RequestSpec("GET", uri, headers))


def _works(dcr_session, dyn, what: str, requirement: str) -> None:
    """The client still gets tokens: a refusal is the check's own ``requirement``; a fault of the
    answer otherwise (RFC 6749 §5.1) is another check's and blocks this one."""
    token_success(dcr_session.use(dyn), what, token_type=steps.token_type(dcr_session.profile),
                  requirement=requirement)


@check("DCR-MGT-001", "RFC7592-2.1", claims=MANAGED)
def test_read_returns_the_client(dcr_session, profile, registered):
    """GET with the registration access token returns the client, with new credentials when the profile claims rotation."""
    old_secret, old_rat = registered.client_secret, registered.registration_access_token
    ex = dcr_session.read(registered)
    body = success(ex, 200, "RFC 7592 read")
    expect(body.get("client_id") == registered.client_id, f"client_id is {body.get('client_id')!r}",
           f"the client's own id {registered.client_id!r}", ex)
    expect(body.get("software_id") in (None, profile.template.software_id), "software_id changed",
           "the registered metadata", ex)
    if profile.claims.rotates_credentials_on_read:
        # RFC 7592 §2.1: "If the authorization server includes a new client secret and/or registration
        # access token in its response, the client MUST immediately discard its previous client secret
        # and/or registration access token": either one rotating is rotation.
        new_rat, new_secret = body.get("registration_access_token"), body.get("client_secret")
        rat_rotated = isinstance(new_rat, str) and new_rat != "" and new_rat != old_rat
        secret_rotated = bool(old_secret) and isinstance(new_secret, str) and new_secret not in ("", old_secret)
        expect(rat_rotated or secret_rotated, "neither a new registration_access_token nor a new client_secret",
               "a rotated registration access token and/or client_secret (claimed; RFC 7592 §2.1)", ex)


@check("DCR-MGT-002", "RFC7592-2.1", claims=MANAGED + ("rotates_credentials_on_read",))
def test_rotated_credentials_replace_the_old(dcr_session, registered):
    """After a rotating read the old token and secret stop working and the new secret works."""
    old_uri = registered.registration_client_uri
    status_in(dcr_session.read(registered), 200, "RFC 7592 read")
    rotation = registered.last_rotation
    expect(rotation, "the read rotated nothing", "new credentials (the profile claims rotation)", None)
    if rotation.token_rotated:
        old = _get(dcr_session, old_uri, rotation.old_registration_access_token)
        status_in(old, 401, "read with the registration access token replaced by rotation")
    if rotation.secret_rotated:
        stale = dcr_session.use(registered, secret_override=rotation.old_client_secret)
        client_authentication_refused(stale, "token request with the secret replaced by rotation", basic=False)
    _works(dcr_session, registered, "token request with the rotated secret", "RFC7592-2.1")


@check("DCR-MGT-003", "RFC7592-2.1", "RFC6750-3", claims=MANAGED)
def test_read_without_token_is_401(dcr_session, registered):
    """GET on the client's URI without a token gets 401 with a Bearer challenge."""
    ex = _get(dcr_session, registered.registration_client_uri, None)
    status_in(ex, range(400, 500), "RFC 7592 read without a token")
    www_authenticate(ex, "Bearer", "RFC 7592 read without a token")
    should(ex.status == 401, f"RFC 7592 read without a token: HTTP {ex.status}",
           'HTTP 401 (descriptive, no keyword: RFC 6750 §3 "in response to a protected resource request without '
           'authentication: HTTP/1.1 401 Unauthorized")', ex)


@check("DCR-MGT-004", "RFC7592-2.1", "CURITY-DCR-REVOKE", claims=MANAGED)
def test_other_clients_token_cannot_read(dcr_session, register):
    """Client B's registration access token cannot read client A."""
    a, b = register(), register()
    ex = _get(dcr_session, a.registration_client_uri, b.registration_access_token)
    status_in(ex, {401, 403}, "read of client A with client B's registration access token")
    expect(a.client_id not in ex.text and (not a.client_secret or a.client_secret not in ex.text),
           "the refusal discloses client A's data", "nothing of client A", ex)


@check("DCR-MGT-005", "RFC7592-2.1", claims=MANAGED)
def test_unknown_client_is_401(dcr_session, registered):
    """GET on the URI of a client that does not exist, with a deleted client's token, gets 401, not 403."""
    # RFC 7592 §2.1 lets the server revoke the token used here, so it is a deleted client's token:
    # probing with a live client's token could leave that client undeletable.
    # RFC 7592 §2: the endpoint's location "is communicated to the client through the
    # "registration_client_uri" member"; its shape is the server's. The unknown client's URI is the
    # one the server gave with the client_id replaced, so the answer is the server's for an unknown client.
    uri, client_id = registered.registration_client_uri, registered.client_id
    if client_id not in uri:
        not_applicable("the registration_client_uri does not hold the client_id: no unknown client's URI to build")
    status_in(dcr_session.delete(registered), 204, "RFC 7592 delete of the probe client", requirement="RFC7592-2.3")
    head, _, tail = uri.rpartition(client_id)
    ex = _get(dcr_session, f"{head}no-such-client-{secrets.token_hex(4)}{tail}", registered.registration_access_token)
    # RFC 7592 §2.1: "If the client does not exist on this server, the server MUST respond with HTTP
    # 401 Unauthorized". The deleted client's token is not valid either ("MUST respond with an error
    # as described in [RFC6750]": invalid_token, 401 SHOULD): both sentences allow 401, neither 403,
    # which §2.1 gives a client that exists without permission to read its record.
    expect(ex.status != 403, "read of a client that does not exist: HTTP 403",
           "HTTP 401 (RFC 7592 §2.1: the client does not exist; 403 is for a client that exists)", ex)
    status_in(ex, 401, "read of a client that does not exist")
    own = _get(dcr_session, registered.registration_client_uri, registered.registration_access_token)
    status_in(own, 401, "read of the deleted client with its registration access token")


@check("DCR-MGT-006", "RFC7592-2.2", "RFC7592-2.2-n", claims=MANAGED)
def test_update_with_full_metadata(dcr_session, registered):
    """PUT with the full metadata and the matching client_id answers 200 with the client, which keeps working."""
    ex = dcr_session.update(registered, {"client_name": "dcr-conformance updated"})
    body = success(ex, 200, "RFC 7592 update")
    expect(body.get("client_id") == registered.client_id, f"the update response's client_id is {body.get('client_id')!r}",
           f"the same client_id {registered.client_id!r} (RFC 7592 §2.2: MUST NOT change)", ex,
           requirement="RFC7592-2.2-n")
    for key in ("grant_types", "token_endpoint_auth_method", "scope"):
        expect(key in body or (key == "token_endpoint_auth_method" and "token_endpoint_auth_methods" in body),
               f"{key} is missing from the update response", "all registered metadata", ex)
    _works(dcr_session, registered, "token request after the update", "RFC7592-2.2")


@check("DCR-MGT-007", "RFC7592-2.2", claims=MANAGED)
def test_update_with_another_client_id_is_refused(dcr_session, registered):
    """PUT whose client_id differs from the URI's client is refused and changes nothing."""
    spec = management.update_request(registered, {"client_id": "another-" + secrets.token_hex(4)})
    ex = dcr_session.transport.send(spec)
    refused(ex, "update naming another client_id", statuses={400, 401, 403})
    _works(dcr_session, registered, "token request after the refused update", "RFC7592-2.2")


@check("DCR-MGT-008", "RFC7592-2.2", claims=MANAGED)
@pytest.mark.parametrize("field", ["client_secret", "registration_access_token"])
def test_update_cannot_set_server_fields(dcr_session, registered, field):
    """PUT cannot choose the client's secret; server-managed fields are refused or ignored."""
    chosen = "chosen-by-client-" + secrets.token_urlsafe(12)
    dcr_session.transport.redactor.add_secret(chosen)
    ex = dcr_session.transport.send(management.update_request(registered, {field: chosen}))
    if ex.status == 200:
        management.adopt_rotation(registered, ex)
        body = success(ex, 200, f"update setting {field}")
        expect(body.get(field) != chosen, f"the update response returns the client's chosen {field}",
               f"a refusal, or {field} ignored", ex)
    else:
        refused(ex, f"update setting {field}", statuses={400, 401, 403})
    if field == "client_secret":
        attempt = dcr_session.use(registered, secret_override=chosen)
        expect(attempt.status != 200, "the client-chosen secret authenticates", "the chosen secret never works",
               attempt)


@check("DCR-MGT-009", "RFC7592-2.2", "CURITY-TEMPLATE-1", claims=MANAGED, needs=("template",))
def test_update_cannot_widen_the_client(dcr_session, profile, registered):
    """PUT widening scope beyond the template is refused or clipped; never broader."""
    outside = "outside-" + secrets.token_hex(3)
    current = (registered.metadata or {}).get("scope") or profile.template.scope or ""
    ex = dcr_session.update(registered, {"scope": f"{current} {outside}".strip()})
    if ex.status != 200:
        refused_as_described(ex, "update widening the scope", statuses={400, 401, 403},
                             errors={"invalid_client_metadata", "invalid_redirect_uri", "invalid_token",
                                     "insufficient_scope"}, described=UPDATE_ERROR_DESCRIBED)
        return
    granted = scopes(success(ex, 200, "update widening the scope").get("scope"))
    expect(outside not in granted, f"the update response registers scope {sorted(granted)}",
           "no scope outside the template", ex)


@check("DCR-MGT-010", "RFC7592-2.3", claims=MANAGED)
def test_delete_answers_204(dcr_session, registered):
    """DELETE with the registration access token answers 204 with an empty body."""
    ex = dcr_session.delete(registered)
    claimed = "204: the profile claims registration_management (RFC 7592 read / update / delete; set it false " \
              "for a server that does not let a client delete itself)"
    expect(ex.status != 405, "RFC 7592 delete: HTTP 405, delete not supported", claimed, ex)
    expect(ex.status != 403, "RFC 7592 delete: HTTP 403, the client is not allowed to delete itself", claimed, ex)
    status_in(ex, 204, "RFC 7592 delete")
    expect(not ex.text.strip(), "the 204 has a body", "no content", ex)


@check("DCR-MGT-011", "RFC7592-2.3", claims=MANAGED)
def test_deleted_client_is_gone(dcr_session, registered):
    """After DELETE the client's credentials and its registration access token are refused."""
    status_in(dcr_session.delete(registered), 204, "RFC 7592 delete")
    ex = dcr_session.use(registered)
    client_authentication_refused(ex, "token request by the deleted client", basic=False)
    status_in(_get(dcr_session, registered.registration_client_uri, registered.registration_access_token), 401,
              "read with the deleted client's registration access token")
    again = dcr_session.transport.send(management.delete_request(registered))
    status_in(again, 401, "second delete with the deleted client's registration access token")


@check("DCR-MGT-012", "RFC7592-2.3-S", level=SHOULD,
       claims=MANAGED + ("deleted_client_tokens_inactive", "introspection"), needs=("introspector",))
def test_deleted_clients_tokens_stop_working(dcr_session, registered):
    """Access tokens issued before DELETE introspect as inactive afterwards."""
    token = steps.setup_use(dcr_session, registered)["access_token"]
    status_in(dcr_session.delete(registered), 204, "RFC 7592 delete", requirement="RFC7592-2.3")
    ex = dcr_session.introspect(token)
    body = success(ex, 200, "introspection of a token of the deleted client", requirement="RFC7662-2.2")
    expect(body.get("active") is False, f"active is {body.get('active')!r}", "active: false", ex)


@check("DCR-MGT-012", "RFC7592-2.3-S", level=SHOULD, per_profile=True, needs=("dpop",),
       claims=MANAGED + ("deleted_client_tokens_inactive", "code_flow"))
def test_deleted_clients_refresh_tokens_stop_working(dcr_session, registered):
    """A refresh token issued before DELETE is refused afterwards with invalid_grant or invalid_client."""
    tokens = code_flow.user_tokens(dcr_session, registered)
    status_in(dcr_session.delete(registered), 204, "RFC 7592 delete", requirement="RFC7592-2.3")
    ex = dcr_session.refresh(registered, tokens["refresh_token"])
    refused(ex, "refresh with a refresh token of the deleted client", statuses={400, 401},
            errors={"invalid_grant", "invalid_client"})


@check("DCR-MGT-013", "CURITY-DCRM-MANAGER", "RFC7592-2.1", "RFC7592-2.3", per_profile=True, claims=MANAGERS,
       needs=("management_client",))
def test_management_client_manages_any_client(dcr_session, registered):
    """A management client's dcrm token reads and deletes any dynamic client, whose credentials then stop working."""
    token, got = dcr_session.management_token()
    status_in(got, 200, "the management client's token request for scope dcrm")  # CURITY-DCRM-MANAGER
    token_success(got, "the management client's token request for scope dcrm", scope_contains=DCRM_SCOPE)
    read = _get(dcr_session, registered.registration_client_uri, token)
    management.adopt_rotation(registered, read)  # were the client's credentials rotated, keep up
    dcr_session.transport.redactor.add_secret(registered.client_secret)
    dcr_session.transport.redactor.add_secret(registered.registration_access_token)
    body = success(read, 200, "read of a dynamic client with the management client's dcrm token")
    expect(body.get("client_id") == registered.client_id, f"client_id is {body.get('client_id')!r}",
           f"the managed client's id {registered.client_id!r}", read)
    status_in(dcr_session.delete(registered, token=token), 204, "delete of a dynamic client with the dcrm token")
    ex = dcr_session.use(registered)
    client_authentication_refused(ex, "token request by the client the management client deleted", basic=False)


@check("DCR-MGT-013", "CURITY-DCRM-MANAGER", "RFC7592-2.1", "RFC7592-2.3", claims=MANAGERS)
def test_main_client_gets_no_dcrm(dcr_session, profile, main_client, register):
    """A main client asking for scope dcrm is refused, or gets a token without dcrm that cannot manage a client."""
    got = dcr_session.transport.send(initial_token_request(profile, main_client, scope=DCRM_SCOPE))
    token = access_token_of(got)
    if token is None:
        refused_as_described(got, "a main client's token request for scope dcrm", statuses={400, 401},
                             errors={"invalid_scope", "unauthorized_client"}, described=TOKEN_400_DESCRIBED)
        return
    dcr_session.transport.redactor.add_secret(token)
    body = got.json() if isinstance(got.json(), dict) else {}
    expect(DCRM_SCOPE not in granted_scopes(body, DCRM_SCOPE),  # an omitted scope is the one requested (§5.1)
           f"the token response to a main client {scope_shown(body, DCRM_SCOPE)}",
           "no dcrm scope for a client that is not a management client", got)
    victim = register()
    probe = _get(dcr_session, victim.registration_client_uri, token)
    management.adopt_rotation(victim, probe)  # a wrongly accepted read must not strand the client
    status_in(probe, {401, 403}, "read of a dynamic client with a main client's token")


def _no_credentials(ex, what: str) -> None:
    body = ex.json() if isinstance(ex.json(), dict) else {}
    expect(not {"client_secret", "registration_access_token"} & set(body), f"{what}: credentials came back",
           "a refusal without client credentials", ex)


@check("DCR-MGT-014", "CURITY-DCRM-RWTTL", "RFC6750-3", per_profile=True,
       claims=MANAGED + ("registration_token_read_write_ttl_s",))
def test_old_registration_token_can_only_delete(dcr_session, dcr_state, profile, aged_client):
    """A registration access token older than read-write-ttl cannot read or update the client, but still deletes it."""
    dyn, exchanges = aged_client.value
    steps.initial_token_answer(exchanges[0], "the initial token request for the client to age")
    if len(exchanges) < 2:
        raise PrerequisiteFailure("prerequisite: no registration of the client to age was sent")
    steps.registration_answer(dcr_session, dyn, exchanges[1])
    ttl = profile.claims.registration_token_read_write_ttl_s
    aged_client.wait_until_older_than(ttl + AGING_MARGIN_S, dcr_state.max_wait_s,
                                      f"registration_token_read_write_ttl_s = {ttl}")
    what = "a registration access token older than read-write-ttl"
    read = dcr_session.read(dyn)
    status_in(read, 401, f"read with {what}")
    www_authenticate(read, "Bearer", f"read with {what}")
    _no_credentials(read, f"read with {what}")
    update = dcr_session.update(dyn, {"client_name": "dcr-conformance aged " + secrets.token_hex(4)})
    status_in(update, 401, f"update with {what}")
    _no_credentials(update, f"update with {what}")
    _works(dcr_session, dyn, "token request after the refused read and update (nothing may have rotated)",
           "CURITY-DCRM-RWTTL")
    status_in(dcr_session.delete(dyn), 204, f"delete with {what}")
    ex = dcr_session.use(dyn)
    client_authentication_refused(ex, "token request by the client deleted with its old token", basic=False)


@check("DCR-MGT-018", "RFC7592-2.2-j", per_profile=True, claims=MANAGED)
def test_update_returns_what_replaced_an_invalid_value(dcr_session, registered):
    """PUT with grant_types as a string is refused with an RFC 7591 error, or answered 200 with the array that replaced it."""
    what = "update with grant_types as a string, not an array"
    ex = dcr_session.update(registered, {"grant_types": "client_credentials"})
    if ex.status != 200:
        refused_as_described(ex, what, statuses={400}, errors={"invalid_client_metadata", "invalid_request"},
                             described=UPDATE_ERROR_DESCRIBED)
        _works(dcr_session, registered, "token request after the refused update", "RFC7592-2.2-j")
        return
    body = success(ex, 200, what)
    expect("grant_types" in body, "the 200 does not return grant_types",
           "the grant types that replaced the invalid value, returned (RFC 7592 §2.2: MUST return any such fields)", ex)
    value = body["grant_types"]
    expect(isinstance(value, list) and all(isinstance(v, str) for v in value), f"the 200 returns grant_types {value!r}",
           "an array of grant type strings: the invalid value replaced (RFC 7592 §2.2)", ex)


def _spend_token_on_unknown_client(dcr_session, register, method: str, requirement: str) -> None:
    """``method`` on the URI of a client that does not exist with live client A's token gets 401
    (a DELETE: exactly, RFC 7592 §2.3 MUST; a PUT: any refusal here, its 401 is DCR-MGT-017's), and
    A's token is then revoked (RFC 7592 §2.2 / §2.3: SHOULD). The client whose
    token is spent cannot delete itself afterwards: the cleanup deletes it with a management
    client's dcrm token, or lists it as left over."""
    a = register()
    uri, client_id = a.registration_client_uri, a.client_id
    if client_id not in uri:
        not_applicable("the registration_client_uri does not hold the client_id: no unknown client's URI to build")
    head, _, tail = uri.rpartition(client_id)
    spec = management.update_request(a) if method == "PUT" else management.delete_request(a)
    spec = spec.replace(url=f"{head}no-such-client-{secrets.token_hex(4)}{tail}")
    ex = dcr_session.transport.send(spec)
    status_in(ex, {401} if method == "DELETE" else {401, 403},
              f"{method} on a client that does not exist, with client A's registration access token")
    own = dcr_session.read(a)
    should(own.status == 401, f"client A's registration access token still reads client A (HTTP {own.status})",
           "the token used on a client that does not exist revoked: 401 (RFC 7592: SHOULD)", own,
           requirement=requirement)


@check("DCR-MGT-019", "RFC7592-2.3-b", "RFC7592-2.3-c", per_profile=True, claims=MANAGED)
def test_delete_of_an_unknown_client_revokes_the_token(dcr_session, register):
    """DELETE on the URI of a client that does not exist, with a live client's token, gets 401, and that token is revoked."""
    _spend_token_on_unknown_client(dcr_session, register, "DELETE", "RFC7592-2.3-c")


@check("DCR-MGT-020", "RFC7592-2.2-l", level=SHOULD, per_profile=True, claims=MANAGED)
def test_update_of_an_unknown_client_revokes_the_token(dcr_session, register):
    """PUT on the URI of a client that does not exist, with a live client's token, is refused, and that token is revoked."""
    _spend_token_on_unknown_client(dcr_session, register, "PUT", "RFC7592-2.2-l")
