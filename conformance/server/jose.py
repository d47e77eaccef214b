"""The server's own minimal JOSE: compact JWS parsing and verification, JWKs, thumbprints.

Written separately from the client's JOSE code on purpose (docs/design.md): a bug on one side
must not hide itself by agreeing with the other. Only what the server verifies is here:
ES256, RS256, PS256 (RFC 7518 §3.3, §3.4, §3.5) and HS256 (§3.2).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

ASYMMETRIC_ALGS = ("ES256", "RS256", "PS256")
PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


class JoseError(ValueError):
    """A JWS or JWK that cannot be parsed or verified; the message says why (no secrets)."""


def b64url_decode(text: str) -> bytes:
    if not isinstance(text, str) or "=" in text:
        raise JoseError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise JoseError("not base64url") from exc


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class CompactJws:
    """A parsed (not yet verified) compact JWS with JSON-object header and payload."""

    header: dict
    claims: dict
    signing_input: bytes
    signature: bytes

    @property
    def alg(self) -> object:
        return self.header.get("alg")


def parse_compact(token: str) -> CompactJws:
    """Split and decode ``header.payload.signature`` (RFC 7515 §7.1); no verification."""
    if not isinstance(token, str) or len(token) > 16_384:
        raise JoseError("not a compact JWS")
    parts = token.split(".")
    if len(parts) != 3:
        raise JoseError("a compact JWS has three parts")
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
    except (ValueError, UnicodeDecodeError) as exc:
        raise JoseError("header or payload is not JSON") from exc
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise JoseError("header and payload must be JSON objects")
    signature = b64url_decode(parts[2])
    return CompactJws(header, claims, f"{parts[0]}.{parts[1]}".encode("ascii"), signature)


def has_critical_extensions(header: dict) -> bool:
    """True when the header has ``crit``: this server understands no JWS extension, so such a JWS
    is invalid (RFC 7515 §4.1.11)."""
    return "crit" in header


def verify(jws: CompactJws, alg: str, key: object) -> None:
    """Verify the signature of ``jws`` with ``key`` under ``alg``; raise JoseError if invalid.

    ``key`` is a public key object for the asymmetric algorithms, bytes for HS256.
    """
    data, sig = jws.signing_input, jws.signature
    try:
        if alg == "HS256":
            if not isinstance(key, bytes):
                raise JoseError("HS256 needs a shared secret")
            expected = hmac.new(key, data, hashlib.sha256).digest()
            if not hmac.compare_digest(expected, sig):
                raise JoseError("bad MAC")
        elif alg == "ES256":
            if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
                raise JoseError("ES256 needs a P-256 key")
            if len(sig) != 64:
                raise JoseError("ES256 signature must be 64 bytes")
            der = encode_dss_signature(int.from_bytes(sig[:32], "big"),
                                       int.from_bytes(sig[32:], "big"))
            key.verify(der, data, ec.ECDSA(hashes.SHA256()))
        elif alg in ("RS256", "PS256"):
            if not isinstance(key, rsa.RSAPublicKey) or key.key_size < 2048:
                raise JoseError(f"{alg} needs an RSA key of at least 2048 bits")
            pad = (padding.PKCS1v15() if alg == "RS256" else
                   padding.PSS(mgf=padding.MGF1(hashes.SHA256()),
                               salt_length=padding.PSS.DIGEST_LENGTH))
            key.verify(sig, data, pad, hashes.SHA256())
        else:
            raise JoseError("unsupported alg")
    except InvalidSignature as exc:
        raise JoseError("bad signature") from exc


def public_key_from_jwk(jwk: object) -> object:
    """The public key of an EC P-256 or RSA JWK (RFC 7518 §6); private members are refused."""
    if not isinstance(jwk, dict):
        raise JoseError("jwk must be an object")
    if PRIVATE_JWK_MEMBERS & jwk.keys():
        raise JoseError("jwk holds private key members")
    return _public_key_from_jwk(jwk)


def public_key_from_any_jwk(jwk: dict) -> object:
    """As :func:`public_key_from_jwk` but ignoring private members (only for defects)."""
    return _public_key_from_jwk(jwk)


def _int(jwk: dict, name: str) -> int:
    value = jwk.get(name)
    if not isinstance(value, str):
        raise JoseError(f"jwk member {name} missing")
    return int.from_bytes(b64url_decode(value), "big")


def _public_key_from_jwk(jwk: dict) -> object:
    kty = jwk.get("kty")
    try:
        if kty == "EC":
            if jwk.get("crv") != "P-256":
                raise JoseError("only P-256 EC keys")
            return ec.EllipticCurvePublicNumbers(_int(jwk, "x"), _int(jwk, "y"),
                                                 ec.SECP256R1()).public_key()
        if kty == "RSA":
            return rsa.RSAPublicNumbers(_int(jwk, "e"), _int(jwk, "n")).public_key()
    except ValueError as exc:  # point not on the curve, bad modulus
        raise JoseError("invalid key") from exc
    raise JoseError("unsupported kty")


def alg_fits_key(alg: str, key: object) -> bool:
    if alg == "ES256":
        return isinstance(key, ec.EllipticCurvePublicKey)
    if alg in ("RS256", "PS256"):
        return isinstance(key, rsa.RSAPublicKey)
    return False


def jwk_thumbprint(jwk: dict) -> str:
    """RFC 7638 SHA-256 thumbprint of an EC or RSA JWK (required members only)."""
    kty = jwk.get("kty")
    if kty == "EC":
        members = {"crv": jwk["crv"], "kty": "EC", "x": jwk["x"], "y": jwk["y"]}
    elif kty == "RSA":
        members = {"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}
    else:
        raise JoseError("unsupported kty")
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    return b64url_encode(hashlib.sha256(canonical).digest())


def load_public_pem(data: bytes) -> object:
    return serialization.load_pem_public_key(data)
