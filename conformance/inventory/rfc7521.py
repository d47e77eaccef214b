"""RFC 7521 (Assertion Framework), §4.2 using assertions for client authentication and §5.2 the
general assertion format and processing rules: the normative sentences the inventory holds. RFC 7523
§3 states the §5.2 rules again for JWTs; the checks that enforce those enforce these."""

from conformance.inventory.model import must

_JWT = ("RFC7523-3",)

STATEMENTS = (
    must("RFC7521-4.2", """If present, the value of the "client_id" parameter MUST identify the same
         client as is identified by the client assertion."""),
    must("RFC7521-4.2.1", """… The value of the "error" parameter MUST be the "invalid_client" error
         code.""", via=("RFC7521-4.2",)),
    must("RFC7521-5.2", """The assertion MUST contain an Issuer.""", via=_JWT),
    must("RFC7521-5.2-b", """If an assertion is self-issued, the Issuer MUST be the value of the client's
         "client_id".""", via=_JWT),
    must("RFC7521-5.2-c", """The assertion MUST contain a Subject.""", via=_JWT),
    must("RFC7521-5.2-d", """The assertion MUST contain an Audience that identifies the authorization server
         as the intended audience.""", via=_JWT),
    must("RFC7521-5.2-e", """The authorization server MUST reject any assertion that does not contain its
         own identity as the intended audience.""", via=_JWT),
    must("RFC7521-5.2-f", """The assertion MUST contain an Expires At entity that limits the time window
         during which the assertion can be used.""", via=_JWT),
    must("RFC7521-5.2-g", """The authorization server MUST reject assertions that have expired (subject to
         allowable clock skew between systems).""", via=_JWT),
)
