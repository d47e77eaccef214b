"""What RFC 8414 §2 recommends of the metadata document: ``scopes_supported``, and RS256 among the
token endpoint's client-assertion algorithms. Warnings (SHOULD), never MUST failures; a member of the
wrong type is a broken document, which blocks the check rather than warn."""

from __future__ import annotations

from conformance.client.discovery import metadata_answer
from conformance.oracles.expect import expect, should
from conformance.oracles.failures import prerequisite
from conformance.oracles.metadata import metadata_document
from conformance.requirements import SHOULD
from conformance.suite.check import check, not_applicable
from conformance.catalogue import allowed as ok, declare_answers, forbidden as no

_SCOPES = ("RFC 8414 §2", "RECOMMENDED", "scopes_supported RECOMMENDED. JSON array containing a list of the OAuth 2.0 "
           "[RFC6749] \"scope\" values that this authorization server supports. Servers MAY choose not to advertise "
           "some supported scope values even when this parameter is used.")
_RS256 = ("RFC 8414 §2", "SHOULD", "token_endpoint_auth_signing_alg_values_supported ... No default algorithms are "
          "implied if this entry is omitted. Servers SHOULD support \"RS256\". The value \"none\" MUST NOT be used.")
_ALGS = "token_endpoint_auth_signing_alg_values_supported"

# The answers the specs allow and forbid, per check (rendered into docs/catalogue.md).
ANSWERS = declare_answers({
    "DCR-META-009": (
        ok("scopes_supported listing some or all of the server's scopes", *_SCOPES),
        no("no scopes_supported (a warning)", *_SCOPES),
    ),
    "DCR-META-010": (
        ok(f"{_ALGS} holding RS256, or omitted (not applicable: no JWT client authentication advertised)", *_RS256),
        no("RS256 not listed (a warning)", *_RS256),
    ),
})


def _string_array(doc: dict, key: str, ex) -> list | None:
    """``doc[key]`` when present: a JSON array of strings (RFC 8414 §2), else a broken document."""
    if key not in doc:
        return None
    value = doc[key]
    expect(isinstance(value, list) and all(isinstance(v, str) for v in value), f"{key} is {value!r}",
           "a JSON array of strings (RFC 8414 §2)", ex)
    return value


@check("DCR-META-009", "RFC8414-2-f", level=SHOULD, per_profile=True, needs=("issuer",))
def test_metadata_lists_scopes(dcr_session, profile):
    """The metadata lists the scopes the server supports in scopes_supported."""
    ex = metadata_answer(dcr_session.transport, profile.server.issuer)
    with prerequisite():
        scopes = _string_array(metadata_document(ex), "scopes_supported", ex)
    should(scopes is not None, "the metadata has no scopes_supported",
           "scopes_supported (RFC 8414 §2: RECOMMENDED)", ex)


@check("DCR-META-010", "RFC8414-2-i", level=SHOULD, per_profile=True, needs=("issuer",))
def test_metadata_signing_algs_include_rs256(dcr_session, profile):
    """The token endpoint's client-assertion signing algorithms include RS256."""
    ex = metadata_answer(dcr_session.transport, profile.server.issuer)
    with prerequisite():
        algs = _string_array(metadata_document(ex), _ALGS, ex)
    if algs is None:
        not_applicable(f"no {_ALGS} in the metadata (no JWT client authentication advertised)")
    should("RS256" in algs, f"{_ALGS} is {algs!r}", 'RS256 among them (RFC 8414 §2: Servers SHOULD support "RS256")', ex)
