"""Credentials the suite forges for the negatives, independent of any deployment's PKI.

RFC 8705 §2 negatives need a certificate that carries a valid client's subject DN but chains to a
CA the server does not trust, and a self-signed certificate that was never registered; RFC 7523
negatives need a signing key the server does not know. All EC P-256 (cheap), made once per run.
"""

from __future__ import annotations

import atexit
import datetime
import functools
import shutil
import tempfile
import threading
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

_LOCK = threading.Lock()
_DIRS: list[Path] = []


def _directory() -> Path:
    """The folder of this process's forged files: made when the first one is written, removed
    when the process exits (a forked child, which ends with ``os._exit``, leaves it to its parent)."""
    with _LOCK:
        if not _DIRS:
            directory = Path(tempfile.mkdtemp(prefix="dcr-forged-"))
            atexit.register(shutil.rmtree, directory, True)
            _DIRS.append(directory)
        return _DIRS[0]


def _write(name: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> tuple[Path, Path]:
    directory = _directory()
    cert_path, key_path = directory / f"{name}.pem", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path


def _certificate(subject: x509.Name, issuer: x509.Name, public_key, signer) -> x509.Certificate:
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(signer, hashes.SHA256()))


@functools.cache
def rogue_certificate_like(certificate: Path) -> tuple[Path, Path]:
    """A certificate with the subject DN of ``certificate``, issued by a CA nobody trusts."""
    subject = x509.load_pem_x509_certificate(Path(certificate).read_bytes()).subject
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dcr-conformance rogue CA")])
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = _certificate(subject, ca_name, leaf_key.public_key(), ca_key)
    return _write(f"rogue-{abs(hash(str(certificate)))}", leaf, leaf_key)


@functools.cache
def unregistered_self_signed() -> tuple[Path, Path]:
    """A self-signed client certificate no server has seen."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dcr-conformance unregistered device")])
    return _write("unregistered-self-signed", _certificate(name, name, key.public_key(), key), key)


@functools.cache
def unknown_signing_key() -> ec.EllipticCurvePrivateKey:
    """An EC P-256 key no server has registered (for assertions signed by an unknown key)."""
    return ec.generate_private_key(ec.SECP256R1())


@functools.cache
def unknown_rsa_key() -> rsa.RSAPrivateKey:
    """An RSA 2048 key no server has registered (for RS256 / PS256 assertions by an unknown key);
    generated once per process: a key pair takes tens of milliseconds."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)
