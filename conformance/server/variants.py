"""Conformant variants of the reference server: answers the RFCs allow that differ from its default.

The mirror of :mod:`.defects`. Each variant is a minimal, marked branch in the endpoint code::

    if ctx.variants.on("revocation-foreign-token-200"):  # VARIANT: 200, the token stays active
        ...

or a reshaping of every answer (:mod:`.reshape`). Unlike defects, several variants can be on at
once; the pairs in :data:`INCOMPATIBLE` cannot. ``section`` and ``words`` quote the RFC text that
allows the variant, ``default`` and ``instead`` say what the reference server answers without and
with it, and ``checks`` names the checks of docs/catalogue.md whose verdict it concerns: a conformant
suite passes every one of them with the variant on. Where the variant is an answer a SHOULD
discourages (``expires_in`` omitted: RECOMMENDED), ``findings`` names the warnings it must produce
(check, requirement, the RFC's words) and nothing else: a SHOULD finding is the correct verdict.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Variant", "ExpectedFinding", "VARIANTS", "INCOMPATIBLE", "DEFECT_CONFLICTS", "ActiveVariants", "UnknownVariant",
           "IncompatibleVariants", "compatible_groups", "expected_findings"]


@dataclass(frozen=True)
class ExpectedFinding:
    """A SHOULD finding a variant makes a check report: a warning, never a failure."""

    check: str  # the check that reports it, e.g. "DCR-TOK-001"
    requirement: str  # the requirement id the finding names (conformance.requirements)
    words: str  # the RFC's words that make it a SHOULD, quoted


@dataclass(frozen=True)
class Variant:
    name: str
    section: str  # where the words are written, e.g. "RFC 7009 §2.2"
    words: str  # the RFC text that allows it, quoted
    default: str  # the reference server's default answer
    instead: str  # what it answers with the variant on
    checks: tuple[str, ...]
    findings: tuple[ExpectedFinding, ...] = ()  # the SHOULD warnings it must produce, and only those


class UnknownVariant(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(f"unknown variant {name!r}; known: {', '.join(sorted(VARIANTS))}")


class IncompatibleVariants(ValueError):
    def __init__(self, first: str, second: str) -> None:
        super().__init__(f"variants {first!r} and {second!r} cannot be combined")


def _id(check: str) -> str:
    return check if check.startswith("DCR-") else f"DCR-{check}"


def _v(name: str, section: str, words: str, default: str, instead: str, checks: str,
       findings: tuple[tuple[str, str, str], ...] = ()) -> Variant:
    return Variant(name, section, words, default, instead, tuple(_id(c) for c in checks.split()),
                   tuple(ExpectedFinding(_id(check), requirement, text) for check, requirement, text in findings))


_EXPIRES_IN_WORDS = ('RFC 6749 §5.1: expires_in "RECOMMENDED. The lifetime in seconds of the access token." '
                     '(a SHOULD-level member: its absence is a warning, not a failure)')


_TOKEN_KEPT_WORDS = ('RFC 7592 §2.1–§2.3: "the registration access token used to make this request SHOULD be '
                     'immediately revoked": keeping it is a SHOULD finding, never a failure')

_ALL = (
    # --- RFC 6749 token endpoint (steps 1 and 3)
    _v("token-expires-in-omitted", "RFC 6749 §5.1",
       'expires_in "RECOMMENDED. [...] If omitted, the authorization server SHOULD provide the '
       'expiration time via other means or document the default value."',
       "token responses carry expires_in",
       "token responses omit expires_in (the lifetime is documented: 300 s)",
       "TOK-001 USE-001 USE-012",
       # the checks that own the token response (RFC6749-5.1) report it; DCR-USE-012 judges the code
       # flow's binding, not the token response's members, and no check that only uses a token warns
       findings=(("TOK-001", "RFC6749-5.1", _EXPIRES_IN_WORDS), ("USE-001", "RFC6749-5.1", _EXPIRES_IN_WORDS))),
    _v("token-scope-omitted-when-identical", "RFC 6749 §5.1",
       'scope "OPTIONAL, if identical to the scope requested by the client; otherwise, REQUIRED."',
       "token responses always carry scope",
       "scope is omitted when the granted scope is exactly the requested one",
       "TOK-001 TOK-006 USE-001 USE-011"),
    _v("token-type-lowercase", "RFC 6749 §5.1, §7.1",
       'token_type "REQUIRED. The type of the token issued as described in Section 7.1. Value is '
       'case insensitive."',
       'token_type "Bearer" or "DPoP"',
       'token_type "bearer" or "dpop"',
       "TOK-001 USE-001 USE-012"),
    _v("token-scope-narrowed", "RFC 6749 §3.3",
       '"The authorization server MAY fully or partially ignore the scope requested by the client, '
       'based on the authorization server policy or the resource owner\'s instructions. If the '
       'issued access token scope is different from the one requested by the client, the '
       'authorization server MUST include the "scope" response parameter"',
       "a requested scope the client may not get is 400 invalid_scope (unauthorized_client for "
       "the attested HAAPI scope)",
       "such scopes are dropped and the token carries what remains (the client's default scopes "
       "when nothing remains), the scope member saying so",
       "TOK-006 TOK-007 USE-009 USE-011 REG-009 MGT-013"),
    _v("invalid-client-400-without-authorization-header", "RFC 6749 §5.2",
       'invalid_client: "The authorization server MAY return an HTTP 401 (Unauthorized) status '
       'code to indicate which HTTP authentication schemes are supported. If the client attempted '
       'to authenticate via the "Authorization" request header field, the authorization server '
       'MUST respond with an HTTP 401 (Unauthorized) status code"',
       "every failed client authentication is 401 invalid_client with WWW-Authenticate: Basic",
       "a failure without an Authorization header (client_secret_post, JWT assertions, mTLS) is "
       "400 invalid_client without WWW-Authenticate, at the token and revocation endpoints "
       "(introspection keeps 401: RFC 7662 §2.3)",
       "TOK-008 TOK-009 TOK-010 TOK-012 TOK-013 TOK-014 TOK-015 TOK-016 USE-010 MGT-002 MGT-011 "
       "FUZZ-002"),
    _v("registered-auth-method-only", "RFC 6749 §2.3.1; RFC 7591 §2",
       'RFC 6749 §2.3.1: "Including the client credentials in the request-body using the two '
       'parameters is NOT RECOMMENDED and SHOULD be limited to clients unable to directly utilize '
       'the HTTP Basic authentication scheme"; RFC 7591 §2: token_endpoint_auth_method "String '
       'indicator of the requested authentication method for the token endpoint."',
       "a client with a secret may use client_secret_basic or client_secret_post (Curity's "
       "basic-and-form-post)",
       "a client authenticates only by its registered (configured) method; the other secret "
       "method is 401 invalid_client",
       "TOK-003 TOK-004 TOK-005 USE-010 REV-005 REV-007 MGT-002"),
    _v("assertion-jti-optional", "RFC 7523 §3",
       'item 7: "The JWT MAY contain a "jti" (JWT ID) claim that provides a unique identifier for '
       'the token. The authorization server MAY ensure that JWTs are not replayed by maintaining '
       'the set of used "jti" values"',
       "a client assertion without jti is 401 invalid_client",
       "an assertion without jti is accepted (one with a jti is still refused when replayed)",
       "TOK-009 TOK-010 TOK-011 TOK-012 FUZZ-002"),
    # --- answers as a whole (every endpoint, :mod:`.reshape`)
    _v("cache-control-extra-directives", "RFC 6749 §5.1; RFC 9111 §5.2",
       'RFC 6749 §5.1: "The authorization server MUST include the HTTP "Cache-Control" response '
       'header field [RFC2616] with a value of "no-store" in any response containing tokens, '
       'credentials, or other sensitive information"; RFC 9111 §5.2: "Cache-Control = '
       '#cache-directive" (a list)',
       "Cache-Control: no-store",
       "Cache-Control: no-cache, no-store, max-age=0, must-revalidate",
       "TOK-002 USE-001 REG-002"),
    _v("json-content-type-charset", "RFC 8259 §11",
       '"No "charset" parameter is defined for this registration. Adding one really has no effect '
       'on compliant recipients."',
       "Content-Type: application/json",
       "Content-Type: application/json;charset=UTF-8 (as Curity answers)",
       "META-001 TOK-001 REG-001 REG-014 MGT-001 REV-008"),
    _v("json-members-reordered", "RFC 8259 §4",
       '"JSON parsing libraries have been observed to differ as to whether or not they make the '
       'ordering of object members visible to calling software. Implementations whose behavior '
       'does not depend on member ordering will be interoperable"',
       "members in the order the code builds them",
       "the members of every JSON object answered in reverse order",
       "META-001 META-002 META-003 TOK-001 REG-003 MGT-001 MGT-006 REV-008"),
    _v("error-extra-members", "RFC 6749 §5.2, §8.2",
       'RFC 6749 §5.2: error_uri "OPTIONAL. A URI identifying a human-readable web page with '
       'information about the error"; §8.2: "New request or response parameters for use with the '
       'authorization endpoint or the token endpoint are defined and registered in the OAuth '
       'Parameters registry"',
       'error bodies hold error and error_description',
       "error bodies also hold error_uri and a vendor trace_id",
       "TOK-004 TOK-006 TOK-007 TOK-008 TOK-010 REG-009 REG-010 REG-012 REG-013 REG-014 REG-015 "
       "REG-016 USE-002 USE-003 USE-004 USE-010 MGT-009 MGT-011 REV-009 TOK-022"),
    _v("error-description-omitted", "RFC 6749 §5.2; RFC 7591 §3.2.2",
       'error_description "OPTIONAL. Human-readable ASCII [USASCII] text providing additional '
       'information" (RFC 6749 §5.2; RFC 7591 §3.2.2 likewise)',
       "error bodies hold error_description",
       "error bodies hold only error",
       "TOK-004 TOK-006 TOK-008 TOK-010 REG-009 REG-010 REG-012 REG-013 REG-014 REG-015 REG-016 "
       "USE-002 USE-003 USE-010 MGT-009 REV-009 TOK-022"),
    _v("bearer-challenge-minimal", "RFC 6750 §3",
       '"A "realm" attribute MAY be included to indicate the scope of protection"; "the resource '
       'server MAY include the "error_description" attribute"',
       'WWW-Authenticate: Bearer realm="dcr-conformance", error="...", error_description="..."',
       "Bearer challenges without realm and error_description (the realm alone when there is no "
       "error code: the scheme MUST be followed by one or more auth-param values)",
       "REG-006 REG-008 MGT-003 MGT-014 USE-005 USE-006 USE-015 USE-016"),
    # --- RFC 8414 / RFC 8705 metadata
    _v("metadata-extra-members", "RFC 8414 §2",
       '"Additional authorization server metadata parameters MAY also be used."',
       "the metadata names the endpoints and capabilities the suite uses",
       "the metadata also holds service_documentation, ui_locales_supported, "
       "claims_parameter_supported and a vendor member",
       "META-001 META-002 META-003 META-004"),
    _v("metadata-mtls-aliases-omitted", "RFC 8705 §5",
       'mtls_endpoint_aliases "OPTIONAL. A JSON object containing alternative authorization server '
       'endpoints that, when present, an OAuth client intending to do mutual TLS uses in '
       'preference to the conventional endpoints."',
       "mtls_endpoint_aliases and tls_client_certificate_bound_access_tokens are published",
       "neither is published (mutual TLS works on the conventional endpoints)",
       "META-003 TOK-013 TOK-014 TOK-015 TOK-016"),
    # --- RFC 7591 registration
    _v("registration-extra-server-members", "RFC 7591 §3.2.1",
       '"Additionally, the authorization server MUST return all registered metadata about the '
       'client, including any fields provisioned by the authorization server itself."',
       "the client information holds the requested and template metadata",
       "it also holds server-provisioned members: application_type, "
       "id_token_signed_response_alg, a vendor member",
       "REG-003 MGT-001 MGT-006 FUZZ-001"),
    _v("registration-scope-narrowed", "RFC 7591 §3.2.1",
       '"The authorization server MAY reject or replace any of the client\'s requested metadata '
       'values submitted during the registration and substitute them with suitable values."',
       "a scope beyond the template is 400 invalid_client_metadata",
       "the scope is narrowed to its part within the template (the template's scope when nothing "
       "remains); also on RFC 7592 PUT",
       "REG-012 MGT-009 FUZZ-001 FUZZ-003"),
    _v("registration-grant-types-replaced", "RFC 7591 §3.2.1",
       '"The authorization server MAY reject or replace any of the client\'s requested metadata '
       'values submitted during the registration and substitute them with suitable values."',
       "grant_types or response_types beyond the template are 400 invalid_client_metadata",
       "values beyond the template are dropped (the template's values when nothing remains); also "
       "on RFC 7592 PUT",
       "REG-013 MGT-009 FUZZ-001 FUZZ-003"),
    # issue 14: RFC 7591 §2.1 consistency made by replacing; RFC 7592 §2.2 invalid values replaced
    _v("registration-types-made-consistent", "RFC 7591 §2.1, §3.2.1",
       'RFC 7591 §2.1: "a server supporting these fields SHOULD take steps to ensure that a client '
       'cannot register itself into an inconsistent state, for example, by returning an '
       '"invalid_client_metadata" error response"; §3.2.1: "The authorization server MAY reject or '
       'replace any of the client\'s requested metadata values"',
       "grant_types and response_types that contradict each other are 400 invalid_client_metadata",
       "the response types are replaced by those the grant types go with (also on RFC 7592 PUT)",
       "REG-020 FUZZ-001 FUZZ-003"),
    _v("update-invalid-types-replaced", "RFC 7592 §2.2",
       '"For all metadata fields, the authorization server MAY replace any invalid values with '
       'suitable default values, and it MUST return any such fields to the client in the response."',
       "a PUT whose grant_types or response_types is not an array of strings is 400 "
       "invalid_client_metadata",
       "the template's value replaces it, and the 200 returns it",
       "MGT-018 FUZZ-003"),
    _v("registration-inert-redirect-uris", "RFC 7591 §2, §3.2.1",
       'RFC 7591 §2: redirect_uris "Array of redirection URI strings for use in redirect-based '
       'flows such as the authorization code and implicit flows."; §3.2.1: "The authorization '
       'server MAY reject or replace any of the client\'s requested metadata values"',
       "a redirect URI the template does not list is 400 invalid_redirect_uri",
       "it is stored, and the client gets no authorization_code grant and no response_types, so "
       "the URI can never be redirected to",
       "REG-013 MGT-009 FUZZ-001 FUZZ-003"),
    _v("registration-device-jwks-binds-key", "RFC 7591 §2, §3.2.1",
       'RFC 7591 §2: jwks "Client\'s JSON Web Key Set [RFC7517] document value, which contains the '
       'client\'s public keys."; §3.2.1: "The authorization server MAY reject or replace any of the '
       'client\'s requested metadata values"',
       "a jwks on a template whose method is a secret is ignored (the client gets a secret)",
       "the client is registered as private_key_jwt bound to that jwks, without a secret",
       "REG-002 FUZZ-001"),
    _v("registration-issued-at-omitted", "RFC 7591 §3.2.1",
       'client_id_issued_at "OPTIONAL. Time at which the client identifier was issued."',
       "the client information holds client_id_issued_at",
       "it is omitted",
       "REG-002"),
    _v("registration-secret-expires", "RFC 7591 §3.2.1",
       'client_secret_expires_at "REQUIRED if "client_secret" is issued. Time at which the client '
       'secret will expire or 0 if it will not expire."',
       "client_secret_expires_at is 0",
       "client_secret_expires_at is one year after the secret was issued",
       "REG-002 MGT-001"),
    _v("registration-rat-expires-in-omitted", "RFC 7592 §3",
       '"registration_access_token REQUIRED. String containing the access token to be used at the '
       'client configuration endpoint" (no lifetime member is defined)',
       "the client information holds Curity's registration_access_token_expires_in",
       "it is omitted",
       "REG-005"),
    _v("initial-token-consumed-on-rejection", "RFC 7591 §3",
       '"The method by which the initial access token is verified and validated by the '
       'authorization server is out of scope for this specification."',
       "a registration refused for its metadata leaves the initial token unused",
       "any registration attempt with a valid initial token consumes it, refused or not",
       "REG-010 REG-011 REG-012 REG-013 REG-014 REG-015 REG-016 FUZZ-001 FUZZ-003"),
    _v("registration-missing-scope-401", "RFC 6750 §3.1",
       'insufficient_scope: "The resource server SHOULD respond with the HTTP 403 (Forbidden) '
       'status code and MAY include the "scope" attribute with the scope necessary to access the '
       'protected resource."',
       "a token without dcr is 403 insufficient_scope",
       "it is 401 with WWW-Authenticate: Bearer error=\"insufficient_scope\", scope=\"dcr\"",
       "REG-009 TOK-006"),
    # --- RFC 7592 management
    _v("management-uri-query", "RFC 7592 §2, §3",
       'RFC 7592 §3: registration_client_uri "REQUIRED. String containing the fully qualified URL '
       'of the client configuration endpoint for this client."; §2: "The location of this '
       'endpoint is communicated to the client through the "registration_client_uri" member"',
       "registration_client_uri is REGISTRATION_ENDPOINT/<client_id>",
       "registration_client_uri is REGISTRATION_ENDPOINT?client_id=<client_id> (both forms are "
       "served)",
       "REG-005 MGT-001 MGT-003 MGT-004 MGT-005 MGT-006 MGT-010 MGT-011 FUZZ-003"),
    _v("rotate-on-put-only", "RFC 7592 §2.1, §2.2",
       '"Some values in the response, including the "client_secret" and '
       '"registration_access_token", MAY be different from those in the initial registration '
       'response."',
       "GET and PUT both return a new client_secret and registration access token",
       "GET returns the client without rotating (the presented token echoed, no secret); PUT "
       "rotates; the profile claims rotates_credentials_on_read = false",
       "MGT-001 MGT-002 MGT-006 MGT-008 FUZZ-003"),
    _v("rotate-token-only", "RFC 7592 §2.1",
       '"If the authorization server includes a new client secret and/or registration access '
       'token in its response, the client MUST immediately discard its previous client secret '
       'and/or registration access token."',
       "GET and PUT rotate the client_secret and the registration access token",
       "only the registration access token rotates; the secret stays and is not returned",
       "MGT-001 MGT-002 MGT-006 MGT-008 FUZZ-003"),
    _v("management-foreign-token-403", "RFC 7592 §2.1",
       '"If the client does not have permission to read its record, the server MUST return an '
       'HTTP 403 Forbidden."',
       "another client's registration access token is 401 invalid_token",
       "it is 403 Forbidden (the token is valid, for another client)",
       "MGT-004 FUZZ-003"),
    # --- RFC 7009 / RFC 7662
    _v("revocation-foreign-token-200", "RFC 7009 §2.2",
       '"The authorization server responds with HTTP status code 200 if the token has been revoked '
       'successfully or if the client submitted an invalid token. Note: invalid tokens do not cause '
       'an error response since the client cannot handle such an error in a reasonable way."',
       "revoking another client's token is 400 unauthorized_client",
       "it is 200 and the other client's token stays active",
       "REV-007"),
    _v("revocation-json-body", "RFC 7009 §2.2",
       '"The content of the response body is ignored by the client as all necessary information '
       'is conveyed in the response code."',
       "a revocation answers 200 with an empty body",
       'it answers 200 with the JSON body {"revoked": true}',
       "REV-005 REV-006 REV-007 MGT-012"),
    _v("introspection-minimal", "RFC 7662 §2.2",
       'every member but active is OPTIONAL: "scope OPTIONAL", "client_id OPTIONAL", "token_type '
       'OPTIONAL", "iat OPTIONAL", "sub OPTIONAL", "iss OPTIONAL"',
       "an active token's answer holds scope, client_id, token_type, exp, iat, sub, iss (and cnf)",
       "it holds only active, scope, client_id, exp (and cnf for a DPoP-bound token, RFC 9449 "
       "§6.2)",
       "TOK-017 USE-013 USE-017 REV-005 REV-008 MGT-012"),
    _v("introspection-extra-members", "RFC 7662 §2.2",
       '"Specific implementations MAY extend this structure with their own service-specific '
       'response names as top-level members of this JSON object."',
       "an active token's answer holds the members RFC 7662 names",
       "it also holds aud, nbf, jti and a vendor member",
       "TOK-017 USE-013 REV-008"),
    _v("access-tokens-opaque", "RFC 6749 §1.4",
       '"Access tokens can have different formats, structures, and methods of utilization (e.g., '
       'cryptographic properties) based on the resource server security requirements."',
       "client_credentials access tokens are JWTs signed with ES256 by the key jwks_uri publishes (RFC 9068 "
       "claims); one whose signature was changed introspects as active false",
       "they are opaque random strings (nothing signed: DCR-REV-015 is not applicable)",
       "REV-015 TOK-001 USE-001 REV-008"),
    # --- RFC 9449 details: nonces and dpop_jkt
    _v("token-unknown-nonce-invalid-proof", "RFC 9449 §4.3, §5",
       '§4.3: "If the server provided a nonce value to the client, the nonce claim matches the '
       'server-provided nonce value."; §5: "If the DPoP proof is invalid, the authorization server '
       'issues an error response per Section 5.2 of [RFC6749] with invalid_dpop_proof as the value '
       'of the error parameter."',
       "a token request whose proof carries a nonce the server never issued is 400 use_dpop_nonce",
       "it is 400 invalid_dpop_proof (a nonce of its own that expired stays use_dpop_nonce)",
       "TOK-026 USE-003 USE-004"),
    _v("dpop-jkt-checked-at-authorization", "RFC 9449 §10.1",
       '"If both mechanisms are used at the same time, the authorization server MUST reject the '
       'request if the JWK Thumbprint in dpop_jkt does not match the public key in the DPoP header." '
       "(said of pushed authorization requests; a HAAPI authorization request carries a DPoP "
       "proof as such a request may)",
       "an authorization request's dpop_jkt binds the code; a code exchange with a proof by "
       "another key is 400 invalid_grant",
       "an authorization request whose dpop_jkt is not the key of its own DPoP proof is refused "
       "(error-authorization-response, invalid_request)",
       "TOK-027 USE-012"),
    _v("www-authenticate-one-field-line", "RFC 9110 §5.3; RFC 9449 §7.2",
       'RFC 9110 §5.3: "A recipient MAY combine multiple field lines within a field section that '
       'have the same field name into one field line, without changing the semantics of the '
       'message, by appending each subsequent field line value to the initial field line value in '
       'order, separated by a comma (",") and optional whitespace"; RFC 9449 §7.2, Figure 17: '
       '"WWW-Authenticate: Bearer, DPoP algs="ES256 PS256""',
       "several challenges (the resource's DPoP and Bearer) are sent as several WWW-Authenticate "
       "field lines",
       "they are sent as one field line, comma-separated",
       "USE-019"),
    # --- code flow (RFC 6749 §6) and transport
    _v("refresh-token-not-rotated", "RFC 6749 §6",
       '"The authorization server MAY issue a new refresh token, in which case the client MUST '
       'discard the old refresh token and replace it with the new refresh token."',
       "each refresh answers a new refresh token and retires the old one",
       "a refresh answers no refresh token; the one presented stays valid",
       "USE-012 MGT-012 REV-005"),
    _v("plain-http-redirect", "RFC 7591 §3; RFC 6749 §3.2",
       'RFC 6749 §3.2: "the authorization server MUST require the use of TLS as described in '
       'Section 1.6 when sending requests to the token endpoint"; RFC 7591 §3: "The client '
       'registration endpoint MUST be protected by a transport-layer security mechanism"',
       "a plain-HTTP request is answered 400 without being read",
       "it is answered 301 to the https base URL without being read",
       "REG-017 TOK-019"),
    # --- TLS, jwks_uri, scopes_supported, redirect_uris, RFC 7592 unknown clients (issue 14)
    _v("tls-1.2-only", "RFC 7591 §5; RFC 8414 §6.1",
       'RFC 7591 §5: "The server MUST support TLS 1.2 [RFC5246] and MAY support additional '
       'transport-layer security mechanisms meeting its security requirements."; RFC 8414 §6.1: '
       '"The authorization server MUST support TLS version 1.2 [RFC5246] and MAY support '
       'additional TLS mechanisms meeting its security requirements."',
       "TLS 1.2 and TLS 1.3",
       "TLS 1.2 only: every connection of the run negotiates TLS 1.2",
       "META-006 META-007 REG-018"),
    _v("metadata-jwks-signing-only", "RFC 8414 §2",
       'jwks_uri: "The JWK Set MAY also contain the server\'s encryption key or keys, which are '
       'used by clients to encrypt requests to the server. When both signing and encryption keys '
       'are made available, a "use" (public key use) parameter value is REQUIRED for all keys"',
       "the JWK Set holds a signing and an encryption key, each with use",
       "it holds the signing key only, without use",
       "META-008"),
    _v("metadata-scopes-partial", "RFC 8414 §2",
       'scopes_supported: "Servers MAY choose not to advertise some supported scope values even '
       'when this parameter is used."',
       "scopes_supported lists dcr, openid and the HAAPI scope",
       "it lists openid only",
       "META-009"),
    _v("registration-redirect-uris-from-template", "RFC 7591 §3.2.1",
       '"The authorization server MAY reject or replace any of the client\'s requested metadata '
       'values submitted during the registration and substitute them with suitable values."',
       "requested redirect_uris within the template are registered as asked",
       "the template's whole list of redirect URIs is registered instead (also on RFC 7592 PUT)",
       "REG-019 REG-013 FUZZ-001"),
    _v("management-unknown-client-token-kept", "RFC 7592 §2.1",
       '"If the client does not exist on this server, the server MUST respond with HTTP 401 '
       'Unauthorized and the registration access token used to make this request SHOULD be '
       'immediately revoked."',
       "a registration access token used on a client that does not exist is revoked (401)",
       "it is kept (401 all the same; also after a PUT or DELETE): the SHOULD not followed, which "
       "DCR-MGT-016, -019 and -020 report as warnings",
       "MGT-016 MGT-019 MGT-020",
       findings=(("MGT-016", "RFC7592-2.1-b", _TOKEN_KEPT_WORDS), ("MGT-019", "RFC7592-2.3-c", _TOKEN_KEPT_WORDS),
                 ("MGT-020", "RFC7592-2.2-l", _TOKEN_KEPT_WORDS))),
    # --- token request rules (checks-token)
    _v("token-scope-omitted-invalid-scope", "RFC 6749 §3.3",
       '"If the client omits the scope parameter when requesting authorization, the authorization '
       'server MUST either process the request using a pre-defined default value or fail the '
       'request indicating an invalid scope."',
       "a main client's request without scope gets a token for the client's default scopes",
       "it is 400 invalid_scope (no default scope is defined for main clients)",
       "TOK-006 TOK-021"),
)

VARIANTS: dict[str, Variant] = {v.name: v for v in _ALL}
assert len(VARIANTS) == len(_ALL), "duplicate variant name"

#: Pairs that describe the same behaviour two ways and cannot both be on.
INCOMPATIBLE: frozenset[frozenset[str]] = frozenset(frozenset(pair) for pair in (
    ("rotate-on-put-only", "rotate-token-only"),
    ("introspection-minimal", "introspection-extra-members"),
))
assert all(name in VARIANTS for pair in INCOMPATIBLE for name in pair)

#: Defects a variant cannot be combined with, because both change the same answer (the self-test's
#: defect x variant column, :mod:`.combinations`): variant -> {defect: why}. Also declarable per
#: defect (:data:`conformance.server.defects.VARIANT_CONFLICTS`).
DEFECT_CONFLICTS: dict[str, dict[str, str]] = {
    "metadata-mtls-aliases-omitted": {
        "metadata-mtls-alias-relative": "both change the metadata's mtls_endpoint_aliases: the variant omits "
                                        "the member whose values the defect makes relative",
    },
    "rotate-on-put-only": {
        "rotation-old-credentials-still-valid": "both change what a read's rotation does: with the variant a "
                                                "read rotates nothing (the profile claims "
                                                "rotates_credentials_on_read = false), so there are no replaced "
                                                "credentials for the defect to keep alive, and DCR-MGT-002 is not "
                                                "claimed",
    },
}


def compatible_groups(names: Iterable[str] | None = None) -> list[tuple[str, ...]]:
    """Groups of mutually compatible variants covering ``names`` (default: every variant), fewest
    runs of all-at-once: the first group holds every name but the second member of each
    incompatible pair, the later groups the rest (first fit, in the order given)."""
    chosen = list(dict.fromkeys(VARIANTS if names is None else names))
    seconds = [sorted(pair)[1] for pair in sorted(INCOMPATIBLE, key=sorted) if pair <= set(chosen)]
    ordered = [n for n in chosen if n not in seconds] + [n for n in seconds if n in chosen]
    groups: list[list[str]] = []
    for name in ordered:
        home = next((g for g in groups if not any(frozenset((name, other)) in INCOMPATIBLE for other in g)), None)
        if home is None:
            groups.append([name])
        else:
            home.append(name)
    for group in groups:
        ActiveVariants(group)  # asserts compatibility
    return [tuple(group) for group in groups]


def expected_findings(names: Iterable[str]) -> dict[str, set[str]]:
    """``{check id: {requirement id}}``: the SHOULD findings the variants ``names`` must produce."""
    expected: dict[str, set[str]] = {}
    for name in names:
        for finding in VARIANTS[name].findings:
            expected.setdefault(finding.check, set()).add(finding.requirement)
    return expected


class ActiveVariants:
    """Which variants are switched on; ``on(name)`` refuses names not catalogued."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        chosen = tuple(dict.fromkeys(names))
        for name in chosen:
            if name not in VARIANTS:
                raise UnknownVariant(name)
        for pair in INCOMPATIBLE:
            if pair <= set(chosen):
                raise IncompatibleVariants(*sorted(pair))
        self.names = chosen

    def on(self, name: str) -> bool:
        if name not in VARIANTS:  # a typo in the server code must not silently disable a variant
            raise UnknownVariant(name)
        return name in self.names

    def __bool__(self) -> bool:
        return bool(self.names)

    def __repr__(self) -> str:
        return f"ActiveVariants({list(self.names)!r})"
