"""RFC 7591 (Dynamic Client Registration): the normative sentences the inventory holds."""

from conformance.inventory.model import (
    client_side, must, not_applicable, not_observable, not_yet, should,
)

_NO_STATEMENTS = "the flow registers by software_id naming a template, without software statements"

STATEMENTS = (
    must("RFC7591-2", """The "jwks_uri" and "jwks" parameters MUST NOT both be present in the same
         request or response.""", keyword="MUST NOT"),
    must("RFC7591-2-b", """The authorization server MUST ignore any client metadata sent by the client
         that it does not understand (for instance, by silently removing unknown metadata from the
         client's registration record during processing).""", via=("RFC7591-2",)),
    must("RFC7591-2-c", """As required by Section 2 of OAuth 2.0 [RFC6749], clients using flows with
         redirection MUST register their redirection URI values.""", reason=client_side()),
    must("RFC7591-2-d", """Authorization servers that support dynamic registration for redirect-based
         flows MUST implement support for this metadata value."""),
    must("RFC7591-2.2", """If any human-readable field is sent without a language tag, parties using
         it MUST NOT make any assumptions about the language, character set, or script.""",
         keyword="MUST NOT", reason=not_observable("how a server interprets a display name is internal")),
    must("RFC7591-2.3", """… the software statement MUST be digitally signed or MACed using JSON Web
         Signature (JWS) and MUST contain an "iss" (issuer) claim denoting the party attesting to the
         claims in the software statement.""", reason=not_applicable(_NO_STATEMENTS)),
    should("RFC7591-2.3-b", """… it is RECOMMENDED that software statements be digitally signed using
           the "RS256" signature algorithm, although particular applications MAY specify the use of
           different algorithms.""", keyword="RECOMMENDED", reason=not_applicable(_NO_STATEMENTS)),
    must("RFC7591-2.3-c", """… the value of a claim in the software statement MUST take
         precedence.""", reason=not_applicable(_NO_STATEMENTS)),
    must("RFC7591-3", """The client registration endpoint MUST accept HTTP POST messages with request
         parameters encoded in the entity body using the "application/json" format."""),
    must("RFC7591-3-b", """The client registration endpoint MUST be protected by a transport-layer
         security mechanism …""", via=("RFC7591-3",)),
    should("RFC7591-3.1", """To support open registration and facilitate wider interoperability, the
           client registration endpoint SHOULD allow registration requests with no authorization
           (which is to say, with no initial access token in the request).""",
           reason=not_applicable("the flow's registration endpoint is protected by the one-shot "
                                 "initial access token by design; open registration is what it "
                                 "must refuse (DCR-REG-008)")),
    must("RFC7591-3.2.1", """Additionally, the authorization server MUST return all registered
         metadata about the client, including any fields provisioned by the authorization server
         itself."""),
    should("RFC7591-3.2.1-b", """client_id REQUIRED. OAuth 2.0 client identifier string. It SHOULD
           NOT be currently valid for any other registered client, though an authorization server MAY
           issue the same client identifier to multiple instances of a registered client at its
           discretion.""", keyword="SHOULD NOT", via=("RFC7591-3.2.1",)),
    must("RFC7591-3.2.1-c", """client_secret_expires_at REQUIRED if "client_secret" is issued.""",
         keyword="REQUIRED", via=("RFC7591-3.2.1",)),
    must("RFC7591-3.2.1-d", """If issued, this MUST be unique for each "client_id" …""",
         via=("RFC7591-3.2.1",)),
    must("RFC7591-3.2.1-e", """If a software statement was used as part of the registration, its
         value MUST be returned unmodified in the response along with other metadata using the
         "software_statement" member name.""", reason=not_applicable(_NO_STATEMENTS)),
    must("RFC7591-5", """… the authorization server MUST require the use of a transport-layer
         security mechanism when sending requests to the registration endpoint.""",
         via=("RFC7591-3",)),
    must("RFC7591-5-b", """The server MUST support TLS 1.2 [RFC5246] and MAY support additional
         transport-layer security mechanisms meeting its security requirements."""),
    must("RFC7591-5-c", """For clients that use redirect-based grant types such as
         "authorization_code" and "implicit", authorization servers MUST require clients to register
         their redirection URI values.""",
         reason=not_applicable("with templatized registration the template supplies the "
                               "redirection URIs; a registration cannot be without them")),
    must("RFC7591-5-d", """Unless used as a claim in a software statement, the authorization server
         MUST treat all client metadata as self-asserted.""",
         reason=not_observable("how far the server trusts metadata shows only in its consent UI")),
    must("RFC7591-5-e", """… an authorization server MUST take appropriate steps to mitigate this
         risk by looking at the entire registration request and client configuration.""",
         reason=not_observable("the steps a server takes are internal")),
    should("RFC7591-5-f", """… SHOULD check to see if the "logo_uri", "tos_uri", "client_uri", and
           "policy_uri" have the same host and scheme as the those defined in the array of
           "redirect_uris" and that all of these URIs resolve to valid web pages.""",
           reason=not_applicable("the flow registers no display URIs; the template fixes them")),
    should("RFC7591-5-g", """… the server SHOULD treat the new registration as being suspect and
           reject the registration.""",
           reason=not_applicable("the flow registers many instances of one template (software_id) "
                                 "by design: one client per device")),
    should("RFC7591-5-h", """An authorization server SHOULD NOT issue the same client secret to
           multiple instances of a registered client, even if they are issued the same client
           identifier, or else the client secret could be leaked, allowing malicious impostors to
           impersonate a confidential client.""", keyword="SHOULD NOT", via=("RFC7591-3.2.1-S",)),
)
