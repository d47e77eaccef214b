"""The requirement registry: every normative clause the suite checks, with its source.

One table feeds check ids, markers, Allure links, JUnit properties, the certification summary and
``docs/requirements.md``. Ids are ``<SPEC><NUMBER>-<SECTION>`` (``RFC7591-3.2.1``), as the OpenID
Foundation suite names its references; ``CURITY-*`` ids cite Curity's documented behaviour. A
suffix tells apart clauses of one section: ``-S`` its SHOULD, a word its other MUSTs
(``RFC6749-5.1-NOSTORE``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from conformance.inventory import STATEMENTS

MUST = "MUST"
SHOULD = "SHOULD"
LEVELS = (MUST, SHOULD)

_BASE_URLS = {
    "OIDC-CORE": "https://openid.net/specs/openid-connect-core-1_0.html#ClientAuthentication",
    "CURITY-DCR": "https://curity.io/resources/learn/using-dynamic-client-registration/",
    "CURITY-DCRM": "https://curity.io/resources/learn/dynamic-client-registration-management/",
    "CURITY-DCRGQL": "https://curity.io/docs/identity-server/profiles/token-profile/graphql/dcr-management-graphql-api",
    "CURITY-TEMPLATE": "https://curity.io/resources/learn/templatized-dcr/",
    "CURITY-HAAPI": "https://curity.io/docs/identity-server/developer-guide/haapi-sdks/concepts/token-binding",
    "CURITY-FALLBACK": "https://curity.io/resources/learn/implementing-haapi-fallback/",
}


@dataclass(frozen=True)
class Requirement:
    """One normative clause: where it is written, how strong it is, and what it says."""

    id: str
    level: str
    text: str

    def _parts(self) -> tuple[str, str]:
        match = _ID.match(self.id)
        assert match, f"malformed requirement id {self.id}"
        return match.group("doc"), match.group("section")

    @property
    def spec(self) -> str:
        doc = self._parts()[0]
        return f"RFC {doc[3:]}" if doc.startswith("RFC") else doc

    @property
    def section(self) -> str:
        return self._parts()[1]

    @property
    def url(self) -> str:
        doc, section = self._parts()
        if doc.startswith("RFC"):
            anchor = "appendix-" + section[3:] if section.startswith("App") else "section-" + section
            return f"https://www.rfc-editor.org/rfc/rfc{doc[3:]}#{anchor}"
        return _BASE_URLS[doc]


_ID = re.compile(r"^(?P<doc>RFC\d+|OIDC-CORE|CURITY-[A-Z]+)-(?P<section>[A-Z0-9.]+?)(?:-S)?(?:-[a-z])?(?:-[A-Z]+)?$")


def _table(*rows: tuple[str, str, str]) -> dict[str, Requirement]:
    table: dict[str, Requirement] = {}
    for rid, level, text in rows:
        assert rid not in table, f"duplicate requirement {rid}"
        assert level in LEVELS, f"{rid}: level {level}"
        table[rid] = Requirement(rid, level, text)
    return table


REQUIREMENTS: dict[str, Requirement] = _table(
    # RFC 8414, authorization server metadata
    ("RFC8414-2", MUST, "Metadata holds issuer and the endpoints; signing algs are listed for JWT auth methods and exclude none."),
    ("RFC8414-3.3", MUST, "The issuer in the metadata equals the issuer the well-known URL was built from."),
    ("RFC8705-5", MUST, "mtls_endpoint_aliases, when present, is a JSON object of absolute https URLs."),
    ("RFC9449-5.1", SHOULD, "dpop_signing_alg_values_supported lists asymmetric algorithms only."),
    # RFC 6749, the token endpoint
    ("RFC6749-2.3.1", MUST, "The AS supports HTTP Basic for secret clients, form-urlencoded before base64, and refuses more than one authentication method."),
    ("RFC6749-3.3", MUST, "The AS never issues a scope it does not grant; a scope that differs from the request is returned."),
    ("RFC6749-4.4.2", MUST, "A client_credentials request is made by an authenticated confidential client."),
    ("RFC6749-4.1.3", MUST, "The client a code was issued to exchanges it once, with the same redirect_uri and its PKCE verifier, for tokens."),
    ("RFC6749-6", MUST, "The client a refresh token was issued to refreshes it for a new access token."),
    ("RFC6749-4.4.3", SHOULD, "No refresh token is issued for the client_credentials grant."),
    ("RFC6749-5.1", MUST, "A token response is 200 JSON with access_token and token_type."),
    ("RFC6749-5.1-NOSTORE", MUST, 'The authorization server MUST include the HTTP "Cache-Control" response header field '
     'with a value of "no-store" in any response containing tokens, credentials, or other sensitive information, '
     'as well as the "Pragma" response header field with a value of "no-cache".'),
    ("RFC6749-5.2", MUST, "Token errors are 400 (401 with WWW-Authenticate after a failed Authorization header) with an RFC 6749 error code."),
    # RFC 7521 / 7523 / OIDC Core: JWT client assertions
    ("RFC7521-4.2", MUST, "client_assertion_type and one client_assertion are sent; a body client_id names the same client."),
    ("RFC7523-3", MUST, "The AS rejects assertions with a wrong iss/sub/aud, expired exp, no or a bad signature, or alg none."),
    ("OIDC-CORE-9", SHOULD, "A client assertion's jti is used once; a replay is rejected."),
    # RFC 8705: mutual TLS client authentication
    ("RFC8705-2", MUST, "The AS enforces the binding of client_id to the client certificate, and the client sends client_id."),
    ("RFC8705-2.2", MUST, "A self-signed client certificate authenticates only when it is the registered one."),
    # Curity's documented behaviour of the DCR fallback
    ("CURITY-DCR-SCOPE", MUST, "Only a token granted the dcr scope can register, and only clients named by a template get it."),
    ("CURITY-DCR-ONCE", MUST, "The initial registration token can only be used once, also under concurrency."),
    ("CURITY-HAAPI-BINDING", MUST, "A HAAPI client's code and refresh tokens are bound to its DPoP key: a proof by another key is refused."),
    ("CURITY-TEMPLATE-1", MUST, "A registration names a template the authenticated main client may use; others are refused."),
    # RFC 6750: bearer-protected registration and management endpoints
    ("RFC6750-3", MUST, "A 401 for a missing or invalid token carries WWW-Authenticate: Bearer."),
    ("RFC6750-3.1", SHOULD, "invalid_token is 401, insufficient_scope is 403 (SHOULD: RFC 6750 §3.1)."),
    # RFC 7591: registration
    ("RFC7591-2", MUST, "jwks and jwks_uri are never both accepted; unknown metadata is ignored."),
    ("RFC7591-3", MUST, "The registration endpoint accepts POSTed JSON and is served over TLS only."),
    ("RFC7591-3.2.1", MUST, "Success is 201 JSON with a unique client_id, its secret and expiry, and all registered metadata."),
    ("RFC7591-3.2.2", MUST, "Registration errors are 400 JSON with an error code from RFC 7591 that fits the fault."),
    ("RFC7591-3.2.1-S", SHOULD, "Registration responses carry Cache-Control: no-store; secrets are unique across instances."),
    # RFC 7592: management
    ("RFC7592-3", MUST, "The registration response holds registration_access_token and registration_client_uri."),
    ("RFC7592-2.1", MUST, "GET with the RAT returns the client; rotated values replace the old ones; other tokens get 401/403."),
    ("RFC7592-2.2", MUST, "PUT replaces the metadata; client_id must match; the client never chooses its secret or widens its grant."),
    ("RFC7592-2.3", MUST, "DELETE answers 204 and invalidates the client_id, the secret and the RAT."),
    ("RFC7592-2.3-S", SHOULD, "After DELETE the client's existing tokens stop working."),
    # RFC 9449: DPoP
    ("RFC9449-4.3", MUST, "The AS validates DPoP proofs: one header, typ, asymmetric alg, public jwk, signature, htm, htu, iat."),
    ("RFC9449-5", MUST, "A DPoP-bound token response has token_type DPoP; invalid proofs give invalid_dpop_proof."),
    ("RFC9449-7.1", MUST, "A resource accepts a DPoP-bound token only with a proof by the bound key and the right ath."),
    ("RFC7515-4.1.11", MUST, "A JWS whose crit header lists extensions the recipient does not understand is invalid."),
    ("RFC9449-9", MUST, "A resource requiring a nonce answers 401 use_dpop_nonce with a DPoP-Nonce; a proof with it is accepted."),
    ("RFC9449-8", MUST, "An AS requiring a nonce answers 400 use_dpop_nonce with exactly one DPoP-Nonce header."),
    # RFC 7009 / RFC 7662
    ("RFC7009-2.1", MUST, "Revocation checks the token was issued to the requesting client."),
    ("RFC7009-2.1-S", SHOULD, "Revoking a refresh token also invalidates the access tokens of the same grant."),
    ("RFC7009-2.2", MUST, "Revocation answers 200, also for an unknown token, and the token stops working."),
    ("RFC7662-2.1", MUST, "Introspection requires authorization of the caller; without it 401."),
    ("RFC7662-2.2", MUST, "Introspection answers active, and for an active token its scope and client_id."),
    ("RFC7662-2.2-S", SHOULD, "An inactive token is answered with {\"active\": false} and nothing else."),
    # Isolation of per-device clients
    ("CURITY-FALLBACK-ATTEST", MUST, "A main client configured for attestation gets the HAAPI scope only with attestation; the template's dynamic client gets it without."),
    ("CURITY-DCR-REVOKE", MUST, "Each dynamic client can be revoked individually without affecting the others."),
    # Curity DCR management extensions (client-management)
    ("CURITY-DCRM-MANAGER", MUST, "Only a configured management client gets the dcrm scope; its token reads and deletes any dynamic client."),
    ("CURITY-DCRM-RWTTL", MUST, "A registration access token older than read-write-ttl can no longer GET or PUT, but can still DELETE."),
    # Curity DCR management GraphQL API: client status active / inactive / revoked 
    ("CURITY-DCRGQL-REVOKE", MUST, "A dynamic client whose status is set to revoked can no longer authenticate: its token requests get invalid_client."),
    ("CURITY-DCRGQL-STATUS", MUST, "A dynamic client set to inactive cannot get tokens; set to active again, it can."),
    ("CURITY-DCRGQL-REVOKE-S", SHOULD, "The access tokens a client held before it was revoked stop working at the resource (RFC 7592 §2.3 by analogy)."),
)


def _with_inventory(table: dict[str, Requirement]) -> dict[str, Requirement]:
    """The registry grows into the inventory: every statement of :mod:`conformance.inventory` is a
    requirement a check may cite; an id already above keeps its summary text."""
    for statement in STATEMENTS.values():
        if statement.id not in table:
            table[statement.id] = Requirement(statement.id, statement.level, statement.words)
    return table


REQUIREMENTS = _with_inventory(REQUIREMENTS)


def requirement(rid: str) -> Requirement:
    """Look up a requirement id; an unknown id is a programming error in a check."""
    try:
        return REQUIREMENTS[rid]
    except KeyError:
        raise KeyError(f"unknown requirement id {rid!r}; add it to conformance/requirements.py") from None
