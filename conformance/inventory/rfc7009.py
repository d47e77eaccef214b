"""RFC 7009 (Token Revocation): the normative sentences the inventory holds."""

from conformance.inventory.model import client_side, must, not_applicable, not_observable, should

STATEMENTS = (
    must("RFC7009-2", """Implementations MUST support the revocation of refresh tokens and SHOULD
         support the revocation of access tokens (see Implementation Note).""", via=("RFC7009-2.2",)),
    should("RFC7009-2-b", """Implementations MUST support the revocation of refresh tokens and SHOULD
           support the revocation of access tokens (see Implementation Note).""", via=("RFC7009-2.2",)),
    must("RFC7009-2-c", """The client requests the revocation of a particular token by making an HTTP
         POST request to the token revocation endpoint URL. This URL MUST conform to the rules given in
         [RFC6749], Section 3.1."""),
    must("RFC7009-2-d", """Clients MUST verify that the URL is an HTTPS URL.""", reason=client_side()),
    must("RFC7009-2-e", """Since requests to the token revocation endpoint result in the transmission of
         plaintext credentials in the HTTP request, URLs for token revocation endpoints MUST be HTTPS
         URLs."""),
    must("RFC7009-2-f", """The authorization server MUST use Transport Layer Security (TLS) [RFC5246] in a
         version compliant with [RFC6749], Section 1.6.""",
         reason=not_observable("the suite's TLS client negotiates what it offers; the versions a server "
                               "refuses are not probed")),
    should("RFC7009-2-g", """If the host of the token revocation endpoint can also be reached over HTTP,
           then the server SHOULD also offer a revocation service at the corresponding HTTP URI, but it
           MUST NOT publish this URI as a token revocation endpoint.""",
           reason=not_applicable("sending a token over plain HTTP to see it revoked would leak it; the "
                                 "suite never sends credentials in clear")),
    must("RFC7009-2-h", """If the host of the token revocation endpoint can also be reached over HTTP,
         then the server SHOULD also offer a revocation service at the corresponding HTTP URI, but it MUST
         NOT publish this URI as a token revocation endpoint.""", keyword="MUST NOT"),
    must("RFC7009-2.1-b", """token REQUIRED. The token that the client wants to get revoked.""",
         keyword="REQUIRED", reason=client_side()),
    must("RFC7009-2.1-c", """If the server is unable to locate the token using the given hint, it
         MUST extend its search across all of its supported token types."""),
    should("RFC7009-2.1-S", """If the particular token is a refresh token and the authorization server
           supports the revocation of access tokens, then the authorization server SHOULD also
           invalidate all access tokens based on the same authorization grant (see Implementation
           Note)."""),
    must("RFC7009-5", """Appropriate countermeasures, which should be in place for the token endpoint as
         well, MUST be applied to the revocation endpoint (see [RFC6819], Section 4.4.1.11).""",
         reason=not_observable("denial-of-service countermeasures (throttling, lookup costs) are a "
                               "deployment's; probing them would be a load test, not a conformance check")),
    must("RFC7009-5-b", """Care MUST be taken to prevent malicious clients from exploiting this feature to
         launch denial-of-service attacks.""",
         reason=not_observable("see RFC7009-5: invalid token type hints costing lookups cannot be told "
                               "apart from outside")),
    must("RFC7009-5-c", """Moreover, in order to detect counterfeit revocation endpoints, clients MUST
         authenticate the revocation endpoint (certificate validation, etc.).""", reason=client_side()),
)
