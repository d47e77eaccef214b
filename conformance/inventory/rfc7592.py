"""RFC 7592 (Dynamic Client Registration Management): the normative sentences the inventory holds.
§2.1, §2.2 and §2.3 each repeat the sentence on a client that does not exist; it is recorded once
per method, since each method answers it separately."""

from conformance.inventory.model import claim, client_side, must, not_observable, should

_GONE = """If the client does not exist on this server, the server MUST respond with HTTP 401
        Unauthorized and the registration access token used to make this request SHOULD be
        immediately revoked."""

# §2.1-§2.3 each repeat it for their method (issue 14). The words are the team's reading of the RFC:
# "If the registration access token used to make this request is not valid" and an error "as
# described in [RFC 6750]" were found quoted publicly, the whole sentence was not.
_NOT_VALID = """If the registration access token used to make this request is not valid, the server MUST
        respond with an error as described in OAuth 2.0 Bearer Token Usage [RFC6750]."""

_DELETE_CLAIMED = ("a profile claiming RFC 7592 management (read / update / delete) says the server deletes "
                   "each per-device client at its own request, as the flow revokes clients one by one "
                   "(CURITY-DCR-REVOKE); DCR-MGT-010 fails a 405 or 403 to the client's own DELETE under the "
                   "claim, and the cleanup lists a client so left over with the reason")

_DISCARD = """… the client MUST immediately discard its previous client secret and/or registration
        access token."""

STATEMENTS = (
    must("RFC7592-2", """The client MUST use its registration access token in all calls to this
         endpoint as an OAuth 2.0 Bearer Token [RFC6750].""", via=("RFC7592-2.1",)),
    must("RFC7592-2.1", _GONE),
    should("RFC7592-2.1-b", _GONE),
    must("RFC7592-2.1-c", """If the client does not have permission to read its record, the server
         MUST return an HTTP 403 Forbidden.""", via=("RFC7592-2.1",)),
    must("RFC7592-2.2", """Valid values of client metadata fields in this request MUST replace, not
         augment, the values previously associated with this client."""),
    must("RFC7592-2.2-b", """This request MUST include all client metadata fields as returned to the
         client from a previous registration, read, or update operation.""", reason=client_side()),
    must("RFC7592-2.2-c", """Omitted fields MUST be treated as null or empty values by the server,
         indicating the client's request to delete them from the client's registration.""",
         reason=not_observable("§2.2 also lets the server ignore a null or empty value like any "
                               "other, so a member kept after the client omitted it is no "
                               "violation a client can tell apart")),
    must("RFC7592-2.2-d", """The client MUST include its "client_id" field in the request, and it MUST
         be the same as its currently issued client identifier.""", via=("RFC7592-2.2",)),
    must("RFC7592-2.2-e", """If the client includes the "client_secret" field in the request, the
         value of this field MUST match the currently issued client secret for that client.""",
         via=("RFC7592-2.2",)),
    must("RFC7592-2.2-f", """The client MUST NOT be allowed to overwrite its existing client secret
         with its own chosen value.""", keyword="MUST NOT", via=("RFC7592-2.2",)),
    must("RFC7592-2.2-g", _GONE),
    must("RFC7592-2.2-h", """If the client does not have permission to update its record, the server
         MUST return an HTTP 403 Forbidden."""),
    # §2.1-§2.3: rotation, the members an update must not send, replaced values, the 204 (issue 14).
    must("RFC7592-2.1-d", _DISCARD, reason=client_side(
        "the client's duty; DCR-MGT-002 checks the server's side: the replaced credentials stop working")),
    must("RFC7592-2.2-i", """The updated client metadata fields request MUST NOT include the
         "registration_access_token", "registration_client_uri", "client_secret_expires_at", or
         "client_id_issued_at" fields described in Section 3.""", keyword="MUST NOT",
         reason=client_side("the client's duty; DCR-MGT-008 checks that a registration_access_token "
                            "sent anyway is refused or ignored")),
    must("RFC7592-2.2-j", """For all metadata fields, the authorization server MAY replace any invalid
         values with suitable default values, and it MUST return any such fields to the client in the
         response."""),
    must("RFC7592-2.2-k", _DISCARD, reason=client_side(
        "the client's duty on an update response; the session adopts rotated credentials")),
    should("RFC7592-2.2-l", _GONE),
    must("RFC7592-2.3", """If a client has been successfully deprovisioned, the authorization server MUST
         respond with an HTTP 204 No Content message."""),
    should("RFC7592-2.3-c", _GONE),
    must("RFC7592-2.3-b", _GONE, via=("RFC7592-2.3",)),
    should("RFC7592-2.3-S", """… SHOULD immediately invalidate all existing authorization grants and
           currently active access tokens, all refresh tokens, and all other tokens associated with
           this client."""),
    # §2.1-§2.3: an invalid registration access token, the client_id that stays, delete refused (issue 14).
    must("RFC7592-2.1-e", _NOT_VALID),
    must("RFC7592-2.2-m", _NOT_VALID),
    must("RFC7592-2.3-d", _NOT_VALID),
    must("RFC7592-2.2-n", """The value of the "client_id" MUST NOT change from the initial registration
         response.""", keyword="MUST NOT"),
    must("RFC7592-2.3-e", """If the server does not support the delete method, the server MUST respond
         with HTTP 405 Not Supported.""", reason=claim("registration_management", _DELETE_CLAIMED)),
    must("RFC7592-2.3-f", """If the client is not allowed to delete itself, the server MUST respond with
         HTTP 403 Forbidden.""", reason=claim("registration_management", _DELETE_CLAIMED)),
    must("RFC7592-3", """registration_client_uri REQUIRED. String containing the fully qualified URL
         of the client configuration endpoint for this client.""", keyword="REQUIRED"),
    must("RFC7592-3-b", """registration_access_token REQUIRED. String containing the access token to
         be used at the client configuration endpoint …""", keyword="REQUIRED", via=("RFC7592-3",)),
    must("RFC7592-5", """If a client is deprovisioned from a server, any outstanding registration
         access token for that client MUST be invalidated …""", via=("RFC7592-2.3",)),
    must("RFC7592-5-b", """… the registration access token is a Bearer Token and acts as the sole
         authentication for use at the client configuration endpoint, it MUST be protected by the
         developer or client …""", reason=client_side()),
)
