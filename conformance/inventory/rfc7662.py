"""RFC 7662 (Token Introspection): the normative sentences the inventory holds."""

from conformance.inventory.model import client_side, must, not_applicable, not_observable, should

STATEMENTS = (
    must("RFC7662-2", """The introspection endpoint MUST be protected by a transport-layer security
         mechanism as described in Section 4."""),
    must("RFC7662-2.1", """To prevent token scanning attacks, the endpoint MUST also require some form
         of authorization to access this endpoint, such as client authentication as described in
         OAuth 2.0 [RFC6749] or a separate OAuth 2.0 access token such as the bearer token described
         in OAuth 2.0 Bearer Token Usage [RFC6750]."""),
    must("RFC7662-2.1-b", """token REQUIRED. The string value of the token.""", keyword="REQUIRED",
         reason=client_side("the protected resource's duty; the suite's introspector sends it")),
    must("RFC7662-2.1-c", """If the server is unable to locate the token using the given hint, it MUST
         extend its search across all of its supported token types."""),
    should("RFC7662-2.1-d", """If the authorization server is unable to determine the state of the token
           without additional information, it SHOULD return an introspection response indicating the
           token is not active as described in Section 2.2.""",
           reason=not_observable("which tokens need more information than the token itself is the "
                                 "server's knowledge; the suite cannot make such a token")),
    must("RFC7662-2.2", """… the token is not active, does not exist on this server, or the protected
         resource is not allowed to introspect this particular token, then the authorization server
         MUST return an introspection response with the "active" field set to "false"."""),
    must("RFC7662-2.2-b", """active REQUIRED. Boolean indicator of whether or not the presented token
         is currently active.""", keyword="REQUIRED", via=("RFC7662-2.2",)),
    should("RFC7662-2.2-S", """Note that to avoid disclosing too much of the authorization server's
           state to a third party, the authorization server SHOULD NOT include any additional
           information about an inactive token, including why the token is inactive.""",
           keyword="SHOULD NOT"),
    must("RFC7662-2.2-c", """Response names intended to be used across domains MUST be registered in the
         "OAuth Token Introspection Response" registry defined in Section 3.1.""",
         reason=not_observable("whether a member name is meant for use across domains is the server's "
                               "intent; unregistered extension members are allowed (MAY)")),
    must("RFC7662-2.3", """… the authorization server MUST instead respond with an introspection
         response with the "active" field set to "false" …""", via=("RFC7662-2.2",)),
    must("RFC7662-4", """The authorization server MUST require authentication of protected resources
         that need to …""", via=("RFC7662-2.1",)),
    must("RFC7662-4-b", """However, since resource servers using token introspection rely on the
         authorization server to determine the state of a token, the authorization server MUST perform
         all applicable checks against a token's state.""", via=("RFC7662-2.2",)),
    must("RFC7662-4-c", """If the token can expire, the authorization server MUST determine whether or not
         the token has expired.""", via=("RFC7662-2.2",)),
    must("RFC7662-4-d", """If the token can be issued before it is able to be used, the authorization
         server MUST determine whether or not a token's valid period has started yet.""",
         reason=not_applicable("the flow's tokens are valid from issuance; none is issued ahead of its "
                               "validity")),
    must("RFC7662-4-e", """If the token can be revoked after it was issued, the authorization server MUST
         determine whether or not such a revocation has taken place.""", via=("RFC7662-2.2",)),
    must("RFC7662-4-f", """If the token has been signed, the authorization server MUST validate the
         signature."""),
    must("RFC7662-4-g", """If the token can be used only at certain resource servers, the authorization
         server MUST determine whether or not the token can be used at the resource server making the
         introspection call.""",
         reason=not_observable("the audiences of a token and the resource servers allowed to "
                               "introspect it are the deployment's configuration")),
    should("RFC7662-4-S", """To prevent this, the authorization server MUST require authentication of
           protected resources that need to access the introspection endpoint and SHOULD require
           protected resources to be specifically authorized to call the introspection endpoint."""),
    must("RFC7662-4-h", """Since the introspection endpoint takes in OAuth 2.0 tokens as parameters and
         responds with information used to make authorization decisions, the server MUST support
         Transport Layer Security (TLS) 1.2 [RFC5246] and MAY support additional transport-layer
         mechanisms meeting its security requirements.""",
         reason=not_observable("the suite's TLS client negotiates what it offers; a server offering TLS "
                               "1.3 only is not probed for 1.2")),
    must("RFC7662-4-i", """When using TLS, the client or protected resource MUST perform a TLS/SSL server
         certificate check, as specified in [RFC6125].""", reason=client_side()),
    should("RFC7662-4-j", """To avoid disclosing the internal state of the authorization server, an
           introspection response for an inactive token SHOULD NOT contain any additional claims beyond
           the required "active" claim (with its value set to "false").""", keyword="SHOULD NOT",
           via=("RFC7662-2.2-S",)),
    must("RFC7662-4-k", """Since a protected resource MAY cache the response of the introspection endpoint,
         designers of an OAuth 2.0 system using this protocol MUST consider the performance and security
         trade-offs inherent in caching security information such as this.""",
         reason=not_observable("a design consideration, not a behaviour of the server")),
    must("RFC7662-4-l", """If the response contains the "exp" parameter (expiration), the response MUST NOT
         be cached beyond the time indicated therein.""", keyword="MUST NOT",
         reason=client_side("the protected resource's cache; the suite caches nothing")),
    must("RFC7662-5", """When this is the case, measures MUST be taken to prevent disclosure of this
         information to unintended parties.""",
         reason=not_observable("which members are privacy-sensitive for which resource is the "
                               "deployment's judgement; DCR-REV-009 shows an unauthenticated caller "
                               "learns nothing")),
)
