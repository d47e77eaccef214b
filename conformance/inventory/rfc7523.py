"""RFC 7523 (JWT Profile for Client Authentication), §3 JWT format and processing requirements, §3.1
authorization grants (not used by the flow) and §3.2 client authentication processing: the normative
sentences the inventory holds."""

from conformance.inventory.model import must, not_applicable, not_observable

_NO_JWT_GRANT = ("JWT authorization grants (grant_type urn:ietf:params:oauth:grant-type:jwt-bearer) are "
                 "not part of the flow: its clients use client_credentials, authorization_code and "
                 "refresh_token, and a JWT only ever authenticates a client (§3.2)")

STATEMENTS = (
    must("RFC7523-3", """The authorization server MUST reject any JWT that does not contain its own
         identity as the intended audience."""),
    must("RFC7523-3-b", """The JWT MUST contain an "iss" (issuer) claim that contains a unique
         identifier for the entity that issued the JWT.""", via=("RFC7523-3",)),
    must("RFC7523-3-c", """… For client authentication, the subject MUST be the "client_id" of the
         OAuth client.""", via=("RFC7523-3",)),
    must("RFC7523-3-d", """The JWT MUST contain an "aud" (audience) claim containing a value that
         identifies the authorization server as an intended audience.""", via=("RFC7523-3",)),
    must("RFC7523-3-e", """In the absence of an application profile specifying otherwise, compliant
         applications MUST compare the audience values using the Simple String Comparison method
         defined in Section 6.2.1 of RFC 3986 [RFC3986].""",
         reason=not_observable("the audience strings an AS accepts are configured out of band (§5); "
                               "an aud that differs from the token endpoint URL may be one of them")),
    must("RFC7523-3-f", """The JWT MUST contain an "exp" (expiration time) claim that limits the time
         window during which the JWT can be used.""", via=("RFC7523-3",)),
    must("RFC7523-3-g", """The authorization server MUST reject any JWT with an expiration time that
         has passed, subject to allowable clock skew between systems.""", via=("RFC7523-3",)),
    must("RFC7523-3-h", """The authorization server MUST reject JWTs with an invalid signature or
         MAC.""", via=("RFC7523-3",)),
    must("RFC7523-3-i", """The authorization server MUST reject a JWT that is not valid in all other
         respects per "JSON Web Token (JWT)" [JWT].""", via=("RFC7523-3",)),
    must("RFC7523-3.1", """However, if client credentials are present in the request, the authorization
         server MUST validate them.""", reason=not_applicable(_NO_JWT_GRANT)),
    must("RFC7523-3.1-b", """The value of the "error" parameter MUST be the "invalid_grant" error
         code.""", reason=not_applicable(_NO_JWT_GRANT)),
    must("RFC7523-3.2", """If the client JWT is not valid, the authorization server constructs an
         error response as defined in OAuth 2.0 [RFC6749]. The value of the "error" parameter MUST be
         the "invalid_client" error code.""", via=("RFC7523-3",)),
)
