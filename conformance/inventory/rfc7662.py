"""RFC 7662 (Token Introspection): the normative sentences the inventory holds."""

from conformance.inventory.model import client_side, must, should

STATEMENTS = (
    must("RFC7662-2.1", """To prevent token scanning attacks, the endpoint MUST also require some form
         of authorization to access this endpoint, such as client authentication as described in
         OAuth 2.0 [RFC6749] or a separate OAuth 2.0 access token such as the bearer token described
         in OAuth 2.0 Bearer Token Usage [RFC6750]."""),
    must("RFC7662-2.1-b", """token REQUIRED. The string value of the token.""", keyword="REQUIRED",
         reason=client_side("the protected resource's duty; the suite's introspector sends it")),
    must("RFC7662-2.2", """… the token is not active, does not exist on this server, or the protected
         resource is not allowed to introspect this particular token, then the authorization server
         MUST return an introspection response with the "active" field set to "false"."""),
    must("RFC7662-2.2-b", """active REQUIRED. Boolean indicator of whether or not the presented token
         is currently active.""", keyword="REQUIRED", via=("RFC7662-2.2",)),
    should("RFC7662-2.2-S", """Note that to avoid disclosing too much of the authorization server's
           state to a third party, the authorization server SHOULD NOT include any additional
           information about an inactive token, including why the token is inactive.""",
           keyword="SHOULD NOT"),
    must("RFC7662-2.3", """… the authorization server MUST instead respond with an introspection
         response with the "active" field set to "false" …""", via=("RFC7662-2.2",)),
    must("RFC7662-4", """The authorization server MUST require authentication of protected resources
         that need to …""", via=("RFC7662-2.1",)),
)
