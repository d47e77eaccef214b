"""JOSE for the DCR client: key loading, JWT client assertions, DPoP proofs.

* :func:`client_assertion`: the ``client_secret_jwt`` / ``private_key_jwt`` assertion of
  RFC 7523 §3 and OIDC Core §9 (``iss`` = ``sub`` = client_id, ``aud``, ``exp``, ``iat``, random
  ``jti``).
* :class:`DpopKey`: an EC P-256 key and its DPoP proofs (RFC 9449 §4.2), public JWK and RFC 7638
  thumbprint.

Both accept overrides so a negative check is "the valid token with one mutation": set or remove
(:data:`~conformance.client.fields.OMIT`) claims, change header fields, sign with another key,
``alg="none"`` (an unsecured JWT, RFC 7519 §6) or ``signature="broken"``. The JWS is assembled here (RFC 7515 §7.1 compact
serialisation) so that no library "fixes" a deliberately wrong header; the signature itself is
computed by pyjwt's algorithm objects (ES256 as raw R||S, RFC 7518 §3.4).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import time
from base64 import urlsafe_b64decode, urlsafe_b64encode
from pathlib import Path
from typing import Any, Union
from urllib.parse import urlsplit, urlunsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from conformance.client.fields import OMIT, merged
from conformance.profile.keys import load_pem_private_key
from conformance.vocabulary import JWT_BEARER_ASSERTION_TYPE

PrivateKey = Union[ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey]

#: ``client_assertion_type`` for JWT client authentication (RFC 7523 §2.2).
ASSERTION_TYPE = JWT_BEARER_ASSERTION_TYPE
#: Algorithms each key type may sign with here (RFC 7518 §3.1).
KEY_ALGS = {"EC": ("ES256",), "RSA": ("RS256", "PS256")}
PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "k")


def b64url(data: bytes) -> str:
    """Base64url without padding (RFC 7515 §2)."""
    return urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sha256_b64url(text: str) -> str:
    """b64url(SHA-256(ASCII text)): DPoP ``ath`` (RFC 9449 §4.2)."""
    return b64url(hashlib.sha256(text.encode("ascii")).digest())


# -- keys ----------------------------------------------------------------------------------------


def load_private_key(source: str | bytes | Path) -> PrivateKey:
    """An EC or RSA private key from a PEM (PKCS#8, SEC1, PKCS#1) or a private JWK in JSON.

    ``source`` is a path, or the PEM / JSON text itself. Raises ``ValueError`` saying why not.
    """
    if isinstance(source, Path):
        data = source.read_bytes()
    elif isinstance(source, str):
        data = source.encode("utf-8")
    else:
        data = source
    if data.lstrip().startswith(b"{"):
        try:
            jwk = json.loads(data)
        except ValueError as exc:
            raise ValueError(f"not valid JSON: {exc}") from None
        if not isinstance(jwk, dict) or "d" not in jwk:
            raise ValueError("a public JWK: the private key needs the private members (d, ...)")
        try:
            key = jwt.PyJWK(jwk).key
        except jwt.PyJWTError as exc:
            raise ValueError(f"not a usable JWK: {exc}") from None
    else:
        try:
            key = load_pem_private_key(bytes(data))
        except TypeError:
            raise ValueError("the PEM private key is encrypted; store it unencrypted") from None
        except ValueError:
            raise ValueError("not a PEM private key (-----BEGIN PRIVATE KEY-----) or a JWK") from None
    if not isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)):
        raise ValueError(f"unsupported key type {type(key).__name__}; use an EC P-256 or RSA key")
    return key


def key_algs(key: PrivateKey) -> tuple[str, ...]:
    """The JWS algorithms this key can sign with here."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return KEY_ALGS["EC"] if isinstance(key.curve, ec.SECP256R1) else ()
    return KEY_ALGS["RSA"]


def private_jwk(key: PrivateKey) -> dict[str, Any]:
    """The key as a JWK including its private members (RFC 7518 §6)."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return jwt.algorithms.ECAlgorithm.to_jwk(key, as_dict=True)
    return jwt.algorithms.RSAAlgorithm.to_jwk(key, as_dict=True)


def public_jwk(key: PrivateKey | Any, *, kid: str | None = None, alg: str | None = None) -> dict[str, Any]:
    """The public JWK of a private (or public) key, without private members."""
    priv = private_jwk(key) if hasattr(key, "private_numbers") else _public_key_jwk(key)
    jwk = {k: v for k, v in priv.items() if k not in PRIVATE_MEMBERS}
    if kid is not None:
        jwk["kid"] = kid
    if alg is not None:
        jwk["alg"] = alg
    return jwk


def _public_key_jwk(key: Any) -> dict[str, Any]:
    if isinstance(key, ec.EllipticCurvePublicKey):
        return jwt.algorithms.ECAlgorithm.to_jwk(key, as_dict=True)
    return jwt.algorithms.RSAAlgorithm.to_jwk(key, as_dict=True)


def jwk_thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 §3 SHA-256 thumbprint: required members only, sorted, no whitespace."""
    required = {"EC": ("crv", "kty", "x", "y"), "RSA": ("e", "kty", "n"), "OKP": ("crv", "kty", "x")}
    members = {k: jwk[k] for k in required[jwk["kty"]]}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(canonical.encode("utf-8")).digest())


# -- JWS -----------------------------------------------------------------------------------------


def sign_jws(
    header: dict[str, Any],
    claims: dict[str, Any],
    key: PrivateKey | bytes | str | None,
    alg: str,
    *,
    signature: str = "valid",
) -> str:
    """Compact JWS of ``claims`` with exactly ``header``, signed with ``alg``.

    ``alg="none"`` gives an unsecured JWT (empty signature, RFC 7519 §6.1).
    ``signature="broken"`` flips bits of a valid signature.
    """
    if signature not in ("valid", "broken"):
        raise ValueError(f"signature must be 'valid' or 'broken', not {signature!r}")
    signing_input = f"{_segment(header)}.{_segment(claims)}".encode("ascii")
    if alg == "none":
        sig = b""
    elif alg.startswith("HS"):
        secret = key.encode("utf-8") if isinstance(key, str) else key
        if not isinstance(secret, bytes):
            raise TypeError(f"{alg} needs a shared secret (str or bytes)")
        digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
        sig = hmac.new(secret, signing_input, digest).digest()
    else:
        algorithm = jwt.get_algorithm_by_name(alg)
        sig = algorithm.sign(signing_input, key)
    if signature == "broken":
        sig = bytes([sig[0] ^ 0x55]) + sig[1:] if sig else b"\x00"
    return f"{signing_input.decode('ascii')}.{b64url(sig)}"


def _segment(obj: dict[str, Any]) -> str:
    return b64url(json.dumps(obj, separators=(",", ":")).encode("utf-8"))


def decode_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, claims) of a compact JWS, without checking the signature."""
    head, payload, _ = token.split(".")
    return json.loads(b64url_decode(head)), json.loads(b64url_decode(payload))


# -- client assertions (RFC 7523) ----------------------------------------------------------------


def client_assertion(
    client_id: str,
    key_or_secret: PrivateKey | bytes | str | None,
    alg: str,
    audience: str | list[str],
    /,
    *,
    lifetime_s: int = 60,
    kid: str | None = None,
    now: float | None = None,
    header: dict[str, Any] | None = None,
    sign_with: PrivateKey | bytes | str | None = None,
    signature: str = "valid",
    **claims: Any,
) -> str:
    """A JWT for ``client_assertion`` (RFC 7523 §2.2, §3; OIDC Core §9).

    Claims: ``iss`` = ``sub`` = ``client_id``, ``aud`` = ``audience`` (the token endpoint URL may
    be used, RFC 7523 §3 item 3), ``jti`` random, ``iat`` = now, ``exp`` = now + ``lifetime_s``.
    Header: ``alg``, ``typ: JWT``, ``kid`` if given.

    Negatives: ``**claims`` sets claims (``OMIT`` removes one), ``header`` sets or removes header
    fields (e.g. ``{"alg": "RS256"}`` while signing with ES256), ``sign_with`` signs with another
    key or secret, ``alg="none"`` leaves it unsigned, ``signature="broken"`` breaks the signature.
    """
    issued = int(time.time() if now is None else now)
    base = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "jti": secrets.token_urlsafe(24),
        "iat": issued,
        "exp": issued + lifetime_s,
    }
    head = {"alg": alg, "typ": "JWT"}
    if kid is not None and kid is not OMIT:
        head["kid"] = kid
    key = sign_with if sign_with is not None else key_or_secret
    return sign_jws(merged(head, header), merged(base, claims), key, alg, signature=signature)


# -- DPoP (RFC 9449) -----------------------------------------------------------------------------


class DpopKey:
    """An asymmetric key for DPoP proofs (RFC 9449 §4.2). ES256 on P-256 by default."""

    def __init__(self, private_key: ec.EllipticCurvePrivateKey, alg: str = "ES256") -> None:
        self.private_key = private_key
        self.alg = alg
        self.public_jwk: dict[str, Any] = public_jwk(private_key)
        self.thumbprint: str = jwk_thumbprint(self.public_jwk)

    @classmethod
    def generate(cls) -> DpopKey:
        """A fresh EC P-256 key (one per client instance, as the HAAPI SDKs do)."""
        return cls(ec.generate_private_key(ec.SECP256R1()))

    def __repr__(self) -> str:
        return f"<DpopKey {self.alg} jkt={self.thumbprint}>"

    def proof(
        self,
        htm: str,
        htu: str,
        /,
        *,
        nonce: str | None = None,
        access_token: str | None = None,
        now: float | None = None,
        iat_offset_s: int = 0,
        alg: str | None = None,
        header: dict[str, Any] | None = None,
        private_jwk_in_header: bool = False,
        sign_with: PrivateKey | bytes | str | None = None,
        signature: str = "valid",
        **claims: Any,
    ) -> str:
        """A DPoP proof JWT for one request (RFC 9449 §4.2).

        Header: ``typ: dpop+jwt``, ``alg``, ``jwk`` (public). Claims: random ``jti``, ``htm``,
        ``htu`` without query and fragment, ``iat``; ``nonce`` when given (§8); ``ath`` =
        b64url(SHA-256(access_token)) when an access token is presented (§7.1).

        Negatives: ``header`` (e.g. ``{"typ": "JWT"}``), ``alg="none"`` or ``alg="HS256"``
        (signed with ``sign_with`` or a random secret), ``private_jwk_in_header`` (``jwk`` with
        ``d``), ``iat_offset_s``, ``sign_with`` another key, ``signature="broken"``, and
        ``**claims`` to set or remove (``OMIT``) any claim, e.g. ``htu=...`` verbatim.
        """
        issued = int(time.time() if now is None else now) + iat_offset_s
        base: dict[str, Any] = {
            "jti": secrets.token_urlsafe(24),
            "htm": htm,
            "htu": strip_query(htu),
            "iat": issued,
        }
        if nonce is not None:
            base["nonce"] = nonce
        if access_token is not None:
            base["ath"] = sha256_b64url(access_token)
        alg = alg or self.alg
        jwk = private_jwk(self.private_key) if private_jwk_in_header else self.public_jwk
        head = {"typ": "dpop+jwt", "alg": alg, "jwk": jwk}
        key = sign_with
        if key is None:
            key = os.urandom(32) if alg.startswith("HS") else self.private_key
        return sign_jws(merged(head, header), merged(base, claims), key, alg, signature=signature)


def strip_query(url: str) -> str:
    """The URL without query and fragment (DPoP ``htu``, RFC 9449 §4.2)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query="", fragment=""))
