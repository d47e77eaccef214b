"""RFC 9449 (DPoP): the normative sentences the inventory holds (§1, §3, §4.1 and §11.7–§12 hold
none: their keywords are lower-case or they are IANA registrations)."""

from conformance.inventory.model import (
    client_side, must, not_applicable, not_observable, should,
)

_CONFIDENTIAL = ("the flow's clients are confidential; the binding of their refresh tokens is "
                 "Curity's (CURITY-HAAPI-BINDING, [claims] refresh_token_dpop_bound)")
_NO_PAR = "the flow uses no pushed authorization requests"

STATEMENTS = (
    must("RFC9449-2", """DPoP is not, however, a substitute for a secure transport and MUST always be
         used in conjunction with HTTPS."""),
    must("RFC9449-4.2-c", """The JOSE Header of a DPoP JWT MUST contain at least the following
         parameters:""", reason=client_side("the server's side is §4.3 (RFC9449-4.3)")),
    must("RFC9449-4.2-d", """alg: An identifier for a JWS asymmetric digital signature algorithm from
         [IANA.JOSE.ALGS]. It MUST NOT be none or an identifier for a symmetric algorithm (Message
         Authentication Code (MAC)).""", keyword="MUST NOT",
         reason=client_side("the server's side is §4.3 and §11.6 (RFC9449-11.6)")),
    must("RFC9449-4.2-e", """jwk: Represents the public key chosen by the client in JSON Web Key (JWK)
         [RFC7517] format as defined in Section 4.1.3 of [RFC7515]. It MUST NOT contain a private
         key.""", keyword="MUST NOT", reason=client_side("the server's side is §4.3 (RFC9449-4.3)")),
    must("RFC9449-4.2-f", """The payload of a DPoP proof MUST contain at least the following claims:""",
         reason=client_side("the server's side is §4.3 (RFC9449-4.3)")),
    must("RFC9449-4.2-g", """jti: Unique identifier for the DPoP proof JWT. The value MUST be assigned such
         that there is a negligible probability that the same value will be assigned to any other DPoP
         proof used in the same context during the time window of validity.""", reason=client_side()),
    must("RFC9449-4.2", """When the DPoP proof is used in conjunction with the presentation of an
         access token in protected resource access (see Section 7), the DPoP proof MUST also contain
         the following claim:""", reason=client_side()),
    must("RFC9449-4.2-h", """ath: Hash of the access token. The value MUST be the result of a base64url
         encoding (as defined in Section 2 of [RFC7515]) the SHA-256 [SHS] hash of the ASCII encoding of
         the associated access token's value.""", reason=client_side("the resource's side is §7.1 "
                                                                     "(RFC9449-7-b)")),
    must("RFC9449-4.2-b", """When the authentication server or resource server provides a DPoP-Nonce
         HTTP header in a response (see Sections 8 and 9), the DPoP proof MUST also contain the
         following claim:""", reason=client_side()),
    must("RFC9449-4.3", """To validate a DPoP proof, the receiving server MUST ensure the
         following:"""),
    should("RFC9449-4.3-b", """To reduce the likelihood of false negatives, servers SHOULD employ
           syntax-based normalization (Section 6.2.2 of [RFC3986]) and scheme-based normalization
           (Section 6.2.3 of [RFC3986]) before comparing the htu claim."""),
    must("RFC9449-5", """A token_type of DPoP MUST be included in the access token response to signal
         to the client that the access token was bound to its DPoP key and can be used as described
         in Section 7.1."""),
    must("RFC9449-5-b", """To request an access token that is bound to a public key using DPoP, the
         client MUST provide a valid DPoP proof JWT in a DPoP header when making an access token
         request to the authorization server's token endpoint.""", reason=client_side()),
    must("RFC9449-5-c", """The DPoP HTTP header field MUST contain a valid DPoP proof JWT.""",
         via=("RFC9449-5",)),
    must("RFC9449-5-d", """When an authorization server supporting DPoP issues a refresh token to a
         public client that presents a valid DPoP proof at the token endpoint, the refresh token MUST
         be bound to the respective public key.""", reason=not_applicable(_CONFIDENTIAL)),
    must("RFC9449-5-e", """The binding MUST be validated when the refresh token is later presented to
         get new access tokens.""", reason=not_applicable(_CONFIDENTIAL)),
    must("RFC9449-5-f", """As a result, such a client MUST present a DPoP proof for the same key that
         was used to obtain the refresh token each time that refresh token is used to obtain a new
         access token.""", reason=client_side()),
    must("RFC9449-5-g", """The client MUST discard the response in this case if this protection is
         deemed important for the security of the application; otherwise, the client may continue
         as in a regular OAuth interaction.""", reason=client_side()),
    must("RFC9449-5.2", """If the value is true, the authorization server MUST reject token requests
         from the client that do not contain the DPoP header.""", via=("RFC9449-4.3",)),
    must("RFC9449-6", """Resource servers MUST be able to reliably identify whether an access token is
         DPoP-bound and ascertain sufficient information to verify the binding to the public key of
         the DPoP proof (see Section 7.1).""", via=("RFC9449-7.1",)),
    must("RFC9449-6-b", """Resource servers supporting DPoP MUST ensure that the public key from the
         DPoP proof matches the one bound to the access token.""", via=("RFC9449-7.1",)),
    must("RFC9449-6.1", """The value of the jkt member MUST be the base64url encoding (as defined in
         [RFC7515]) of the JWK SHA-256 Thumbprint (according to [RFC7638]) of the DPoP public key (in
         JWK format) to which the access token is bound.""",
         reason=not_observable("access tokens may be opaque; the binding shows through "
                               "introspection (RFC9449-6.2)")),
    must("RFC9449-6.2", """If the token_type member is included in the introspection response, it
         MUST contain the value DPoP."""),
    must("RFC9449-7", """Requests to DPoP-protected resources MUST include both a DPoP proof as per
         Section 4 and the access token as described in Section 7.1.""", reason=client_side()),
    must("RFC9449-7-b", """The DPoP proof MUST include the ath claim with a valid hash of the
         associated access token.""", via=("RFC9449-7.1",)),
    must("RFC9449-7.1", """For such an access token, a resource server MUST check that a DPoP proof was
         also received in the DPoP header field of the HTTP request, check the DPoP proof according
         to the rules in Section 4.3, and check that the public key of the DPoP proof matches the
         public key to which the access token is bound per Section 6."""),
    must("RFC9449-7.1-b", """The resource server MUST NOT grant access to the resource unless all
         checks are successful.""", keyword="MUST NOT", via=("RFC9449-7.1",)),
    should("RFC9449-7.1-c", """An error parameter ([RFC6750], Section 3) SHOULD be included to
           indicate the reason why the request was declined, if the request included an access token
           but failed authentication."""),
    should("RFC9449-7.1-d", """An algs parameter SHOULD be included to signal to the client the JWS
           algorithms that are acceptable for the DPoP proof JWT."""),
    must("RFC9449-7.1-e", """Additional authentication parameters MAY be used, and unknown parameters
         MUST be ignored by recipients.""", reason=client_side()),
    must("RFC9449-7.1-f", """Therefore, this authentication scheme MUST NOT be used with the
         Proxy-Authenticate or Proxy-Authorization header fields.""", keyword="MUST NOT",
         reason=not_applicable("no proxy authenticates in this flow")),
    must("RFC9449-7.2", """Specifically, such a protected resource MUST reject a DPoP-bound access
         token received as a bearer token per [RFC6750].""", via=("RFC9449-7.1",)),
    should("RFC9449-7.2-b", """It is RECOMMENDED that the following rules be adhered to:""",
           keyword="RECOMMENDED"),
    should("RFC9449-7.3", """It is RECOMMENDED that clients generate a unique DPoP proof, even when
           retrying idempotent requests in response to HTTP errors generally understood as
           transient.""", keyword="RECOMMENDED", reason=client_side()),
    must("RFC9449-8", """Other HTTP headers and JSON fields MAY also be included in the error response,
         but there MUST NOT be more than one DPoP-Nonce header.""", keyword="MUST NOT"),
    must("RFC9449-8-b", """Nonce values MUST be unpredictable.""",
         reason=not_observable("unpredictability cannot be shown by sampling nonces from outside")),
    must("RFC9449-8-c", """If the nonce claim in the DPoP proof does not exactly match a nonce
         recently supplied by the authorization server to the client, the authorization server MUST
         reject the request."""),
    must("RFC9449-8.2", """The client MUST use the new nonce value supplied for the next token request
         and for all subsequent token requests until the authorization server supplies a new
         nonce.""", reason=client_side()),
    must("RFC9449-10", """If they do not match, it MUST reject the request."""),
    must("RFC9449-10.1", """In this case, the authorization server MUST check the provided DPoP proof
         JWT as defined in Section 4.3.""", reason=not_applicable(_NO_PAR)),
    must("RFC9449-10.1-b", """Both mechanisms MUST be supported by an authorization server that
         supports PAR and DPoP.""", reason=not_applicable(_NO_PAR)),
    must("RFC9449-11.1", """To limit this, servers MUST only accept DPoP proofs for a limited time
         after their creation (preferably only for a relatively brief period on the order of seconds
         or minutes).""", via=("RFC9449-4.3",)),
    should("RFC9449-11.2", """Deployments that do not utilize the nonce mechanism SHOULD NOT issue
           long-lived DPoP constrained access tokens, preferring instead to use short-lived access
           tokens and refresh tokens.""", keyword="SHOULD NOT",
           reason=not_observable("'long-lived' has no bound in the RFC; a verdict would be the "
                                 "suite's, not the RFC's")),
    must("RFC9449-11.3", """A server MUST NOT accept any DPoP proofs without the nonce claim when a
         DPoP nonce has been provided to the client.""", keyword="MUST NOT", via=("RFC9449-8",)),
    must("RFC9449-11.5", """Servers accepting signed DPoP proof JWTs MUST verify that the typ field is
         dpop+jwt in the headers of the JWTs to ensure that adversaries cannot use JWTs created for
         other purposes.""", via=("RFC9449-4.3",)),
    must("RFC9449-11.6", """Implementers MUST ensure that only asymmetric digital signature algorithms
         (such as ES256) that are deemed secure can be used for signing DPoP proofs.""",
         via=("RFC9449-4.3",)),
    must("RFC9449-11.6-b", """In particular, the algorithm none MUST NOT be allowed.""",
         keyword="MUST NOT", via=("RFC9449-4.3",)),
)
