"""The test PKI shared by the reference server, the suite and the tests.

One call writes every key and certificate a DCR-fallback run needs as PEM files:

- a CA, and a server certificate for ``127.0.0.1`` / ``localhost`` issued by it;
- ``main-mtls``: a client certificate for the ``tls_client_auth`` main client (RFC 8705 §2.1),
  matched on its subject DN, and ``other-dn``: a certificate from the same CA with another DN;
- a *rogue* CA and a certificate it issued carrying the ``main-mtls`` subject DN (the
  untrusted-CA negative of RFC 8705 §2);
- two self-signed certificates: the one pinned for the ``self_signed_tls_client_auth`` main client
  (RFC 8705 §2.2) and another one;
- JWT signing keys for ``private_key_jwt`` main clients (RFC 7523): ES256 (EC P-256), RS256 and
  PS256 (RSA-2048);
- a random seed from which the embedded server derives its main clients' secrets, so that a
  restart on the same directory keeps them.

EC P-256 is used everywhere except the RSA JWT keys: an EC key costs well under a millisecond,
an RSA key tens of milliseconds. :meth:`TestPKI.generate` caches per directory, so a process
generates its PKI once; :func:`default_pki` is a process-wide PKI in a temporary directory.
"""

from __future__ import annotations

import atexit
import datetime as _dt
import ipaddress
import json
import os
import secrets
import shutil
import tempfile
import threading
from dataclasses import dataclass, fields
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["TestPKI", "default_pki"]

ORG = "dcr-conformance"
MAIN_MTLS_CN = "main-mtls"
OTHER_DN_CN = "other-dn"
SELF_SIGNED_CN = "main-selfsigned"
OTHER_SELF_SIGNED_CN = "other-selfsigned"
_MANIFEST = "pki.json"
_VALIDITY = _dt.timedelta(days=825)


@dataclass(frozen=True)
class TestPKI:
    """Paths of the PEM files of one test PKI (all private keys are unencrypted PKCS#8)."""

    __test__ = False  # not a pytest test class

    directory: Path
    ca_cert: Path
    ca_key: Path
    server_cert: Path
    server_key: Path
    client_cert: Path  # main-mtls, issued by the CA
    client_key: Path
    other_dn_cert: Path  # same CA, another subject DN
    other_dn_key: Path
    rogue_ca_cert: Path
    rogue_ca_key: Path
    rogue_client_cert: Path  # issued by the rogue CA, carrying the main-mtls subject DN
    rogue_client_key: Path
    self_signed_cert: Path  # pinned for the self_signed_tls_client_auth main client
    self_signed_key: Path
    other_self_signed_cert: Path  # not registered anywhere
    other_self_signed_key: Path
    es256_key: Path  # private_key_jwt signing keys (private PEM) ...
    es256_public: Path  # ... and their public halves
    rs256_key: Path
    rs256_public: Path
    ps256_key: Path
    ps256_public: Path
    secret_seed: Path  # 32 random bytes (hex) the server derives main-client secrets from

    def jwt_key(self, alg: str) -> tuple[Path, Path]:
        """(private PEM, public PEM) of the JWT key for ``alg`` (ES256, RS256, PS256)."""
        name = alg.lower()
        return getattr(self, f"{name}_key"), getattr(self, f"{name}_public")

    def seed(self) -> bytes:
        return bytes.fromhex(self.secret_seed.read_text().strip())

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def generate(cls, directory: str | os.PathLike[str]) -> TestPKI:
        """Write a fresh PKI into ``directory`` (created if needed), once per process.

        A second call for the same directory in the same process returns the cached PKI.
        """
        return _cached(directory, _write)

    @classmethod
    def load_or_generate(cls, directory: str | os.PathLike[str]) -> TestPKI:
        """Reuse a PKI an earlier process wrote into ``directory``, else generate one.

        Used by ``dcr-conformance serve --state``: a restarted server keeps its certificates and
        its main clients' secrets, so a configured app keeps working.
        """
        return _cached(directory, lambda path: _read(path) or _write(path))


_LOCK = threading.Lock()
_CACHE: dict[Path, TestPKI] = {}
_DEFAULT: list[TestPKI] = []


def _cached(directory: str | os.PathLike[str], make) -> TestPKI:
    """The PKI of ``directory`` made once per process (``make(path)``), under the lock."""
    path = Path(directory).resolve()
    with _LOCK:
        if path not in _CACHE:
            _CACHE[path] = make(path)
        return _CACHE[path]


def default_pki() -> TestPKI:
    """A process-wide PKI in a temporary directory, removed when the process exits."""
    with _LOCK:
        if _DEFAULT:
            return _DEFAULT[0]
        directory = Path(tempfile.mkdtemp(prefix="dcr-pki-"))
        atexit.register(shutil.rmtree, directory, True)
    pki = TestPKI.generate(directory)
    with _LOCK:
        if not _DEFAULT:
            _DEFAULT.append(pki)
        return _DEFAULT[0]


# -- internals -------------------------------------------------------------------------------


def _name(cn: str, org: str = ORG) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _builder(subject: x509.Name, issuer: x509.Name, public_key) -> x509.CertificateBuilder:
    now = _dt.datetime.now(_dt.timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _dt.timedelta(days=1))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _ca(cn: str, org: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = _ec_key()
    name = _name(cn, org)
    cert = (
        _builder(name, name, key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                       critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _leaf(subject: x509.Name, issuer_cert: x509.Certificate | None, issuer_key,
          *, server: bool = False, san: list[x509.GeneralName] | None = None):
    """A leaf certificate; self-signed when ``issuer_cert`` is None."""
    key = _ec_key()
    signing_key = key if issuer_cert is None else issuer_key
    issuer = subject if issuer_cert is None else issuer_cert.subject
    usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
    builder = (
        _builder(subject, issuer, key.public_key())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False),
                       critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    )
    if issuer_cert is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_cert.public_key()),
            critical=False)
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
    return builder.sign(signing_key, hashes.SHA256()), key


def _key_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _public_pem(key) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _save(path: Path, data: bytes, private: bool = False) -> Path:
    # Private material is written owner-only (0600) from the start.
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    fd = os.open(path, flags, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return path


_FILES = {
    # attribute: file name
    "ca_cert": "ca.pem", "ca_key": "ca.key",
    "server_cert": "server.pem", "server_key": "server.key",
    "client_cert": "main-mtls.pem", "client_key": "main-mtls.key",
    "other_dn_cert": "other-dn.pem", "other_dn_key": "other-dn.key",
    "rogue_ca_cert": "rogue-ca.pem", "rogue_ca_key": "rogue-ca.key",
    "rogue_client_cert": "rogue-main-mtls.pem", "rogue_client_key": "rogue-main-mtls.key",
    "self_signed_cert": "main-selfsigned.pem", "self_signed_key": "main-selfsigned.key",
    "other_self_signed_cert": "other-selfsigned.pem",
    "other_self_signed_key": "other-selfsigned.key",
    "es256_key": "jwt-es256.key", "es256_public": "jwt-es256.pub.pem",
    "rs256_key": "jwt-rs256.key", "rs256_public": "jwt-rs256.pub.pem",
    "ps256_key": "jwt-ps256.key", "ps256_public": "jwt-ps256.pub.pem",
    "secret_seed": "secret-seed.hex",
}
assert set(_FILES) == {f.name for f in fields(TestPKI)} - {"directory"}


def _read(directory: Path) -> TestPKI | None:
    manifest = directory / _MANIFEST
    if not manifest.is_file():
        return None
    paths = {attr: directory / name for attr, name in _FILES.items()}
    if not all(p.is_file() for p in paths.values()):
        return None
    return TestPKI(directory=directory, **paths)


def _write(directory: Path) -> TestPKI:
    directory.mkdir(parents=True, exist_ok=True)
    out: dict[str, bytes] = {}

    ca_cert, ca_key = _ca("dcr-conformance test CA", ORG)
    out["ca_cert"], out["ca_key"] = _cert_pem(ca_cert), _key_pem(ca_key)

    san = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert, key = _leaf(_name("localhost"), ca_cert, ca_key, server=True, san=san)
    out["server_cert"], out["server_key"] = _cert_pem(cert), _key_pem(key)

    for attr, cn in (("client", MAIN_MTLS_CN), ("other_dn", OTHER_DN_CN)):
        cert, key = _leaf(_name(cn), ca_cert, ca_key)
        out[f"{attr}_cert"], out[f"{attr}_key"] = _cert_pem(cert), _key_pem(key)

    rogue_cert, rogue_key = _ca("dcr-conformance rogue CA", "rogue")
    out["rogue_ca_cert"], out["rogue_ca_key"] = _cert_pem(rogue_cert), _key_pem(rogue_key)
    cert, key = _leaf(_name(MAIN_MTLS_CN), rogue_cert, rogue_key)
    out["rogue_client_cert"], out["rogue_client_key"] = _cert_pem(cert), _key_pem(key)

    for attr, cn in (("self_signed", SELF_SIGNED_CN), ("other_self_signed", OTHER_SELF_SIGNED_CN)):
        cert, key = _leaf(_name(cn), None, None)
        out[f"{attr}_cert"], out[f"{attr}_key"] = _cert_pem(cert), _key_pem(key)

    jwt_keys = {"es256": _ec_key(),
                "rs256": rsa.generate_private_key(public_exponent=65537, key_size=2048),
                "ps256": rsa.generate_private_key(public_exponent=65537, key_size=2048)}
    for name, key in jwt_keys.items():
        out[f"{name}_key"], out[f"{name}_public"] = _key_pem(key), _public_pem(key)

    out["secret_seed"] = secrets.token_hex(32).encode()

    paths = {}
    for attr, data in out.items():
        private = attr.endswith("_key") or attr == "secret_seed"
        paths[attr] = _save(directory / _FILES[attr], data, private=private)
    _save(directory / _MANIFEST, json.dumps({"files": _FILES}, indent=1).encode())
    return TestPKI(directory=directory, **paths)
