"""Key and certificate files of a profile: PEM certificates, PEM private keys, private JWKs.

Checked when the profile loads, so a wrong file is named before any request: the key must be EC
P-256 or RSA of at least 2048 bits (RFC 7518 §3.3-3.4), a JWT key must fit its ``alg``, an mTLS
key must be its certificate's own. Every key's text is recorded as a secret for redaction.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from .reader import ProfileReader
from .schema import CLIENT_KEYS, PRIVATE_KEY_JWT_ALGS


@functools.lru_cache(maxsize=64)
def load_pem_private_key(data: bytes) -> Any:
    """A PEM private key, parsed once per process (RSA key validation costs tens of milliseconds):
    the profile's loader and the client's signer share it."""
    return serialization.load_pem_private_key(data, password=None)


class KeyReader(ProfileReader):
    """Reads the key and certificate files a profile names."""

    def certificates(self, path: Path, dotted: str) -> list[x509.Certificate]:
        try:
            certs = x509.load_pem_x509_certificates(path.read_bytes())
        except (ValueError, OSError):
            self.error(
                dotted,
                f"{path} holds no PEM certificate (-----BEGIN CERTIFICATE-----); "
                "give a PEM file",
            )
            return []
        return certs

    def private_key(self, path: Path, dotted: str, *, allow_jwk: bool) -> tuple[Any, dict[str, Any] | None]:
        """(key, jwk dict or None); records the key's text as a secret."""
        try:
            data = path.read_bytes()
        except OSError as exc:
            self.error(dotted, f"cannot read {path}: {exc.__class__.__name__}")
            return None, None
        text = data.decode("utf-8", errors="replace")
        self.secrets.append(text.strip())
        if allow_jwk and data.lstrip().startswith(b"{"):
            return self.jwk_key(data, path, dotted)
        try:
            key = load_pem_private_key(data)
        except TypeError:
            self.error(
                dotted,
                f"{path} is an encrypted private key; "
                "store it unencrypted (e.g. openssl pkey -in KEY -out KEY.plain)",
            )
            return None, None
        except ValueError:
            what = "a PEM private key or a private JWK (JSON)" if allow_jwk else "a PEM private key"
            self.error(dotted, f"{path} is not {what} (-----BEGIN PRIVATE KEY-----)")
            return None, None
        if not isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)):
            self.error(dotted, f"{path}: {type(key).__name__} keys are not supported; use EC P-256 or RSA")
            return None, None
        return key, None

    def jwk_key(self, data: bytes, path: Path, dotted: str) -> tuple[Any, dict[str, Any] | None]:
        import jwt  # pyjwt builds keys from JWKs

        try:
            jwk = json.loads(data)
        except ValueError as exc:
            self.error(
                dotted,
                f"{path} is not valid JSON ({exc.msg} at line {exc.lineno}); "
                "give a PEM key or a private JWK",
            )
            return None, None
        if not isinstance(jwk, dict) or "kty" not in jwk:
            self.error(dotted, f"{path} is not a JWK (no 'kty'); give a PEM key or a private JWK")
            return None, None
        if "d" not in jwk:
            self.error(dotted, f"{path} is a public JWK; private_key needs the private key (with 'd')")
            return None, None
        for member in ("d", "p", "q", "dp", "dq", "qi"):
            if isinstance(jwk.get(member), str):
                self.secrets.append(jwk[member])
        try:
            key = jwt.PyJWK(jwk).key
        except (jwt.PyJWTError, ValueError, KeyError) as exc:
            self.error(dotted, f"{path} is not a usable private JWK: {exc}")
            return None, None
        if not isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)):
            self.error(dotted, f"{path}: kty {jwk.get('kty')!r} is not supported; use EC P-256 or RSA")
            return None, None
        return key, jwk

    def jwt_key(
        self, prefix: str, path: Path, alg: str | None, kid: str | None, alg_given: bool
    ) -> tuple[str | None, str | None]:
        key, jwk = self.private_key(path, f"{prefix}.private_key", allow_jwk=True)
        if key is None:
            return alg, kid
        if jwk is not None and kid is None and isinstance(jwk.get("kid"), str):
            kid = jwk["kid"]
        if isinstance(key, ec.EllipticCurvePrivateKey):
            if not isinstance(key.curve, ec.SECP256R1):
                self.error(
                    f"{prefix}.private_key",
                    f"{path} is an EC {key.curve.name} key; "
                    "ES256 needs a P-256 (secp256r1) key",
                )
                return alg, kid
            kind, allowed = "an EC P-256", ("ES256",)
        else:
            if key.key_size < 2048:
                self.error(
                    f"{prefix}.private_key",
                    f"{path} is a {key.key_size}-bit RSA key; "
                    "RS256/PS256 need at least 2048 bits (RFC 7518 §3.3)",
                )
                return alg, kid
            kind, allowed = "an RSA", ("RS256", "PS256")
        if alg is None:
            return (None if alg_given else allowed[0]), kid
        if alg not in PRIVATE_KEY_JWT_ALGS:
            self.error(
                f"{prefix}.alg",
                f"{alg!r} is not supported for private_key_jwt; "
                f"use one of: {', '.join(PRIVATE_KEY_JWT_ALGS)}",
            )
        elif alg not in allowed:
            self.error(
                f"{prefix}.alg",
                f"{alg} does not match {kind} key in {path}; "
                f"use {' or '.join(allowed)}",
            )
        return alg, kid

    def tls_pair(self, prefix: str, cert_key: str, key_key: str, v: dict[str, Any]) -> None:
        cert_path, key_path = v[cert_key], v[key_key]
        if (cert_path is None) != (key_path is None):
            missing = key_key if cert_path is not None else cert_key
            present = cert_key if cert_path is not None else key_key
            if missing.startswith("other_"):
                self.error(
                    f"{prefix}.{missing}",
                    "missing; "
                    f"{present} needs its pair: add {CLIENT_KEYS[missing][1]}",
                )
            return
        if cert_path is None:
            return
        certs = self.certificates(cert_path, f"{prefix}.{cert_key}")
        key, _ = self.private_key(key_path, f"{prefix}.{key_key}", allow_jwk=False)
        if certs and key is not None:
            fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
            if certs[0].public_key().public_bytes(*fmt) != key.public_key().public_bytes(*fmt):
                self.error(
                    f"{prefix}.{key_key}",
                    f"{key_path} does not match the certificate in {cert_path}; "
                    "give the certificate's own key",
                )
