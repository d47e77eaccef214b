"""JWT client assertions (RFC 7523 §3) and DPoP proofs (RFC 9449 §4.2), verified with real keys."""

from __future__ import annotations

import base64
import hashlib
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from conformance.client import jose
from conformance.client.fields import OMIT
from conformance.client.jose import DpopKey, client_assertion, decode_unverified

AUD = "https://as.example/oauth/v2/oauth-token"


@pytest.fixture(scope="module")
def other_key():
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def dpop():
    return DpopKey.generate()


def verify(token, key, alg, audience=AUD):
    return jwt.decode(token, key, algorithms=[alg], audience=audience)


# -- keys -------------------------------------------------------------------------------------


def test_load_private_key_pem_and_jwk(pki):
    assert jose.load_private_key(pki.ec_key_path).private_numbers() == pki.ec_key.private_numbers()
    assert jose.load_private_key(pki.jwk_path).private_numbers() == pki.ec_key.private_numbers()
    assert jose.load_private_key(pki.rsa_key_path.read_text()).key_size == 2048


@pytest.mark.parametrize(
    "source, reason",
    [
        ('{"kty": "EC", "crv": "P-256", "x": "a", "y": "b"}', "public JWK"),
        ("{not json", "not valid JSON"),
        ("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "not a PEM private key"),
    ],
)
def test_load_private_key_errors(source, reason):
    with pytest.raises(ValueError, match=reason):
        jose.load_private_key(source)


def test_rfc7638_thumbprint_example():
    # RFC 7638 §3.1 example
    jwk = {
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29",
    }
    assert jose.jwk_thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


# -- client assertions ------------------------------------------------------------------------


def test_private_key_jwt_es256_claims_and_header(pki):
    before = int(time.time())
    token = client_assertion("main-jwt", pki.ec_key, "ES256", AUD, kid="k1")
    claims = verify(token, pki.ec_key.public_key(), "ES256")
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "ES256", "typ": "JWT", "kid": "k1"}
    assert claims["iss"] == claims["sub"] == "main-jwt"
    assert claims["aud"] == AUD
    assert before <= claims["iat"] <= int(time.time())
    assert claims["exp"] == claims["iat"] + 60
    assert len(claims["jti"]) >= 20


def test_jti_is_unique():
    token_a = client_assertion("c", "shared-secret-xyz-0123456789abcdefgh", "HS256", AUD)
    token_b = client_assertion("c", "shared-secret-xyz-0123456789abcdefgh", "HS256", AUD)
    assert decode_unverified(token_a)[1]["jti"] != decode_unverified(token_b)[1]["jti"]


@pytest.mark.parametrize("alg", ["RS256", "PS256"])
def test_private_key_jwt_rsa(pki, alg):
    token = client_assertion("main-rsa", pki.rsa_key, alg, AUD)
    assert verify(token, pki.rsa_key.public_key(), alg)["sub"] == "main-rsa"
    assert jwt.get_unverified_header(token)["alg"] == alg


def test_client_secret_jwt_hs256():
    token = client_assertion("main-hs", "the-shared-secret-of-32-bytes-or-more", "HS256", AUD)
    assert verify(token, "the-shared-secret-of-32-bytes-or-more", "HS256")["iss"] == "main-hs"
    with pytest.raises(jwt.InvalidSignatureError):
        verify(token, "another-secret-of-32-bytes-or-more!!", "HS256")


def test_claim_overrides_set_and_remove(pki):
    token = client_assertion("c", pki.ec_key, "ES256", AUD, sub="someone-else", jti=OMIT, exp=1000, nbf=5)
    _, claims = decode_unverified(token)
    assert claims["sub"] == "someone-else" and claims["iss"] == "c"
    assert "jti" not in claims and claims["exp"] == 1000 and claims["nbf"] == 5
    jwt.decode(token, pki.ec_key.public_key(), algorithms=["ES256"], options={"verify_exp": False}, audience=AUD)


def test_lifetime_and_now(pki):
    token = client_assertion("c", pki.ec_key, "ES256", AUD, lifetime_s=-300, now=1_700_000_000)
    _, claims = decode_unverified(token)
    assert claims["iat"] == 1_700_000_000 and claims["exp"] == 1_700_000_000 - 300


def test_header_overrides(pki):
    token = client_assertion("c", pki.ec_key, "ES256", AUD, kid="k1", header={"typ": OMIT, "kid": "other", "alg": "RS256"})
    assert jwt.get_unverified_header(token) == {"alg": "RS256", "kid": "other"}
    # still signed with ES256 underneath: verifying the bytes with the EC key works
    signing_input, _, sig = token.rpartition(".")
    jwt.get_algorithm_by_name("ES256").verify(signing_input.encode(), pki.ec_key.public_key(), jose.b64url_decode(sig))


def test_sign_with_another_key(pki, other_key):
    token = client_assertion("c", pki.ec_key, "ES256", AUD, sign_with=other_key)
    verify(token, other_key.public_key(), "ES256")
    with pytest.raises(jwt.InvalidSignatureError):
        verify(token, pki.ec_key.public_key(), "ES256")


def test_alg_none_is_unsigned(pki):
    token = client_assertion("c", pki.ec_key, "none", AUD)
    assert token.endswith(".")
    assert jwt.get_unverified_header(token)["alg"] == "none"
    assert jwt.decode(token, options={"verify_signature": False})["sub"] == "c"


def test_broken_signature(pki):
    token = client_assertion("c", pki.ec_key, "ES256", AUD, signature="broken")
    with pytest.raises(jwt.InvalidSignatureError):
        verify(token, pki.ec_key.public_key(), "ES256")


# -- DPoP proofs ------------------------------------------------------------------------------


def verify_proof(proof):
    header = jwt.get_unverified_header(proof)
    key = jwt.PyJWK(header["jwk"]).key
    return header, jwt.decode(proof, key, algorithms=["ES256"])


def test_dpop_key_public_jwk_and_thumbprint(dpop):
    jwk = dpop.public_jwk
    assert set(jwk) == {"kty", "crv", "x", "y"} and jwk["kty"] == "EC" and jwk["crv"] == "P-256"
    canonical = json.dumps({k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"))
    expected = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
    assert dpop.thumbprint == expected
    assert jose.private_jwk(dpop.private_key)["d"] not in repr(dpop) and dpop.thumbprint in repr(dpop)


def test_dpop_proof_header_and_claims(dpop):
    before = int(time.time())
    proof = dpop.proof("POST", "https://as.example/token?x=1#frag")
    header, claims = verify_proof(proof)
    assert header["typ"] == "dpop+jwt" and header["alg"] == "ES256"
    assert header["jwk"] == dpop.public_jwk and "d" not in header["jwk"]
    assert claims["htm"] == "POST" and claims["htu"] == "https://as.example/token"
    assert before <= claims["iat"] <= int(time.time())
    assert len(claims["jti"]) >= 20
    assert "ath" not in claims and "nonce" not in claims
    assert claims["jti"] != verify_proof(dpop.proof("POST", "https://as.example/token"))[1]["jti"]


def test_dpop_proof_nonce_and_ath(dpop):
    _, claims = verify_proof(dpop.proof("GET", "https://api.example/r", nonce="n-1", access_token="at-value"))
    assert claims["nonce"] == "n-1"
    digest = hashlib.sha256(b"at-value").digest()
    assert claims["ath"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_dpop_negative_typ_htm_htu_iat(dpop):
    _, claims = verify_proof(dpop.proof("GET", "https://other.example/x", iat_offset_s=-600, htu="https://raw?q=1"))
    assert claims["htm"] == "GET" and claims["htu"] == "https://raw?q=1"
    assert abs(claims["iat"] - (time.time() - 600)) < 5
    header, _ = verify_proof(dpop.proof("POST", "https://as.example/t", header={"typ": "JWT"}))
    assert header["typ"] == "JWT"


def test_dpop_negative_alg_none_and_hs256(dpop):
    none = dpop.proof("POST", "https://as.example/t", alg="none")
    assert none.endswith(".") and jwt.get_unverified_header(none)["alg"] == "none"
    hs = dpop.proof("POST", "https://as.example/t", alg="HS256", sign_with=b"k" * 32)
    assert jwt.get_unverified_header(hs)["alg"] == "HS256"
    jwt.decode(hs, b"k" * 32, algorithms=["HS256"])


def test_dpop_negative_private_jwk_bad_signature_other_key(dpop, other_key):
    header = jwt.get_unverified_header(dpop.proof("POST", "https://as.example/t", private_jwk_in_header=True))
    assert "d" in header["jwk"]
    with pytest.raises(jwt.InvalidSignatureError):
        verify_proof(dpop.proof("POST", "https://as.example/t", signature="broken"))
    with pytest.raises(jwt.InvalidSignatureError):
        verify_proof(dpop.proof("POST", "https://as.example/t", sign_with=other_key))


def test_dpop_remove_claim(dpop):
    _, claims = verify_proof(dpop.proof("POST", "https://as.example/t", jti=OMIT, iat=OMIT))
    assert "jti" not in claims and "iat" not in claims
