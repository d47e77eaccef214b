"""RFC 6750 (Bearer Token Usage), §2 sending the token and §3 the WWW-Authenticate challenge: the
normative sentences the inventory holds (the registration and client configuration endpoints are
bearer-protected resources in this flow)."""

from conformance.inventory.model import client_side, must, not_applicable, should

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
    must("RFC6750-3", """If the protected resource request does not include authentication credentials
         or does not contain an access token that enables access to the protected resource, the
         resource server MUST include the HTTP "WWW-Authenticate" response header field …"""),
    must("RFC6750-3-b", """All challenges defined by this specification MUST use the auth-scheme value
         "Bearer".""", via=("RFC6750-3",)),
    must("RFC6750-3-c", """This scheme MUST be followed by one or more auth-param values."""),
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
)
