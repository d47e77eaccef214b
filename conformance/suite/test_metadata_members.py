"""The members of the metadata document that RFC 8414 §2 and §3.2 constrain beyond the ones the
flow reads: required lists, endpoint URLs without fragments (RFC 6749 §3.2), JWT methods with
their signing algorithms, and no empty arrays."""

from __future__ import annotations

from urllib.parse import urlsplit

from conformance.client.discovery import metadata_answer
from conformance.oracles.expect import expect
from conformance.oracles.metadata import metadata_document
from conformance.suite.check import check

from conformance.catalogue import allowed as ok, declare_answers, forbidden as no

# The answers the specs allow and forbid, per check (rendered into docs/catalogue.md).
ANSWERS = declare_answers({
    "DCR-META-005": (
        ok("the REQUIRED members present; optional members omitted rather than empty; extra members", "RFC 8414 §2",
           "MAY", "Additional authorization server metadata parameters MAY also be used."),
        no("response_types_supported missing, an endpoint URL with a fragment, an empty array, the signing algorithms "
           "of a JWT method at the revocation endpoint missing", "RFC 8414 §2 / §3.2", "MUST",
           "response_types_supported REQUIRED ... Claims with zero elements MUST be omitted from the response."),
    ),
})
from conformance.vocabulary import JWT_METHODS

_CODE_GRANTS = {"authorization_code", "implicit"}


@check("DCR-META-005", "RFC8414-2-b", "RFC8414-2-d", "RFC8414-2-g", "RFC8414-2-k", "RFC8414-2-l",
       "RFC8414-2-n", "RFC8414-2-o", "RFC8414-3.2-b", "RFC6749-3.2-b", per_profile=True, needs=("issuer",))
def test_metadata_members_are_well_formed(dcr_session, profile):
    """The metadata lists response types, names the endpoints its grants need without fragments, gives JWT methods their algorithms and holds no empty array."""
    ex = metadata_answer(dcr_session.transport, profile.server.issuer)
    doc = metadata_document(ex)
    types = doc.get("response_types_supported")
    expect(isinstance(types, list) and types and all(isinstance(t, str) for t in types),
           f"response_types_supported is {types!r}", "a non-empty JSON array of strings (RFC 8414 §2: REQUIRED)", ex)
    grants = doc.get("grant_types_supported", ["authorization_code", "implicit"])  # RFC 8414 §2 default
    if isinstance(grants, list) and _CODE_GRANTS & set(grants):
        expect(isinstance(doc.get("authorization_endpoint"), str), "authorization_endpoint is missing",
               "an authorization_endpoint (RFC 8414 §2: REQUIRED when a grant uses it)", ex)
    aliases = doc.get("mtls_endpoint_aliases") if isinstance(doc.get("mtls_endpoint_aliases"), dict) else {}
    for name, url in (("token_endpoint", doc.get("token_endpoint")),
                      ("mtls_endpoint_aliases.token_endpoint", aliases.get("token_endpoint"))):
        if isinstance(url, str):
            expect(not urlsplit(url).fragment and "#" not in url, f"{name} is {url!r}",
                   "an endpoint URI without a fragment (RFC 6749 §3.2)", ex)
    if "jwks_uri" in doc:
        expect(isinstance(doc["jwks_uri"], str) and urlsplit(doc["jwks_uri"]).scheme == "https",
               f"jwks_uri is {doc['jwks_uri']!r}", "an https URL (RFC 8414 §2)", ex)
    for endpoint in ("revocation_endpoint", "introspection_endpoint"):
        methods = doc.get(f"{endpoint}_auth_methods_supported")
        if isinstance(methods, list) and set(JWT_METHODS) & set(methods):
            algs = doc.get(f"{endpoint}_auth_signing_alg_values_supported")
            expect(isinstance(algs, list) and algs and "none" not in algs,
                   f"{endpoint}_auth_signing_alg_values_supported is {algs!r}",
                   "a non-empty list without none (RFC 8414 §2: present when a JWT method is listed)", ex)
    empty = sorted(name for name, value in doc.items() if value == [])
    expect(not empty, f"members with zero elements: {', '.join(empty)}",
           "claims with zero elements omitted (RFC 8414 §3.2)", ex)
