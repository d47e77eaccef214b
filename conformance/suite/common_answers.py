"""Forbidden answers several checks share, declared once (rendered into docs/catalogue.md)."""

from conformance.catalogue import forbidden as no

#: A refused client authentication at the token endpoint (RFC 6749 §5.2): the 401 after HTTP Basic
#: is a MUST, an error code is REQUIRED, which code and which other 4xx are only described.
CLIENT_AUTHENTICATION_REFUSAL = (
    no("another status than 401 after Basic", "RFC 6749 §5.2", "MUST", "If the client attempted to authenticate "
       "via the \"Authorization\" request header field, the authorization server MUST respond with an HTTP 401"),
    no("a 5xx, an HTML page, a refusal without an error code", "RFC 6749 §5.2", "REQUIRED",
       "error REQUIRED. A single ASCII [USASCII] error code from the following"),
    no("another error code than invalid_client, or another 4xx than 400/401, with an error code (a warning)",
       "RFC 6749 §5.2", "SHOULD", 'descriptive, no keyword: "invalid_client: Client authentication failed"'),
)
