"""RFC 7591 (Dynamic Client Registration): the normative sentences the inventory holds."""

from conformance.inventory.model import (
    client_side, must, not_applicable, not_observable, should,
)

_NO_STATEMENTS = "the flow registers by software_id naming a template, without software statements"
_SHOWN = "what the server's user interface shows the end-user; the suite sees no consent screen"

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
    # §2, the member definitions (redirect_uris above), §2.1, §3.1.1 and §3.2.2 (issue 14).
    must("RFC7591-2-e", """grant_types … If the token endpoint is used in the grant type, the value of this parameter
         MUST be the same as the value of the "grant_type" parameter passed to the token endpoint
         defined in the grant type definition.""",
         reason=client_side("the names a client registers; the server's registered grant_types are "
                            "judged against the template by DCR-REG-003")),
    must("RFC7591-2-f", """response_types … If the authorization endpoint is used by the grant type, the value of this
         parameter MUST be the same as the value of the "response_type" parameter passed to the
         authorization endpoint defined in the grant type definition.""",
         reason=client_side("the names a client registers; the server's registered response_types "
                            "are judged against the template by DCR-REG-003")),
    should("RFC7591-2-g", """client_name … It is RECOMMENDED that clients always send this field.""",
           keyword="RECOMMENDED", reason=client_side()),
    should("RFC7591-2-h", """client_uri … If present, the server SHOULD display this URL to the end-user
           in a clickable fashion.""", reason=not_observable(_SHOWN)),
    should("RFC7591-2-i", """client_uri … It is RECOMMENDED that clients always send this field.""",
           keyword="RECOMMENDED", reason=client_side()),
    must("RFC7591-2-j", """client_uri … The value of this field MUST point to a valid web page.""",
         reason=client_side()),
    should("RFC7591-2-k", """logo_uri … If present, the server SHOULD display this image to the end-user
           during approval.""", reason=not_observable(_SHOWN)),
    must("RFC7591-2-l", """logo_uri … The value of this field MUST point to a valid image file.""",
         reason=client_side()),
    should("RFC7591-2-m", """tos_uri … The authorization server SHOULD display this URL to the end-user if
           it is provided.""", reason=not_observable(_SHOWN)),
    must("RFC7591-2-n", """tos_uri … The value of this field MUST point to a valid web page.""",
         reason=client_side()),
    should("RFC7591-2-o", """policy_uri … The authorization server SHOULD display this URL to the end-user
           if it is provided.""", reason=not_observable(_SHOWN)),
    must("RFC7591-2-p", """policy_uri … The value of this field MUST point to a valid web page.""",
         reason=client_side()),
    must("RFC7591-2-q", """jwks_uri … The value of this field MUST point to a valid JWK Set document.""",
         reason=client_side("the document the client publishes; the flow's device keys travel in jwks")),
    must("RFC7591-2-r", """jwks … The value of this field MUST be a JSON object containing a valid JWK
         Set.""", reason=client_side("the keys the client sends; what the server registers of them is "
                                     "judged by DCR-FUZZ-001 (public keys only)")),
    should("RFC7591-2-s", """software_id … Unlike "client_id", which is issued by the authorization server
           and SHOULD vary between instances, the "software_id" SHOULD remain the same for all
           instances of the client software.""", via=("RFC7591-3.2.1",)),
    should("RFC7591-2-t", """software_id … Unlike "client_id", which is issued by the authorization server
           and SHOULD vary between instances, the "software_id" SHOULD remain the same for all
           instances of the client software.""",
           reason=client_side("the software_id half: the software publisher's choice (the flow's "
                              "software_id names the template)")),
    should("RFC7591-2-u", """The "software_id" SHOULD remain the same across multiple updates or versions
           of the same piece of software.""", reason=client_side()),
    should("RFC7591-2-v", """The value of the "software_version" SHOULD change on any update to the client
           software identified by the same "software_id".""", reason=client_side()),
    should("RFC7591-2.1", """As such, a server supporting these fields SHOULD take steps to ensure that a
           client cannot register itself into an inconsistent state, for example, by returning an
           "invalid_client_metadata" error response to an inconsistent registration request."""),
    must("RFC7591-3.1.1", """If the server supports software statements, client metadata values conveyed
         in the software statement MUST take precedence over those conveyed using plain JSON
         elements.""", reason=not_applicable(_NO_STATEMENTS)),
    must("RFC7591-3.2.2", """error REQUIRED. Single ASCII error code string.""", keyword="REQUIRED"),
    must("RFC7591-3.2.2-b", """Other members MAY also be included and, if they are not understood, they
         MUST be ignored.""", reason=client_side("the client reads the error response")),
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
