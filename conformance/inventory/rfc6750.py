"""RFC 6750 (Bearer Token Usage), §2 sending the token and §3 the WWW-Authenticate challenge: the
normative sentences the inventory holds (the registration and client configuration endpoints are
bearer-protected resources in this flow)."""

from conformance.inventory.model import client_side, must, not_applicable, should

_HEADER_ONLY = "the flow sends its tokens in the Authorization header only"

STATEMENTS = (
    must("RFC6750-2", """Clients MUST NOT use more than one method to transmit the token in each
         request.""", keyword="MUST NOT", reason=client_side()),
    should("RFC6750-2.1", """Clients SHOULD make authenticated requests with a bearer token using the
           "Authorization" request header field with the "Bearer" HTTP authorization scheme.""",
           reason=client_side()),
    must("RFC6750-2.1-b", """Resource servers MUST support this method.""", via=("RFC7592-2.1",)),
    must("RFC6750-2.2", """The client MUST NOT use this method unless all of the following conditions
         are met:""", keyword="MUST NOT",
         reason=not_applicable("the flow sends its tokens in the Authorization header only")),
    must("RFC6750-2.2-b", """The content to be encoded in the entity-body MUST consist entirely of ASCII
         [USASCII] characters.""", reason=not_applicable(_HEADER_ONLY)),
    must("RFC6750-2.2-c", """In particular, this means that the "GET" method MUST NOT be used.""",
         keyword="MUST NOT", reason=not_applicable(_HEADER_ONLY)),
    must("RFC6750-2.2-d", """The entity-body MAY include other request-specific parameters, in which case
         the "access_token" parameter MUST be properly separated from the request-specific parameters
         using "&" character(s) (ASCII code 38).""", reason=not_applicable(_HEADER_ONLY)),
    should("RFC6750-2.2-e", """The "application/x-www-form-urlencoded" method SHOULD NOT be used except in
           application contexts where participating browsers do not have access to the
           "Authorization" request header field.""", keyword="SHOULD NOT", reason=client_side()),
    must("RFC6750-2.3", """The HTTP request URI query can include other request-specific parameters, in
         which case the "access_token" parameter MUST be properly separated from the request-specific
         parameters using "&" character(s) (ASCII code 38).""", reason=not_applicable(_HEADER_ONLY)),
    should("RFC6750-2.3-b", """Clients using the URI Query Parameter method SHOULD also send a
           Cache-Control header containing the "no-store" option.""", reason=client_side()),
    should("RFC6750-2.3-c", """Server success (2XX status) responses to these requests SHOULD contain a
           Cache-Control header with the "private" option.""",
           reason=not_applicable("the query method is one resource servers MAY support; the flow's "
                                 "clients never send a token in the URI")),
    should("RFC6750-2.3-d", """Because of the security weaknesses associated with the URI method (see
           Section 5), including the high likelihood that the URL containing the access token will be
           logged, it SHOULD NOT be used unless it is impossible to transport the access token in the
           "Authorization" request header field or the HTTP request entity-body.""",
           keyword="SHOULD NOT", reason=client_side()),
    must("RFC6750-3", """If the protected resource request does not include authentication credentials
         or does not contain an access token that enables access to the protected resource, the
         resource server MUST include the HTTP "WWW-Authenticate" response header field …"""),
    must("RFC6750-3-b", """All challenges defined by this specification MUST use the auth-scheme value
         "Bearer".""", via=("RFC6750-3",)),
    must("RFC6750-3-c", """This scheme MUST be followed by one or more auth-param values."""),
    must("RFC6750-3-d", """The "realm" attribute MUST NOT appear more than once.""", keyword="MUST NOT"),
    must("RFC6750-3-e", """The "scope" attribute MUST NOT appear more than once.""", keyword="MUST NOT"),
    should("RFC6750-3-f", """If the protected resource request included an access token and failed
           authentication, the resource server SHOULD include the "error" attribute to provide the client
           with the reason why the access request was declined.""", via=("RFC6750-3",)),
    must("RFC6750-3-g", """The "error", "error_description", and "error_uri" attributes MUST NOT appear more
         than once.""", keyword="MUST NOT"),
    must("RFC6750-3-h", """Values for the "scope" attribute (specified in Appendix A.4 of [RFC6749]) MUST NOT
         include characters outside the set %x21 / %x23-5B / %x5D-7E for representing scope values and
         %x20 for delimiters between scope values.""", keyword="MUST NOT"),
    must("RFC6750-3-i", """Values for the "error" and "error_description" attributes (specified in
         Appendixes A.7 and A.8 of [RFC6749]) MUST NOT include characters outside the set %x20-21 /
         %x23-5B / %x5D-7E.""", keyword="MUST NOT"),
    must("RFC6750-3-j", """Values for the "error_uri" attribute (specified in Appendix A.9 of [RFC6749])
         MUST conform to the URI-reference syntax and thus MUST NOT include characters outside the set
         %x21 / %x23-5B / %x5D-7E."""),
    should("RFC6750-3.1", """The access token provided is expired, revoked, malformed, or invalid for
           other reasons. The resource SHOULD respond with the HTTP 401 (Unauthorized) status
           code."""),
    should("RFC6750-3.1-b", """The request requires higher privileges than provided by the access
           token. The resource server SHOULD respond with the HTTP 403 (Forbidden) status code and
           MAY include the "scope" attribute with the scope necessary to access the protected
           resource.""", via=("RFC6750-3.1",)),
    should("RFC6750-3.1-c", """The request is missing a required parameter, includes an unsupported
           parameter or parameter value, repeats the same parameter, uses more than one method for
           including an access token, or is otherwise malformed. The resource server SHOULD respond
           with the HTTP 400 (Bad Request) status code."""),
    should("RFC6750-3.1-d", """If the request lacks any authentication information (e.g., the client was
           unaware that authentication is necessary or attempted using an unsupported authentication
           method), the resource server SHOULD NOT include an error code or other error information.""",
           keyword="SHOULD NOT"),
)
