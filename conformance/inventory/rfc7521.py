"""RFC 7521 (Assertion Framework), §4.2 using assertions for client authentication: the normative
sentences the inventory holds."""

from conformance.inventory.model import must

STATEMENTS = (
    must("RFC7521-4.2", """If present, the value of the "client_id" parameter MUST identify the same
         client as is identified by the client assertion."""),
    must("RFC7521-4.2.1", """… The value of the "error" parameter MUST be the "invalid_client" error
         code.""", via=("RFC7521-4.2",)),
)
