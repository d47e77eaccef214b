"""Authorization server metadata (RFC 8414), the entry point of the SDK's configuration."""

from __future__ import annotations

from urllib.parse import urlsplit

from conformance.client.discovery import metadata_answer
from conformance.client.http import Exchange
from conformance.oracles.expect import expect
from conformance.oracles.failures import prerequisite
from conformance.oracles.metadata import metadata_document
from conformance.requirements import SHOULD
from conformance.suite.check import check, not_applicable
from conformance.vocabulary import JWT_METHODS, MTLS_METHODS
from conformance.catalogue import allowed as ok, declare_answers, forbidden as no


# The answers the specs allow and forbid, per check (rendered into docs/catalogue.md).
ANSWERS = declare_answers({
    "DCR-META-001": (
        ok("200 JSON at /.well-known/oauth-authorization-server or /.well-known/openid-configuration, issuer identical",
           "RFC 8414 §3.3", "MUST", 'The "issuer" value returned MUST be identical to the authorization server\'s '
           'issuer identifier value into which the well-known URI string was inserted'),
        ok("extra members", "RFC 8414 §3.2", "MAY", "Claims that return multiple values are represented as JSON "
           "arrays ... Additional metadata parameters MAY also be used"),
        no("another issuer, no token_endpoint, a registration_endpoint that is not an absolute https URL",
           "RFC 8414 §2", "REQUIRED", "issuer REQUIRED ... token_endpoint URL of the authorization server's token "
           "endpoint ... This is REQUIRED unless only the implicit grant type is supported."),
    ),
    "DCR-META-002": (
        ok("token_endpoint_auth_methods_supported listing the method, or omitted for client_secret_basic",
           "RFC 8414 §2", "OPTIONAL", 'token_endpoint_auth_methods_supported OPTIONAL. JSON array ... If omitted, '
           'the default is "client_secret_basic"'),
        no("a JWT method without token_endpoint_auth_signing_alg_values_supported, or with none in it", "RFC 8414 §2",
           "MUST", 'This metadata entry MUST be present if either of these authentication methods are specified ... '
           'The value "none" MUST NOT be used.'),
    ),
    "DCR-META-003": (
        ok("mtls_endpoint_aliases absent, or no mTLS method advertised (not applicable)", "RFC 8705 §5", "OPTIONAL",
           "mtls_endpoint_aliases OPTIONAL. A JSON object containing alternative authorization server endpoints"),
        no("mtls_endpoint_aliases not an object, or holding URLs that are not absolute https", "RFC 8705 §5", "MUST",
           "A JSON object containing alternative authorization server endpoints ... The parameter value itself "
           "consists of one or more endpoint parameters, such as token_endpoint, revocation_endpoint, "
           "introspection_endpoint, etc., conventionally defined for the top level of authorization server metadata. "
           "(URLs; RFC 6749 §3.2: TLS MUST be used)"),
        no("token_endpoint_auth_methods_supported that is not an array", "RFC 8414 §3.2, §2", "MUST",
           "A successful response MUST use the 200 OK HTTP status code and return a JSON object using the "
           "\"application/json\" content type that contains a set of claims as its members that are a subset of the "
           "metadata values defined in Section 2. (§2: token_endpoint_auth_methods_supported \"JSON array containing "
           "a list of client authentication methods\")"),
    ),
    "DCR-META-004": (
        ok("dpop_signing_alg_values_supported omitted, or an array of asymmetric algorithms", "RFC 9449 §5.1",
           "descriptive", "dpop_signing_alg_values_supported: A JSON array containing a list of the JWS alg values ... "
           "supported by the authorization server for DPoP proof JWTs."),
        no("none or an HS algorithm listed (a warning)", "RFC 9449 §4.2", "MUST NOT", "alg: ... It MUST NOT be none or "
           "an identifier for a symmetric algorithm (Message Authentication Code (MAC)). (Listed in metadata: the check is SHOULD-level)"),
        no("a claimed revocation or introspection endpoint not advertised (a warning)", "RFC 8414 §2", "SHOULD",
           "revocation_endpoint OPTIONAL ... introspection_endpoint OPTIONAL (the profile claims the endpoint; no "
           "keyword requires advertising it, so this reading is descriptive: a warning)"),
        no("no metadata document, a member of the wrong type (an error, whatever the level)", "RFC 8414 §3.2", "MUST",
           'A successful response MUST use the 200 OK HTTP status code and return a JSON object using the '
           '"application/json" content type'),
    ),
    "DCR-META-011": (
        ok("revocation_endpoint and introspection_endpoint omitted (not applicable), or absolute https URLs",
           "RFC 8414 §2", "OPTIONAL", "revocation_endpoint OPTIONAL ... introspection_endpoint OPTIONAL"),
        no("a revocation_endpoint that is not an absolute https URL (plain http, relative)", "RFC 7009 §2", "MUST",
           "URLs for token revocation endpoints MUST be HTTPS URLs. ... If the host of the token revocation "
           "endpoint can also be reached over HTTP, then the server SHOULD also offer a revocation service at the "
           "corresponding HTTP URI, but it MUST NOT publish this URI as a token revocation endpoint."),
        no("a revocation_endpoint with a fragment", "RFC 7009 §2", "MUST", "This URL MUST conform to the rules "
           "given in [RFC6749], Section 3.1. (RFC 6749 §3.1: The endpoint URI MUST NOT include a fragment "
           "component.)"),
        no("an introspection_endpoint that is not an absolute https URL", "RFC 7662 §2", "MUST",
           "The introspection endpoint MUST be protected by a transport-layer security mechanism as described in "
           "Section 4."),
        no("no metadata document, a member of the wrong type (an error)", "RFC 8414 §3.2", "MUST",
           'A successful response MUST use the 200 OK HTTP status code and return a JSON object using the '
           '"application/json" content type'),
    ),
})


def _metadata(dcr_session, profile) -> tuple[dict, Exchange]:
    """The RFC 8414 document (falling back to OpenID discovery), or a failed check."""
    ex = metadata_answer(dcr_session.transport, profile.server.issuer)
    return metadata_document(ex), ex


def _absolute_https(url: object) -> bool:
    parts = urlsplit(url) if isinstance(url, str) else None
    return bool(parts and parts.scheme == "https" and parts.netloc)


@check("DCR-META-001", "RFC8414-2", "RFC8414-3.3", per_profile=True, needs=("issuer",))
def test_metadata_names_the_issuer_and_endpoints(dcr_session, profile):
    """The metadata document names its own issuer, the token endpoint and an https registration endpoint."""
    doc, ex = _metadata(dcr_session, profile)
    expect(doc.get("issuer") == profile.server.issuer,
           f"issuer in the metadata is {doc.get('issuer')!r}",
           f"exactly the issuer the URL was built from, {profile.server.issuer!r}", ex)
    expect(isinstance(doc.get("token_endpoint"), str), "token_endpoint is missing", "token_endpoint", ex)
    expect(_absolute_https(doc.get("registration_endpoint")),
           f"registration_endpoint is {doc.get('registration_endpoint')!r}",
           "an absolute https registration_endpoint", ex)


@check("DCR-META-002", "RFC8414-2", needs=("issuer",))
def test_metadata_advertises_the_main_client_method(dcr_session, profile, main_client):
    """The main client's authentication method is advertised, with signing algorithms for JWT methods."""
    doc, ex = _metadata(dcr_session, profile)
    methods = doc.get("token_endpoint_auth_methods_supported", ["client_secret_basic"])  # RFC 8414 §2 default
    expect(isinstance(methods, list) and main_client.auth_method in methods,
           f"token_endpoint_auth_methods_supported is {methods!r}",
           f"a list containing {main_client.auth_method!r}", ex)
    if set(JWT_METHODS) & set(methods):
        algs = doc.get("token_endpoint_auth_signing_alg_values_supported")
        expect(isinstance(algs, list) and algs, "token_endpoint_auth_signing_alg_values_supported is missing",
               "a non-empty list (RFC 8414 §2: required when a JWT method is listed)", ex)
        expect("none" not in algs, f"token_endpoint_auth_signing_alg_values_supported is {algs!r}",
               "no 'none' in the list", ex)


def _typed(doc: dict, key: str, kind: type, ex: Exchange) -> None:
    """A member, when present, has its RFC type (RFC 8414 §2 / RFC 8705 §5 / RFC 9449 §5.1): a member
    of the wrong type is a broken document, never "not advertised"."""
    if key in doc:
        expect(isinstance(doc[key], kind), f"{key} is {doc[key]!r}",
               f"a JSON {'array' if kind is list else 'object' if kind is dict else 'string'}", ex)


@check("DCR-META-003", "RFC8705-5", per_profile=True, needs=("issuer",))
def test_mtls_endpoint_aliases_are_absolute_https(dcr_session, profile):
    """When mTLS methods are advertised, mtls_endpoint_aliases (if present) is an object of absolute https URLs."""
    doc, ex = _metadata(dcr_session, profile)
    _typed(doc, "token_endpoint_auth_methods_supported", list, ex)
    _typed(doc, "mtls_endpoint_aliases", dict, ex)
    methods = set(doc.get("token_endpoint_auth_methods_supported", []))
    aliases = doc.get("mtls_endpoint_aliases")
    if not set(MTLS_METHODS) & methods:
        not_applicable("no mTLS authentication method is advertised")
    if aliases is None:
        not_applicable("no mtls_endpoint_aliases in the metadata (RFC 8705 §5: OPTIONAL)")
    bad = {k: v for k, v in aliases.items() if not _absolute_https(v)}
    expect(not bad, f"mtls_endpoint_aliases has entries that are not absolute https URLs: {bad!r}",
           "absolute https URLs only", ex)


@check("DCR-META-004", "RFC9449-5.1", level=SHOULD, step="use", per_profile=True, needs=("issuer",))
def test_dpop_algorithms_and_optional_endpoints(dcr_session, profile):
    """DPoP algorithms are asymmetric, and the revocation and introspection endpoints the profile claims are advertised."""
    with prerequisite():  # a broken document is an error of the check, not a SHOULD finding
        doc, ex = _metadata(dcr_session, profile)
        _typed(doc, "dpop_signing_alg_values_supported", list, ex)
        for key in ("revocation_endpoint", "introspection_endpoint"):
            _typed(doc, key, str, ex)
    algs = doc.get("dpop_signing_alg_values_supported")
    if algs is not None:
        expect(algs, "dpop_signing_alg_values_supported is empty", "the JWS algorithms supported (RFC 9449 §5.1)", ex)
        weak = [a for a in algs if a == "none" or str(a).startswith("HS")]
        expect(not weak, f"dpop_signing_alg_values_supported lists {weak!r}", "asymmetric algorithms only", ex)
    for claim, key in (("revocation", "revocation_endpoint"), ("introspection", "introspection_endpoint")):
        if getattr(profile.claims, claim):
            expect(_absolute_https(doc.get(key)), f"{key} is {doc.get(key)!r}",
                   f"an https {key} (the profile claims {claim})", ex)


@check("DCR-META-011", "RFC7009-2-c", "RFC7009-2-e", "RFC7009-2-h", "RFC7662-2", per_profile=True,
       needs=("issuer",))
def test_revocation_and_introspection_endpoints_are_https(dcr_session, profile):
    """The revocation and introspection endpoints the metadata advertises are absolute https URLs, the revocation endpoint without a fragment."""
    with prerequisite():  # a broken document is an error of the check, not its finding
        doc, ex = _metadata(dcr_session, profile)
        for key in ("revocation_endpoint", "introspection_endpoint"):
            _typed(doc, key, str, ex)
    advertised = {key: doc[key] for key in ("revocation_endpoint", "introspection_endpoint") if key in doc}
    if not advertised:
        not_applicable("neither revocation_endpoint nor introspection_endpoint is advertised (RFC 8414 §2: OPTIONAL)")
    bad = {key: url for key, url in advertised.items() if not _absolute_https(url)}
    expect(not bad, f"endpoints advertised without https: {bad!r}",
           "absolute https URLs (RFC 7009 §2: MUST be HTTPS URLs; RFC 7662 §2: MUST be protected by TLS)", ex)
    revocation = advertised.get("revocation_endpoint")
    if revocation is not None:
        expect(not urlsplit(revocation).fragment and "#" not in revocation, f"revocation_endpoint is {revocation!r}",
               "a URL without a fragment (RFC 7009 §2: the rules of RFC 6749 §3.1)", ex)
