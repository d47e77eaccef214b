"""The JWK Set at the metadata's ``jwks_uri`` (RFC 8414 §2): when it holds signing and encryption
keys, every key says which it is (``use``)."""

from __future__ import annotations

from conformance.client.discovery import metadata_answer
from conformance.client.http import RequestSpec
from conformance.oracles.expect import expect, json_object, status_in
from conformance.oracles.failures import prerequisite
from conformance.oracles.metadata import metadata_document
from conformance.suite.check import check, not_applicable
from conformance.catalogue import allowed as ok, declare_answers, forbidden as no

_USE = ("RFC 8414 §2", "REQUIRED", "When both signing and encryption keys are made available, a \"use\" (public key "
        "use) parameter value is REQUIRED for all keys in the referenced JWK Set to indicate each key's intended "
        "usage.")

# The answers the specs allow and forbid, per check (rendered into docs/catalogue.md).
ANSWERS = declare_answers({
    "DCR-META-008": (
        ok("every key with use when the set holds both kinds", *_USE),
        ok("not applicable without jwks_uri, or with keys of one kind only (use not required)", "RFC 8414 §2",
           "OPTIONAL", "jwks_uri OPTIONAL. URL of the authorization server's JWK Set [JWK] document. ... The JWK Set "
           "MAY also contain the server's encryption key or keys"),
        no("signing and encryption keys, one of them without use", *_USE),
    ),
})

#: JWK "key_ops" values of encryption (RFC 7517 §4.3), and JWE key management algorithms (RFC 7518
#: §4.1) as a key's "alg": what marks a key without "use" as an encryption key.
_ENCRYPTION_OPS = frozenset({"encrypt", "decrypt", "wrapKey", "unwrapKey", "deriveKey", "deriveBits"})
_ENCRYPTION_ALG_PREFIXES = ("RSA1_5", "RSA-OAEP", "ECDH-ES", "A128KW", "A192KW", "A256KW", "A128GCMKW",
                            "A192GCMKW", "A256GCMKW", "PBES2", "dir")


def _encryption_key(jwk: dict) -> bool:
    """Whether the key is marked for encryption: its ``use``, else its ``key_ops``, else its ``alg``.
    Every other key counts as a signing key, which RFC 8414 §2 says the set contains ("the signing
    key(s) the client uses to validate signatures from the authorization server")."""
    if "use" in jwk:
        return jwk["use"] == "enc"
    ops = jwk.get("key_ops")
    if isinstance(ops, list) and ops:
        return bool(_ENCRYPTION_OPS & set(map(str, ops)))
    alg = jwk.get("alg")
    return isinstance(alg, str) and alg.startswith(_ENCRYPTION_ALG_PREFIXES)


@check("DCR-META-008", "RFC8414-2-e", per_profile=True, needs=("issuer",))
def test_jwks_keys_name_their_use(dcr_session, profile):
    """When the JWK Set at jwks_uri holds signing and encryption keys, every key has use."""
    ex = metadata_answer(dcr_session.transport, profile.server.issuer)
    with prerequisite():  # a broken document or JWK Set is no verdict on use
        doc = metadata_document(ex)
        if "jwks_uri" not in doc:
            not_applicable("no jwks_uri in the metadata (RFC 8414 §2: OPTIONAL)")
        uri = doc["jwks_uri"]
        expect(isinstance(uri, str) and uri.startswith("https://"), f"jwks_uri is {uri!r}",
               "an https URL (RFC 8414 §2)", ex)
        got = dcr_session.transport.send(
            RequestSpec("GET", uri, {"Accept": "application/jwk-set+json, application/json"}))
        status_in(got, 200, "GET jwks_uri")
        keys = json_object(got, "the JWK Set at jwks_uri").get("keys")
        expect(isinstance(keys, list) and all(isinstance(k, dict) for k in keys), f"keys is {keys!r}",
               "a JWK Set: keys, an array of JWK objects (RFC 7517 §5)", got)
    encryption = [k for k in keys if _encryption_key(k)]
    if not encryption or len(encryption) == len(keys):
        not_applicable(f"the JWK Set holds {len(keys)} key(s) of one kind only: use is not required")
    missing = [str(k.get("kid", f"key #{i + 1}")) for i, k in enumerate(keys) if "use" not in k]
    expect(not missing, f"the JWK Set holds signing and encryption keys, and {', '.join(missing)} has no use",
           'a "use" on every key (RFC 8414 §2: REQUIRED when both kinds are made available)', got)
