"""RFC 8705 (OAuth 2.0 Mutual-TLS), §2 client authentication and §3 certificate-bound access
tokens: the normative sentences the inventory holds."""

from conformance.inventory.model import client_side, must, not_applicable, should

_BOUND = "the flow binds its tokens with DPoP (RFC 9449), not with client certificates"

STATEMENTS = (
    must("RFC8705-2", """The authorization server MUST enforce the binding between client and
         certificate, as described in either Section 2.1 or 2.2 below."""),
    must("RFC8705-2-b", """In order to utilize TLS for OAuth client authentication, the TLS connection
         between the client and the authorization server MUST have been established or
         re-established with mutual-TLS X.509 certificate authentication (i.e., the client
         Certificate and CertificateVerify messages are sent during the TLS handshake).""",
         via=("RFC8705-2",)),
    must("RFC8705-2-c", """For all requests to the authorization server utilizing mutual-TLS client
         authentication, the client MUST include the "client_id" parameter described in Section 2.2
         of OAuth 2.0 [RFC6749].""", via=("RFC8705-2",)),
    must("RFC8705-2.1.2", """A client using the "tls_client_auth" authentication method MUST use exactly
         one of the below metadata parameters to indicate the certificate subject value that the
         authorization server is to expect when authenticating the respective client.""",
         reason=client_side("in this flow no client registers tls_client_auth: the main clients are "
                            "configured at the server, the dynamic clients use the template's secret or "
                            "device-key method")),
    must("RFC8705-3", """Within the scope of a mutual-TLS-protected resource-access flow, the client
         makes protected resource requests, as described in [RFC6750], however, those requests MUST
         be made over a mutually authenticated TLS connection using the same certificate that was
         used for mutual TLS at the token endpoint.""", reason=client_side()),
    must("RFC8705-3-b", """The protected resource MUST obtain, from its TLS implementation layer, the
         client certificate used for mutual TLS and MUST verify that the certificate matches the
         certificate associated with the access token.""", reason=not_applicable(_BOUND)),
    must("RFC8705-3-c", """If they do not match, the resource access attempt MUST be rejected with an
         error, per [RFC6750], using an HTTP 401 status code and the "invalid_token" error code.""",
         reason=not_applicable(_BOUND)),
    should("RFC8705-3.1", """When access tokens are represented as JSON Web Tokens (JWT) [RFC7519],
           the certificate hash information SHOULD be represented using the "x5t#S256" confirmation
           method member defined herein.""", reason=not_applicable(_BOUND)),
    must("RFC8705-3.1-b", """The base64url-encoded value MUST omit all trailing pad '=' characters and
         MUST NOT include any line breaks, whitespace, or other additional characters.""",
         reason=not_applicable(_BOUND)),
)
