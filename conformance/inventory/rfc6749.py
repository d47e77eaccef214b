"""RFC 6749 (OAuth 2.0), §2.3 client authentication, §3.2 / §3.2.1 the token endpoint, §3.3
scope, §4.4 client credentials grant, §5 issuing an access token: the normative sentences."""

from conformance.inventory.model import (
    client_side, must, not_applicable, not_observable, should,
)

STATEMENTS = (
    must("RFC6749-2.3", """However, the authorization server MUST NOT rely on public client
         authentication for the purpose of identifying the client.""", keyword="MUST NOT",
         reason=not_applicable("every client of the flow (main and dynamic) is confidential")),
    must("RFC6749-2.3-b", """The client MUST NOT use more than one authentication method in each
         request.""", keyword="MUST NOT", via=("RFC6749-2.3.1",)),
    must("RFC6749-2.3.1", """The authorization server MUST support the HTTP Basic authentication
         scheme for authenticating clients that were issued a client password."""),
    should("RFC6749-2.3.1-b", """Including the client credentials in the request-body using the two
           parameters is NOT RECOMMENDED and SHOULD be limited to clients unable to directly utilize
           the HTTP Basic authentication scheme (or other password-based HTTP authentication
           schemes).""", keyword="NOT RECOMMENDED", reason=client_side()),
    must("RFC6749-2.3.1-c", """The parameters can only be transmitted in the request-body and MUST
         NOT be included in the request URI.""", keyword="MUST NOT", reason=client_side()),
    must("RFC6749-2.3.1-d", """The authorization server MUST require the use of TLS as described in
         Section 1.6 when sending requests using password authentication."""),
    must("RFC6749-2.3.1-e", """Since this client authentication method involves a password, the
         authorization server MUST protect any endpoint utilizing it against brute force attacks.""",
         reason=not_observable("the thresholds of a brute-force protection are the deployment's; "
                               "probing them would lock out the clients under test")),
    must("RFC6749-2.3.2", """When using other authentication methods, the authorization server MUST
         define a mapping between the client identifier (registration record) and authentication
         scheme.""", via=("RFC7523-3", "RFC8705-2")),
    must("RFC6749-3.2", """The endpoint URI MAY include an "application/x-www-form-urlencoded"
         formatted (per Appendix B) query component ([RFC3986] Section 3.4), which MUST be retained
         when adding additional query parameters.""", reason=client_side()),
    must("RFC6749-3.2-b", """The endpoint URI MUST NOT include a fragment component.""",
         keyword="MUST NOT"),
    must("RFC6749-3.2-c", """Since requests to the token endpoint result in the transmission of
         clear-text credentials (in the HTTP request and response), the authorization server MUST
         require the use of TLS as described in Section 1.6 when sending requests to the token
         endpoint."""),
    must("RFC6749-3.2-d", """The client MUST use the HTTP "POST" method when making access token
         requests.""", reason=client_side()),
    must("RFC6749-3.2-e", """Parameters sent without a value MUST be treated as if they were omitted
         from the request."""),
    must("RFC6749-3.2-f", """The authorization server MUST ignore unrecognized request
         parameters."""),
    must("RFC6749-3.2-g", """Request and response parameters MUST NOT be included more than
         once.""", keyword="MUST NOT"),
    must("RFC6749-3.2.1", """Confidential clients or other clients issued client credentials MUST
         authenticate with the authorization server as described in Section 2.3 when making
         requests to the token endpoint.""", via=("RFC6749-4.4.2",)),
    must("RFC6749-3.2.1-b", """In the "authorization_code" "grant_type" request to the token
         endpoint, an unauthenticated client MUST send its "client_id" to prevent itself from
         inadvertently accepting a code intended for a client with a different "client_id".""",
         reason=not_applicable("no client of the flow is unauthenticated")),
    must("RFC6749-3.3", """If the issued access token scope is different from the one requested by
         the client, the authorization server MUST include the "scope" response parameter to
         inform the client of the actual scope granted."""),
    must("RFC6749-3.3-b", """If the client omits the scope parameter when requesting authorization,
         the authorization server MUST either process the request using a pre-defined default
         value or fail the request indicating an invalid scope."""),
    should("RFC6749-3.3-c", """The authorization server SHOULD document its scope requirements and
           default value (if defined).""",
           reason=not_observable("documentation, not an answer of the server")),
    must("RFC6749-4.4.2", """The authorization server MUST authenticate the client."""),
    must("RFC6749-4.4.2-b", """grant_type REQUIRED. Value MUST be set to "client_credentials".""",
         keyword="REQUIRED", reason=client_side()),
    must("RFC6749-4.4.2-c", """The client MUST authenticate with the authorization server as
         described in Section 3.2.1.""", reason=client_side()),
    should("RFC6749-4.4.3", """A refresh token SHOULD NOT be included.""", keyword="SHOULD NOT"),
    must("RFC6749-5.1-NOSTORE", """The authorization server MUST include the HTTP "Cache-Control" response
         header field [RFC2616] with a value of "no-store" in any response containing tokens,
         credentials, or other sensitive information, as well as the "Pragma" response header field
         [RFC2616] with a value of "no-cache"."""),
    must("RFC6749-5.1-b", """access_token REQUIRED. The access token issued by the authorization
         server.""", keyword="REQUIRED", via=("RFC6749-5.1",)),
    must("RFC6749-5.1-c", """token_type REQUIRED. The type of the token issued as described in
         Section 7.1.""", keyword="REQUIRED", via=("RFC6749-5.1",)),
    should("RFC6749-5.1-d", """expires_in RECOMMENDED. The lifetime in seconds of the access
           token.""", keyword="RECOMMENDED", via=("RFC6749-5.1",)),
    should("RFC6749-5.1-e", """If omitted, the authorization server SHOULD provide the expiration
           time via other means or document the default value.""",
           reason=not_observable("documentation or an out-of-band channel, not an answer")),
    must("RFC6749-5.1-f", """scope OPTIONAL, if identical to the scope requested by the client;
         otherwise, REQUIRED.""", keyword="REQUIRED", via=("RFC6749-3.3",)),
    must("RFC6749-5.1-g", """The client MUST ignore unrecognized value names in the response.""",
         reason=client_side()),
    should("RFC6749-5.1-h", """The authorization server SHOULD document the size of any value it
           issues.""", reason=not_observable("documentation, not an answer of the server")),
    must("RFC6749-5.2", """If the client attempted to authenticate via the "Authorization" request
         header field, the authorization server MUST respond with an HTTP 401 (Unauthorized)
         status code and include the "WWW-Authenticate" response header field matching the
         authentication scheme used by the client."""),
    must("RFC6749-5.2-b", """error REQUIRED. A single ASCII [USASCII] error code from the
         following:""", keyword="REQUIRED", via=("RFC6749-5.2",)),
    must("RFC6749-5.2-c", """Values for the "error" parameter MUST NOT include characters outside
         the set %x20-21 / %x23-5B / %x5D-7E.""", keyword="MUST NOT", via=("RFC6749-5.2",)),
    must("RFC6749-5.2-d", """Values for the "error_description" parameter MUST NOT include
         characters outside the set %x20-21 / %x23-5B / %x5D-7E.""", keyword="MUST NOT"),
    must("RFC6749-5.2-e", """Values for the "error_uri" parameter MUST conform to the URI-reference
         syntax and thus MUST NOT include characters outside the set %x21 / %x23-5B / %x5D-7E."""),
)
