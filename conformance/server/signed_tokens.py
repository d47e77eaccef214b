"""Access tokens as signed JWTs (the RFC 9068 claims), ES256 with the signing key ``jwks_uri``
publishes (the ``access-tokens-opaque`` variant issues random strings instead: RFC 6749 §1.4 "Access
tokens can have different formats, structures, and methods of utilization"). The store keeps the
digest of the whole token, so a token whose signature was changed is not the token issued (RFC 7662
§4: the signature is validated), unless the ``introspection-signature-not-verified`` defect is on.
"""

from __future__ import annotations

import functools
import json
import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from .jose import b64url_encode

SIGNING_KID = "reference-sig-1"


@functools.cache
def private_key(purpose: str) -> ec.EllipticCurvePrivateKey:
    """A fresh EC P-256 key for ``purpose`` ("sig" or "enc"), the same for the process."""
    return ec.generate_private_key(ec.SECP256R1())


def public_jwk(purpose: str) -> dict:
    numbers = private_key(purpose).public_key().public_numbers()
    return {"kty": "EC", "crv": "P-256", "x": b64url_encode(numbers.x.to_bytes(32, "big")),
            "y": b64url_encode(numbers.y.to_bytes(32, "big")), "kid": f"reference-{purpose}-1"}


def _part(value: dict) -> str:
    return b64url_encode(json.dumps(value, separators=(",", ":")).encode())


def issue(issuer: str, client_id: str, scope: str, issued_at: int, expires_at: int, jkt: str | None) -> str:
    """``header.payload.signature``: an ``at+jwt`` (RFC 9068 §2) signed with ES256 (RFC 7518 §3.4)."""
    claims = {"iss": issuer, "sub": client_id, "aud": issuer, "client_id": client_id, "scope": scope,
              "iat": issued_at, "exp": expires_at, "jti": secrets.token_urlsafe(16)}
    if jkt:
        claims["cnf"] = {"jkt": jkt}  # RFC 9449 §6.1
    signing_input = f"{_part({'alg': 'ES256', 'typ': 'at+jwt', 'kid': SIGNING_KID})}.{_part(claims)}"
    r, s = decode_dss_signature(private_key("sig").sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256())))
    return f"{signing_input}.{b64url_encode(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def signing_input(token: str) -> str:
    """``header.payload`` of a compact JWS (the token itself when it has no dot)."""
    return token.rsplit(".", 1)[0]
