"""Authorization server metadata (RFC 8414), the entry point of the SDK's configuration."""

from __future__ import annotations

from urllib.parse import urlsplit

from conformance.requirements import SHOULD
from conformance.suite import expect as e
from conformance.suite.check import check
from conformance.suite.oracles import fetch_metadata
from conformance.vocabulary import JWT_METHODS, MTLS_METHODS


def _absolute_https(url: object) -> bool:
    parts = urlsplit(url) if isinstance(url, str) else None
    return bool(parts and parts.scheme == "https" and parts.netloc)


@check("DCR-META-001", "RFC8414-2", "RFC8414-3.3", per_profile=True, needs=("issuer",))
def test_metadata_names_the_issuer_and_endpoints(dcr, profile):
    """The metadata document names its own issuer, the token endpoint and an https registration endpoint."""
    doc, ex = fetch_metadata(dcr, profile)
    e.expect(doc.get("issuer") == profile.server.issuer,
             f"issuer in the metadata is {doc.get('issuer')!r}",
             f"exactly the issuer the URL was built from, {profile.server.issuer!r}", ex)
    e.expect(isinstance(doc.get("token_endpoint"), str), "token_endpoint is missing", "token_endpoint", ex)
    e.expect(_absolute_https(doc.get("registration_endpoint")),
             f"registration_endpoint is {doc.get('registration_endpoint')!r}",
             "an absolute https registration_endpoint", ex)


@check("DCR-META-002", "RFC8414-2", needs=("issuer",))
def test_metadata_advertises_the_main_client_method(dcr, profile, main_client):
    """The main client's authentication method is advertised, with signing algorithms for JWT methods."""
    doc, ex = fetch_metadata(dcr, profile)
    methods = doc.get("token_endpoint_auth_methods_supported", ["client_secret_basic"])  # RFC 8414 §2 default
    e.expect(isinstance(methods, list) and main_client.auth_method in methods,
             f"token_endpoint_auth_methods_supported is {methods!r}",
             f"a list containing {main_client.auth_method!r}", ex)
    if set(JWT_METHODS) & set(methods):
        algs = doc.get("token_endpoint_auth_signing_alg_values_supported")
        e.expect(isinstance(algs, list) and algs, "token_endpoint_auth_signing_alg_values_supported is missing",
                 "a non-empty list (RFC 8414 §2: required when a JWT method is listed)", ex)
        e.expect("none" not in algs, f"token_endpoint_auth_signing_alg_values_supported is {algs!r}",
                 "no 'none' in the list", ex)


@check("DCR-META-003", "RFC8705-5", per_profile=True, needs=("issuer",))
def test_mtls_endpoint_aliases_are_absolute_https(dcr, profile):
    """When mTLS methods are advertised, mtls_endpoint_aliases (if present) is an object of absolute https URLs."""
    doc, ex = fetch_metadata(dcr, profile)
    methods = set(doc.get("token_endpoint_auth_methods_supported", []))
    aliases = doc.get("mtls_endpoint_aliases")
    if not (set(MTLS_METHODS) & methods) or aliases is None:
        return
    e.expect(isinstance(aliases, dict), f"mtls_endpoint_aliases is {type(aliases).__name__}", "a JSON object", ex)
    bad = {k: v for k, v in aliases.items() if not _absolute_https(v)}
    e.expect(not bad, f"mtls_endpoint_aliases has entries that are not absolute https URLs: {bad!r}",
             "absolute https URLs only", ex)


@check("DCR-META-004", "RFC9449-5.1", level=SHOULD, step="use", per_profile=True, needs=("issuer",))
def test_dpop_algorithms_and_optional_endpoints(dcr, profile):
    """DPoP algorithms are asymmetric, and the revocation and introspection endpoints the profile claims are advertised."""
    doc, ex = fetch_metadata(dcr, profile)
    algs = doc.get("dpop_signing_alg_values_supported")
    if algs is not None:
        e.expect(isinstance(algs, list) and "ES256" in algs,
                 f"dpop_signing_alg_values_supported is {algs!r}", "a list containing ES256", ex)
        weak = [a for a in algs if a == "none" or str(a).startswith("HS")]
        e.expect(not weak, f"dpop_signing_alg_values_supported lists {weak!r}", "asymmetric algorithms only", ex)
    for claim, key in (("revocation", "revocation_endpoint"), ("introspection", "introspection_endpoint")):
        if getattr(profile.claims, claim):
            e.expect(_absolute_https(doc.get(key)), f"{key} is {doc.get(key)!r}",
                     f"an https {key} (the profile claims {claim})", ex)
