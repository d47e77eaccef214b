"""What an authorization server metadata answer must be before the checks read it (RFC 8414 §3).

The answer comes from :func:`conformance.client.discovery.metadata_answer` (RFC 8414's
well-known URL, then OpenID Connect Discovery's, §4); the DCR-META-* checks judge its members.
"""

from __future__ import annotations

from conformance.client.http import Exchange
from conformance.oracles.expect import fail, json_object


def metadata_document(ex: Exchange) -> dict:
    """The metadata of a 200 answer (RFC 8414 §3.2: a JSON object), or a failed check."""
    if ex.status == 200:
        return json_object(ex, "metadata")
    fail("no metadata document at the issuer's well-known URLs", "HTTP 200 with a JSON object (RFC 8414 §3)", ex)
    raise AssertionError("unreachable")
