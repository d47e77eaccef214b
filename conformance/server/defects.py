"""Deliberate non-conformances of the reference server, one switched on at a time.

Each defect is a minimal, marked deviation in the endpoint code::

    if self.defects.on("initial-token-reusable"):  # DEFECT: the token is never marked used
        ...

``breaks`` names the checks of docs/catalogue.md that must fail while it is active; ``requirement``
the clause (an id of :mod:`conformance.requirements`) it violates. The suite's self-test runs
each defect against the checks it names.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Defect", "DEFECTS", "VARIANT_CONFLICTS", "ActiveDefects", "UnknownDefect"]


@dataclass(frozen=True)
class Defect:
    name: str
    breaks: tuple[str, ...]
    requirement: str
    text: str


class UnknownDefect(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(f"unknown defect {name!r}; known: {', '.join(sorted(DEFECTS))}")


def _d(name: str, breaks: str, requirement: str, text: str) -> Defect:
    return Defect(name, tuple(b if b.startswith("DCR-") else f"DCR-{b}" for b in breaks.split()),
                  requirement, text)


_ALL = (
    # --- RFC 8414 metadata
    _d("metadata-issuer-mismatch", "META-001", "RFC8414-3.3",
       "The metadata names https://localhost:PORT as issuer, not the URL it is served from."),
    _d("metadata-registration-endpoint-missing", "META-001", "RFC8414-2",
       "The metadata omits registration_endpoint."),
    _d("metadata-signing-algs-missing", "META-002", "RFC8414-2",
       "token_endpoint_auth_signing_alg_values_supported is omitted though JWT methods are listed."),
    _d("metadata-mtls-alias-relative", "META-003", "RFC8705-5",
       "mtls_endpoint_aliases holds relative paths."),
    _d("metadata-dpop-algs-include-none", "META-004", "RFC9449-5.1",
       "dpop_signing_alg_values_supported lists none and HS256."),
    _d("metadata-response-types-missing", "META-005", "RFC8414-2-g",
       "The metadata omits response_types_supported."),
    _d("metadata-token-endpoint-fragment", "META-005", "RFC6749-3.2-b",
       "token_endpoint carries a fragment (#token)."),
    _d("metadata-revocation-algs-missing", "META-005", "RFC8414-2-k",
       "revocation_endpoint_auth_signing_alg_values_supported is omitted though JWT methods are listed."),
    _d("metadata-empty-array", "META-005", "RFC8414-3.2-b",
       "The metadata holds ui_locales_supported as an empty array."),
    _d("metadata-revocation-endpoint-http", "META-011", "RFC7009-2-e",
       "The metadata advertises the revocation endpoint at http:// (the same host and path)."),
    _d("metadata-revocation-endpoint-fragment", "META-011", "RFC7009-2-c",
       "The metadata advertises the revocation endpoint with a fragment (#revoke)."),
    # --- token endpoint, step 1
    _d("token-issues-refresh-token", "TOK-001", "RFC6749-4.4.3",
       "client_credentials responses carry a refresh_token."),
    # DCR-TOK-002 owns RFC6749-5.1-NOSTORE; the checks that only need a token are blocked by it.
    _d("token-missing-no-store", "TOK-002", "RFC6749-5.1-NOSTORE",
       "Token responses lack Cache-Control: no-store and Pragma: no-cache."),
    _d("basic-not-form-decoded", "TOK-003", "RFC6749-2.3.1",
       "HTTP Basic credentials are not form-urldecoded after base64 (RFC 6749 App. B)."),
    _d("basic-failure-without-www-authenticate", "TOK-004", "RFC6749-5.2",
       "A failed Basic authentication gets 401 without WWW-Authenticate."),
    _d("token-unknown-parameter-refused", "TOK-018", "RFC6749-3.2-f",
       "A token request with an unrecognized parameter is refused with invalid_request."),
    _d("token-repeated-parameter-accepted", "TOK-018", "RFC6749-3.2-g",
       "A token request repeating a parameter is accepted (the last value wins)."),
    _d("multiple-auth-methods-accepted", "TOK-005", "RFC6749-2.3.1",
       "A request with Basic and client_secret in the body is accepted (first method wins)."),
    _d("dcr-scope-granted-without-request", "TOK-006", "CURITY-DCR-SCOPE",
       "Main clients get the dcr scope even when they did not ask for it."),
    _d("dcr-scope-for-any-client", "TOK-007", "CURITY-DCR-SCOPE",
       "Any confidential client, also one no template names, gets the dcr scope."),
    _d("public-client-accepted", "TOK-008", "RFC6749-4.4.2",
       "A client_id without any credential is accepted as authenticated."),
    _d("private-key-jwt-es256-broken", "TOK-009", "RFC7523-3",
       "Valid ES256 client assertions are rejected (signature checked over the wrong input)."),
    _d("jwt-expired-accepted", "TOK-010 FUZZ-002", "RFC7523-3",
       "Client assertions with an exp in the past are accepted."),
    _d("jwt-audience-not-checked", "TOK-010", "RFC7523-3",
       "The aud of client assertions is not checked."),
    _d("jwt-subject-not-checked", "TOK-010", "RFC7523-3",
       "The client is taken from iss; sub is not compared with it."),
    _d("jwt-issuer-not-checked", "TOK-010", "RFC7523-3",
       "The client is taken from sub; iss is not compared with it."),
    _d("jwt-signature-not-verified", "TOK-010", "RFC7523-3",
       "Client assertion signatures are not verified (any key, any signature)."),
    _d("jwt-alg-none-accepted", "TOK-010", "RFC7523-3",
       "Unsigned client assertions (alg none) are accepted."),
    _d("jwt-client-id-mismatch-accepted", "TOK-010", "RFC7521-4.2",
       "A body client_id that differs from the assertion's sub is ignored."),
    _d("jwt-replay-accepted", "TOK-011", "OIDC-CORE-9",
       "A client assertion's jti may be used again."),
    _d("client-secret-jwt-broken", "TOK-012", "RFC7523-3",
       "Valid HS256 client assertions are rejected (the MAC key is wrong)."),
    _d("tls-client-auth-broken", "TOK-013", "RFC8705-2",
       "tls_client_auth compares the certificate's issuer DN instead of its subject DN."),
    _d("mtls-client-id-optional", "TOK-014", "RFC8705-2",
       "tls_client_auth works without the client_id parameter (the client is found by its DN)."),
    _d("mtls-any-ca-accepted", "TOK-015", "RFC8705-2",
       "The rogue CA is trusted at the TLS layer and only the subject DN is compared."),
    _d("mtls-dn-not-checked", "TOK-015", "RFC8705-2",
       "Any certificate from the trusted CA authenticates the tls_client_auth client."),
    _d("self-signed-any-cert-accepted", "TOK-016", "RFC8705-2.2",
       "Any self-signed certificate authenticates the self_signed_tls_client_auth client."),
    _d("introspection-omits-scope", "TOK-017", "RFC7662-2.2",
       "Active introspection responses lack scope."),
    # --- registration, step 2
    _d("registration-returns-200", "REG-001", "RFC7591-3.2.1",
       "A successful registration answers 200 instead of 201."),
    _d("registration-omits-secret-expiry", "REG-002", "RFC7591-3.2.1",
       "client_secret_expires_at is missing although a secret is issued."),
    _d("registration-without-no-store", "REG-002", "RFC7591-3.2.1-S",
       "Registration responses lack Cache-Control: no-store."),
    _d("registration-omits-metadata", "REG-003", "RFC7591-3.2.1",
       "The registration response omits the registered metadata (scope, grant_types, ...)."),
    _d("registration-secret-reused", "REG-004", "RFC7591-3.2.1",
       "Every client of a template gets the same client_secret."),
    _d("registration-client-uri-wrong", "REG-005", "RFC7592-3",
       "registration_client_uri is the registration endpoint itself, without the client_id."),
    _d("initial-token-reusable", "REG-006", "CURITY-DCR-ONCE",
       "The initial access token is never marked as used."),
    _d("initial-token-race", "REG-007", "CURITY-DCR-ONCE",
       "Single use is check-then-mark with a window, so concurrent requests both pass."),
    _d("initial-token-expiry-ignored", "REG-008", "RFC6750-3",
       "An expired initial access token still registers."),
    _d("registration-missing-www-authenticate", "REG-008", "RFC6750-3",
       "401 answers of the registration endpoint lack WWW-Authenticate."),
    _d("registration-ignores-token-scope", "REG-009 TOK-006", "CURITY-DCR-SCOPE",
       "Any active access token registers, with or without the dcr scope."),
    _d("unknown-template-accepted", "REG-010", "RFC7591-3.2.2",
       "An unknown software_id falls back to the default template."),
    _d("template-authorization-not-checked", "REG-011", "CURITY-TEMPLATE-1",
       "A template's authenticate-client-by list is not checked."),
    _d("template-scope-not-enforced", "REG-012 FUZZ-001", "RFC7591-3.2.1",
       "A requested scope beyond the template's is registered."),
    _d("redirect-uri-not-validated", "REG-013", "RFC7591-3.2.2",
       "Any requested redirect_uris and grant_types are registered."),
    _d("malformed-json-500", "REG-014", "RFC7591-3.2.2",
       "A malformed JSON body crashes the handler (500)."),
    _d("nested-metadata-500", "REG-014", "RFC7591-3.2.2",
       "A known field holding an object or array of the wrong type crashes the handler (500)."),
    _d("wrong-error-code", "REG-012", "RFC7591-3.2.2",
       "Scope faults are answered with invalid_redirect_uri."),
    _d("jwks-and-jwks-uri-accepted", "REG-015", "RFC7591-2",
       "A request with both jwks and jwks_uri is registered with both."),
    _d("software-statement-500", "REG-016", "RFC7591-3.2.2",
       "Any software_statement (garbage or unsigned) crashes the handler (500)."),
    _d("registration-over-plain-http", "REG-017", "RFC7591-3",
       "The listener also serves plain HTTP on the same port."),
    # --- use of the dynamic client, step 3
    _d("dpop-token-type-bearer", "USE-001", "RFC9449-5",
       "A DPoP-bound token is returned with token_type Bearer."),
    _d("dpop-not-required", "USE-002", "RFC9449-4.3",
       "The dynamic client gets a token without a DPoP proof."),
    _d("dpop-typ-not-checked", "USE-003", "RFC9449-4.3",
       "The typ of DPoP proofs is not checked."),
    _d("dpop-symmetric-alg-accepted", "USE-003", "RFC9449-4.3",
       "DPoP proofs with alg none or HS256 are accepted."),
    _d("dpop-signature-not-verified", "USE-003", "RFC9449-4.3",
       "DPoP proof signatures are not verified."),
    _d("dpop-htm-not-checked", "USE-003", "RFC9449-4.3",
       "The htm of DPoP proofs is not checked."),
    _d("dpop-htu-not-checked", "USE-003", "RFC9449-4.3",
       "The htu of DPoP proofs is not checked."),
    _d("dpop-iat-not-checked", "USE-003", "RFC9449-4.3",
       "The iat of DPoP proofs is not checked, and no server nonce stands in for it."),
    _d("dpop-private-jwk-accepted", "USE-003", "RFC9449-4.3",
       "A DPoP proof whose jwk holds private parts is accepted."),
    _d("dpop-multiple-headers-accepted", "USE-003", "RFC9449-4.3",
       "A request with two DPoP headers is accepted (the first one is used)."),
    _d("dpop-nonce-header-missing", "USE-004", "RFC9449-8",
       "use_dpop_nonce errors lack the DPoP-Nonce header."),
    _d("jws-crit-ignored", "TOK-010 USE-003 FUZZ-002", "RFC7515-4.1.11",
       "Client assertions and DPoP proofs whose crit header names unknown extensions are accepted."),
    _d("attestation-not-enforced", "USE-009", "CURITY-FALLBACK-ATTEST",
       "A main client configured for attestation gets the HAAPI scope without any attestation."),
    _d("resource-nonce-not-required", "USE-008", "RFC9449-9",
       "The resource accepts proofs without a server nonce although nonces are on."),
    _d("resource-any-nonce-accepted", "USE-008", "RFC9449-9",
       "The resource accepts a proof carrying a nonce it never issued (or one long expired)."),
    _d("resource-rejects-valid-proof", "USE-005", "RFC9449-7.1",
       "The resource rejects every DPoP-bound token, also with a valid proof."),
    _d("resource-accepts-bearer-for-dpop-token", "USE-006", "RFC9449-7.1",
       "The resource accepts a DPoP-bound token presented as a Bearer token."),
    _d("resource-ath-not-checked", "USE-007", "RFC9449-7.1",
       "The resource does not check ath nor the proof key against the token binding."),
    _d("dynamic-secret-not-checked", "USE-010", "RFC6749-5.2",
       "Dynamic clients authenticate with any secret."),
    _d("secret-of-another-client-accepted", "USE-014", "RFC6749-4.4.2",
       "A dynamic client authenticates with the secret of any dynamic client, not only its own."),
    _d("dynamic-client-gets-dcr", "USE-011", "CURITY-DCR-SCOPE",
       "A dynamic client asking for dcr gets it."),
    _d("introspection-wrong-client-id", "USE-013", "RFC7662-2.2",
       "Introspection reports the template id as client_id of a dynamic client's token."),
    _d("code-exchange-token-not-dpop", "USE-012", "RFC9449-5",
       "The code exchange answers a Bearer access token, not bound to the proof's key."),
    _d("refresh-token-not-bound", "USE-012", "CURITY-HAAPI-BINDING",
       "A DPoP-bound refresh token is accepted with a proof by any key."),
    # --- RFC 7592 management
    _d("management-read-broken", "MGT-001", "RFC7592-2.1",
       "GET on registration_client_uri returns the template id as client_id."),
    _d("rotation-old-credentials-still-valid", "MGT-002", "RFC7592-2.1",
       "After rotation the old secret and registration access token keep working."),
    _d("management-missing-www-authenticate", "MGT-003", "RFC6750-3",
       "401 answers of the management endpoint lack WWW-Authenticate."),
    _d("management-cross-client-read", "MGT-004", "RFC7592-2.1",
       "Any client's registration access token reads any client."),
    _d("management-unknown-client-200", "MGT-005", "RFC7592-2.1",
       "GET of an unknown client_id answers 200 with any Bearer token."),
    _d("management-put-drops-metadata", "MGT-006", "RFC7592-2.2",
       "The PUT response omits the registered metadata."),
    _d("put-client-id-mismatch-accepted", "MGT-007", "RFC7592-2.2",
       "A PUT whose client_id differs from the URI is applied."),
    _d("put-client-chosen-secret-accepted", "MGT-008", "RFC7592-2.2",
       "A PUT can set the client's secret to a value of its choice."),
    _d("put-forbidden-fields-accepted", "MGT-008", "RFC7592-2.2",
       "A PUT may carry the forbidden fields; a registration_access_token in it becomes the RAT."),
    _d("put-scope-not-enforced", "MGT-009", "RFC7592-2.2",
       "A PUT may widen scope and redirect_uris beyond the template."),
    _d("delete-returns-200", "MGT-010", "RFC7592-2.3",
       "DELETE answers 200 with a body instead of 204."),
    _d("delete-not-effective", "MGT-011", "RFC7592-2.3",
       "DELETE answers 204 but the client keeps working."),
    _d("delete-keeps-tokens-active", "MGT-012", "RFC7592-2.3-S",
       "The tokens of a deleted client stay active."),
    _d("refresh-survives-delete", "MGT-012", "RFC7592-2.3-S",
       "A deleted client's refresh tokens stay active, and a DPoP-bound refresh token is accepted "
       "without client authentication."),
    _d("delete-affects-other-clients", "REV-003 FUZZ-003", "CURITY-DCR-REVOKE",
       "Deleting one dynamic client deletes every client of the same template."),
    _d("dcrm-scope-for-any-client", "MGT-013", "CURITY-DCRM-MANAGER",
       "Any configured client, a main client too, gets the dcrm scope."),
    _d("management-refuses-dcrm-token", "MGT-013 FUZZ-003", "CURITY-DCRM-MANAGER",
       "The RFC 7592 endpoint refuses a management client's dcrm token: only the client's own RAT works."),
    _d("read-write-ttl-not-enforced", "MGT-014", "CURITY-DCRM-RWTTL",
       "A registration access token older than read-write-ttl still reads and updates the client."),
    _d("read-write-ttl-blocks-delete", "MGT-014", "CURITY-DCRM-RWTTL",
       "A registration access token older than read-write-ttl cannot DELETE the client either."),
    _d("management-write-without-token", "MGT-015", "RFC7592-2",
       "PUT and DELETE act on the client without its registration access token (none, or another "
       "client's); only GET checks it."),
    # --- RFC 9449 details: htu normalization, nonces, dpop_jkt, introspection, challenges
    _d("dpop-htu-compared-verbatim", "TOK-025", "RFC9449-4.3-b",
       "The htu of DPoP proofs is compared as a string: an upper-case scheme or host, a "
       "percent-encoded unreserved character or an explicit default port is refused."),
    _d("token-any-nonce-accepted", "TOK-026", "RFC9449-8-c",
       "The token endpoint accepts a proof carrying any nonce, also one it never issued."),
    _d("dpop-jkt-ignored", "TOK-027", "RFC9449-10",
       "The authorization request's dpop_jkt is ignored: the code is bound only to the HAAPI key."),
    _d("introspection-token-type-bearer", "USE-017", "RFC9449-6.2",
       "Introspection names a DPoP-bound token's token_type Bearer."),
    _d("resource-dpop-challenge-without-error", "USE-018", "RFC9449-7.1-c",
       "The resource refuses a bound token whose proof or key fails with a DPoP challenge "
       "without error."),
    _d("resource-dpop-challenge-without-algs", "USE-018", "RFC9449-7.1-d",
       "The resource's DPoP challenge for a failed proof or key has no algs."),
    _d("resource-error-without-credentials", "USE-019", "RFC9449-7.2-b",
       "A resource request without any credentials gets challenges with error=\"invalid_request\"."),
    # --- RFC 7591 §2.1 and RFC 7592 §2.2: grant/response type consistency, replaced values (issue 14)
    _d("inconsistent-types-registered", "REG-020", "RFC7591-2.1",
       "A registration whose grant_types and response_types contradict each other (code without "
       "authorization_code) is registered as asked."),
    _d("put-replaced-field-not-returned", "MGT-018", "RFC7592-2.2-j",
       "A PUT whose grant_types is not an array gets the template's grant types, and the 200 leaves "
       "grant_types out."),
    _d("unknown-client-write-keeps-token", "MGT-019 MGT-020", "RFC7592-2.3-c",
       "A PUT or DELETE on the URI of a client that does not exist answers 401, but the registration "
       "access token it carried keeps working."),
    # --- RFC 7592 §2.1-§2.3: a registration access token not valid, the client_id kept (issue 14, mgt-rest)
    _d("management-invalid-token-without-challenge", "MGT-021", "RFC7592-2.1-e",
       "A registration access token the server never issued gets 401 with a JSON error but no "
       "WWW-Authenticate challenge (only a request without a token is challenged)."),
    _d("put-response-new-client-id", "MGT-006", "RFC7592-2.2-n",
       "The update response names a new client_id (the client keeps its old one)."),
    # --- Curity DCR GraphQL status API 
    _d("graphql-status-affects-other-clients", "REV-001", "CURITY-DCR-REVOKE",
       "Setting one client's status through the DCR GraphQL API sets it on every client of its template."),
    _d("graphql-status-ignored", "REV-001 REV-002", "CURITY-DCRGQL-REVOKE",
       "The token endpoint ignores a dynamic client's status: inactive and revoked clients still get tokens."),
    _d("graphql-reactivation-ignored", "REV-002", "CURITY-DCRGQL-STATUS",
       "Setting an inactive client active answers success but the client stays inactive."),
    _d("graphql-revoked-tokens-stay-active", "REV-004", "CURITY-DCRGQL-REVOKE-S",
       "Revoking a client leaves the access tokens it already holds active at the resource."),
    # --- RFC 7009 / RFC 7662
    _d("revocation-not-effective", "REV-005 REV-008", "RFC7009-2.2",
       "Revocation answers 200 but the token stays active."),
    _d("revoked-refresh-token-still-works", "REV-005", "RFC7009-2.2",
       "Revoking a refresh token answers 200, but the refresh token keeps working."),
    _d("refresh-revocation-keeps-access-tokens", "REV-005", "RFC7009-2.1-S",
       "Revoking a refresh token leaves the access tokens of its grant active."),
    _d("revocation-unknown-token-400", "REV-006", "RFC7009-2.2",
       "Revoking an unknown token answers 400."),
    _d("revocation-cross-client", "REV-007", "RFC7009-2.1",
       "A client can revoke a token issued to another client."),
    _d("introspection-inactive-leaks-claims", "REV-008", "RFC7662-2.2-S",
       "Inactive and unknown tokens are introspected with client_id, scope and exp too."),
    _d("introspection-expired-active", "REV-008", "RFC7662-2.2",
       "Introspection answers active: true for expired tokens."),
    _d("introspection-unauthenticated", "REV-009", "RFC7662-2.1",
       "Introspection answers callers that did not authenticate."),
    # --- TLS, jwks_uri, RFC 8414 advice, redirect_uris, RFC 7592 unknown clients (issue 14)
    _d("tls-1.2-disabled", "META-006 REG-018", "RFC7591-5-b",
       "The listener accepts TLS 1.3 only: a handshake limited to TLS 1.2 is refused."),
    _d("tls-null-cipher-suites", "META-007", "RFC8414-6.1-c",
       "The listener also accepts suites without encryption (eNULL) or without authentication "
       "(aNULL), at OpenSSL security level 0."),
    _d("metadata-jwks-use-missing", "META-008", "RFC8414-2-e",
       "The JWK Set at jwks_uri holds a signing and an encryption key, the signing key without use."),
    _d("metadata-scopes-missing", "META-009", "RFC8414-2-f",
       "The metadata omits scopes_supported."),
    _d("metadata-rs256-missing", "META-010", "RFC8414-2-i",
       "token_endpoint_auth_signing_alg_values_supported does not list RS256."),
    _d("registration-drops-redirect-uris", "REG-019", "RFC7591-2-d",
       "A registration's redirect_uris are ignored: the client is registered without redirect URIs."),
    _d("management-unknown-client-403", "MGT-016 MGT-005 MGT-019", "RFC7592-2.1",
       "A registration access token used on a client that does not exist gets 403 (a live one is kept)."),
    _d("management-put-unknown-client-404", "MGT-017", "RFC7592-2.2-g",
       "PUT on a client that does not exist answers 404."),
    # --- token request rules, Bearer challenges, revocation hints (checks-token: TOK-019..022, USE-015..016, REV-010)
    _d("token-endpoint-over-plain-http", "TOK-019", "RFC6749-3.2-c",
       "The listener also serves plain HTTP on the same port, to the token endpoint only."),
    _d("token-blank-parameter-counted", "TOK-020", "RFC6749-3.2-e",
       "A token request parameter without a value counts as sent (an empty client_secret is a second "
       "authentication method, an empty client_id differs from the Basic user name)."),
    _d("token-scope-required", "TOK-021", "RFC6749-3.3-b",
       "A main client's token request without scope is refused with invalid_request (neither a default "
       "scope nor invalid_scope)."),
    _d("token-error-description-not-ascii", "TOK-022", "RFC6749-5.2-d",
       "Token error descriptions end with an em dash, a quoted phrase and a line feed."),
    _d("token-error-uri-malformed", "TOK-022", "RFC6749-5.2-e",
       "Token errors carry an error_uri with a space and a vertical bar."),
    _d("bearer-challenge-without-params", "USE-015", "RFC6750-3-c",
       "The registration and client configuration endpoints challenge with a bare WWW-Authenticate: Bearer."),
    _d("bearer-invalid-request-401", "USE-016", "RFC6750-3.1-c",
       "invalid_request at the registration and client configuration endpoints (two Authorization "
       "headers) is answered 401 instead of 400."),
    # --- RFC 6750 §3 challenge attributes, RFC 9449 §2 (checks-6750: USE-021..023, TOK-028, REV-015)
    _d("bearer-challenge-attribute-repeated", "USE-021", "RFC6750-3-d",
       "The registration and client configuration endpoints' Bearer challenges repeat realm (and error)."),
    _d("bearer-challenge-description-not-ascii", "USE-022", "RFC6750-3-i",
       "The error_description of the registration and client configuration endpoints' Bearer challenges "
       "holds non-ASCII letters (\u00e9, \u00e0) and an escaped quotation mark."),
    _d("bearer-challenge-error-without-token", "USE-023", "RFC6750-3.1-d",
       "A registration or client configuration request without any token is challenged with "
       "error=\"invalid_token\" and an error_description."),
    _d("dpop-token-over-plain-http", "TOK-028", "RFC9449-2",
       "The listener also serves plain HTTP on the same port, to DPoP token requests (a DPoP header) only."),
    _d("introspection-signature-not-verified", "REV-015", "RFC7662-4-f",
       "Introspection finds a JWT access token by its header and payload without validating the signature: "
       "a token whose signature was changed is active."),
    _d("revocation-hint-trusted", "REV-010", "RFC7009-2.1-c",
       "Revocation searches only the token type token_type_hint names: a token of the other type is "
       "answered 200 and stays active."),
    _d("introspection-trusts-hint", "REV-013", "RFC7662-2.1-c",
       "Introspection with token_type_hint=refresh_token looks among refresh tokens only."),
    _d("introspection-any-client", "REV-014", "RFC7662-4-S",
       "Any authenticated client can introspect any token: a dynamic client sees another client's token active."),
)

DEFECTS: dict[str, Defect] = {d.name: d for d in _ALL}
assert len(DEFECTS) == len(_ALL), "duplicate defect name"

#: Conformant variants a defect cannot be combined with, because both change the same answer (the
#: self-test's defect x variant column, :mod:`.combinations`): defect -> {variant: why}. Also
#: declarable per variant (:data:`conformance.server.variants.DEFECT_CONFLICTS`).
VARIANT_CONFLICTS: dict[str, dict[str, str]] = {
    "token-error-description-not-ascii": {
        "error-description-omitted": "the variant removes the error_description whose characters the defect breaks",
    },
    "token-error-uri-malformed": {
        "error-extra-members": "both set the error answers' error_uri: the variant's well-formed one replaces "
                               "the defect's",
    },
    "bearer-challenge-description-not-ascii": {
        "bearer-challenge-minimal": "the variant removes the challenges' error_description whose characters the "
                                    "defect breaks",
    },
    "unknown-client-write-keeps-token": {
        "management-unknown-client-token-kept": "the same behaviour: the variant keeps the token too (a SHOULD "
                                                "not followed, which it declares as its expected findings)",
    },
    "introspection-signature-not-verified": {
        "access-tokens-opaque": "with opaque access tokens there is no signature to alter (DCR-REV-015 is not "
                                "applicable)",
    },
    "introspection-token-type-bearer": {
        "introspection-minimal": "the variant omits token_type, the member the defect gets wrong",
    },
    "metadata-jwks-use-missing": {
        "metadata-jwks-signing-only": "with signing keys only, RFC 8414 §2 requires no use member: the key "
                                      "set the defect breaks is not published",
    },
    "metadata-scopes-missing": {
        "metadata-scopes-partial": "both set scopes_supported: the variant's partial list replaces the member "
                                   "the defect removes",
    },
    "tls-1.2-disabled": {
        "tls-1.2-only": "both set the listener's TLS versions: the variant allows TLS 1.2 only, the defect "
                        "refuses it, so together no handshake succeeds and nothing can be judged",
    },
    "dpop-jkt-ignored": {
        "dpop-jkt-checked-at-authorization": "both decide where a dpop_jkt that does not match is refused: "
                                             "with the variant the authorization request refuses it before a "
                                             "code exists, so the token endpoint's check the defect removes is "
                                             "never reached",
    },
}


class ActiveDefects:
    """Which defect (at most one) is switched on; ``on(name)`` refuses names not catalogued."""

    def __init__(self, name: str | None = None) -> None:
        if name is not None and name not in DEFECTS:
            raise UnknownDefect(name)
        self.name = name

    def on(self, name: str) -> bool:
        if name not in DEFECTS:  # a typo in the server code must not silently disable a defect
            raise UnknownDefect(name)
        return self.name == name

    def __repr__(self) -> str:
        return f"ActiveDefects({self.name!r})"
