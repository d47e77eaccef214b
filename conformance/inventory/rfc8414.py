"""RFC 8414 (Authorization Server Metadata): the normative sentences the inventory holds."""

from conformance.inventory.model import (
    client_side, must, not_applicable, not_observable, should,
)

STATEMENTS = (
    must("RFC8414-2", """issuer REQUIRED. The authorization server's issuer identifier, which is a URL
         that uses the "https" scheme and has no query or fragment components.""",
         keyword="REQUIRED"),
    must("RFC8414-2-b", """URL of the authorization server's authorization endpoint [RFC6749]. This is
         REQUIRED unless no grant types are supported that use the authorization endpoint.""",
         keyword="REQUIRED"),
    must("RFC8414-2-c", """URL of the authorization server's token endpoint [RFC6749]. This is
         REQUIRED unless only the implicit grant type is supported.""", keyword="REQUIRED",
         via=("RFC8414-2",)),
    must("RFC8414-2-d", """This URL MUST use the "https" scheme."""),
    must("RFC8414-2-e", """When both signing and encryption keys are made available, a "use" (public
         key use) parameter value is REQUIRED for all keys in the referenced JWK Set to indicate each
         key's intended usage.""", keyword="REQUIRED"),
    should("RFC8414-2-f", """scopes_supported RECOMMENDED. JSON array containing a list of the OAuth
           2.0 [RFC6749] "scope" values that this authorization server supports.""",
           keyword="RECOMMENDED"),
    must("RFC8414-2-g", """response_types_supported REQUIRED. JSON array containing a list of the
         OAuth 2.0 "response_type" values that this authorization server supports.""",
         keyword="REQUIRED"),
    must("RFC8414-2-h", """This metadata entry MUST be present if either of these authentication
         methods are specified in the "token_endpoint_auth_methods_supported" entry.""",
         via=("RFC8414-2",)),
    should("RFC8414-2-i", """Servers SHOULD support "RS256"."""),
    must("RFC8414-2-j", """The value "none" MUST NOT be used.""", keyword="MUST NOT",
         via=("RFC8414-2",)),
    must("RFC8414-2-k", """This metadata entry MUST be present if either of these authentication
         methods are specified in the "revocation_endpoint_auth_methods_supported" entry."""),
    must("RFC8414-2-l", """The value "none" MUST NOT be used.""", keyword="MUST NOT"),
    must("RFC8414-2-m", """If omitted, the set of supported authentication methods MUST be determined
         by other means.""",
         reason=not_observable("the other means are documentation, not an answer")),
    must("RFC8414-2-n", """This metadata entry MUST be present if either of these authentication
         methods are specified in the "introspection_endpoint_auth_methods_supported" entry."""),
    must("RFC8414-2-o", """The value "none" MUST NOT be used.""", keyword="MUST NOT"),
    should("RFC8414-2-p", """The registration process SHOULD display this URL to the person
           registering the client if it is given.""",
           reason=not_applicable("no person registers a client in this flow (op_policy_uri, op_tos_uri)")),
    must("RFC8414-2.1", """The signed metadata MUST be digitally signed or MACed using JSON Web
         Signature (JWS) [JWS] and MUST contain an "iss" (issuer) claim denoting the party attesting
         to the claims in the signed metadata.""",
         reason=not_applicable("the flow reads the plain metadata; signed_metadata is not used")),
    must("RFC8414-2.1-b", """If the consumer of the metadata supports signed metadata, metadata values
         conveyed in the signed metadata MUST take precedence over the corresponding values conveyed
         using plain JSON elements.""", reason=client_side()),
    must("RFC8414-3", """Authorization servers supporting metadata MUST make a JSON document
         containing metadata as specified in Section 2 available at a path formed by inserting a
         well-known URI string into the authorization server's issuer identifier between the host
         component and the path component, if any.""", via=("RFC8414-3.3",)),
    must("RFC8414-3-b", """This path MUST use the "https" scheme.""", via=("RFC8414-3.3",)),
    must("RFC8414-3-c", """The well-known URI suffix used MUST be registered in the IANA "Well-Known
         URIs" registry …""", reason=not_applicable("a duty of the specification's authors (IANA)")),
    must("RFC8414-3-d", """An OAuth 2.0 application using this specification MUST specify what
         well-known URI suffix it will use for this purpose …""",
         reason=not_applicable("a duty of an application profile, not of a server")),
    must("RFC8414-3.1", """An authorization server metadata document MUST be queried using an HTTP
         "GET" request at the previously specified path …""", reason=client_side()),
    must("RFC8414-3.1-b", """If the issuer identifier value contains a path component, any terminating
         "/" MUST be removed before inserting "/.well-known/" and the well-known URI suffix between
         the host component and the path component …""", reason=client_side()),
    must("RFC8414-3.2", """A successful response MUST use the 200 OK HTTP status code and return a
         JSON object using the "application/json" content type that contains a set of claims as its
         members that are a subset of the metadata values defined in Section 2.""",
         via=("RFC8414-2",)),
    must("RFC8414-3.2-b", """Claims with zero elements MUST be omitted from the response …"""),
    must("RFC8414-3.3", """The "issuer" value returned MUST be identical to the authorization
         server's issuer identifier value into which the well-known URI string was inserted to
         create the URL used to retrieve the metadata."""),
    must("RFC8414-3.3-b", """If these values are not identical, the data contained in the response
         MUST NOT be used.""", keyword="MUST NOT", reason=client_side()),
    must("RFC8414-4", """Unicode Normalization [USA15] MUST NOT be applied at any point to either the
         JSON string or the string it is to be compared against.""", keyword="MUST NOT",
         reason=client_side()),
    must("RFC8414-4-b", """Comparisons between the two strings MUST be performed as a Unicode
         code-point-to-code-point equality comparison …""", reason=client_side()),
    must("RFC8414-6.1", """The authorization server MUST support TLS version 1.2 …"""),
    must("RFC8414-6.1-b", """When using TLS, the client MUST perform a TLS/SSL server certificate
         check, per RFC 6125 …""", reason=client_side()),
    must("RFC8414-6.1-c", """To protect against information disclosure and tampering, confidentiality
         protection MUST be applied using TLS with a ciphersuite that provides confidentiality and
         integrity protection."""),
)
