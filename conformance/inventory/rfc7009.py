"""RFC 7009 (Token Revocation): the normative sentences the inventory holds."""

from conformance.inventory.model import client_side, must, should

STATEMENTS = (
    must("RFC7009-2", """Implementations MUST support the revocation of refresh tokens and SHOULD
         support the revocation of access tokens (see Implementation Note).""", via=("RFC7009-2.2",)),
    should("RFC7009-2-b", """Implementations MUST support the revocation of refresh tokens and SHOULD
           support the revocation of access tokens (see Implementation Note).""", via=("RFC7009-2.2",)),
    must("RFC7009-2.1-b", """token REQUIRED. The token that the client wants to get revoked.""",
         keyword="REQUIRED", reason=client_side()),
    must("RFC7009-2.1-c", """If the server is unable to locate the token using the given hint, it
         MUST extend its search across all of its supported token types."""),
    should("RFC7009-2.1-S", """If the particular token is a refresh token and the authorization server
           supports the revocation of access tokens, then the authorization server SHOULD also
           invalidate all access tokens based on the same authorization grant (see Implementation
           Note)."""),
)
