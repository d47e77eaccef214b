"""Fixtures for the client tests: a small test PKI (EC P-256, one RSA key) and a profile."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from conformance.client import jose
from conformance.profile import load_profile

NOW = dt.datetime.now(dt.timezone.utc)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_cert(subject_key, cn: str, issuer_key=None, issuer_cert=None, *, ca: bool = False, ip: str | None = None):
    issuer_key = issuer_key or subject_key
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(issuer_cert.subject if issuer_cert else _name(cn))
        .public_key(subject_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(minutes=5))
        .not_valid_after(NOW + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
    if ip:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip)), x509.DNSName("localhost")]),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def key_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def cert_pem(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


@dataclass
class Pki:
    dir: Path
    ca: Path
    ca_key: object
    ca_cert: object
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    other_cert: Path
    other_key: Path
    rogue_ca: Path
    ec_key: object
    ec_key_path: Path
    rsa_key: object
    rsa_key_path: Path
    jwk_path: Path


def _ec():
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="session")
def pki(tmp_path_factory) -> Pki:
    d = tmp_path_factory.mktemp("pki")
    ca_key = _ec()
    ca_cert = make_cert(ca_key, "Test CA", ca=True)
    (d / "ca.pem").write_bytes(cert_pem(ca_cert))
    files = {}
    for name, cn, ip in (("server", "localhost", "127.0.0.1"), ("client", "main-mtls", None), ("other", "other-dn", None)):
        k = _ec()
        c = make_cert(k, cn, ca_key, ca_cert, ip=ip)
        (d / f"{name}.pem").write_bytes(cert_pem(c))
        (d / f"{name}.key").write_bytes(key_pem(k))
        files[name] = (d / f"{name}.pem", d / f"{name}.key")
    rogue_key = _ec()
    (d / "rogue-ca.pem").write_bytes(cert_pem(make_cert(rogue_key, "Rogue CA", ca=True)))
    ec_key = _ec()
    (d / "jwt-ec.pem").write_bytes(key_pem(ec_key))
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (d / "jwt-rsa.pem").write_bytes(key_pem(rsa_key))
    (d / "jwt.jwk").write_text(json.dumps({**jose.private_jwk(ec_key), "kid": "jwk-kid"}))
    return Pki(
        d, d / "ca.pem", ca_key, ca_cert, *files["server"], *files["client"], *files["other"], d / "rogue-ca.pem",
        ec_key, d / "jwt-ec.pem", rsa_key, d / "jwt-rsa.pem", d / "jwt.jwk",
    )


PROFILE = """
name = "unit"

[server]
token_endpoint = "https://as.example/oauth/v2/oauth-token"
registration_endpoint = "https://as.example/token-service/oauth-registration"
revocation_endpoint = "https://as.example/oauth/v2/oauth-revoke"
introspection_endpoint = "https://as.example/oauth/v2/oauth-introspect"
mtls_token_endpoint = "https://mtls.as.example/oauth/v2/oauth-token"
ca_bundle = "{pki}/ca.pem"
timeout_s = 5

[template]
software_id = "haapi-template"
scope = "urn:se:curity:scopes:haapi"
grant_types = ["client_credentials"]

[main_clients.secret]
client_id = "main-secret"
auth_method = "client_secret_basic"
client_secret = "${{DCR_TEST_MAIN_SECRET}}"

[main_clients.post]
client_id = "main-post"
auth_method = "client_secret_post"
client_secret_file = "secret.txt"

[main_clients.hs]
client_id = "main-hs"
auth_method = "client_secret_jwt"
client_secret = "${{DCR_TEST_MAIN_SECRET}}"

[main_clients.jwt]
client_id = "main-jwt"
auth_method = "private_key_jwt"
private_key = "{pki}/jwt-ec.pem"
kid = "k1"

[main_clients.rsa]
client_id = "main-rsa"
auth_method = "private_key_jwt"
private_key = "{pki}/jwt-rsa.pem"
alg = "PS256"

[main_clients.mtls]
client_id = "main-mtls"
auth_method = "tls_client_auth"
certificate = "{pki}/client.pem"
private_key = "{pki}/client.key"
other_certificate = "{pki}/other.pem"
other_private_key = "{pki}/other.key"

[introspector]
client_id = "introspector"
auth_method = "client_secret_basic"
client_secret = "${{DCR_TEST_MAIN_SECRET}}"

[use]
dpop = true
resource_url = "https://api.example/resource"

[claims]
revocation = true
introspection = true
dpop_nonce = true
"""

MAIN_SECRET = "main:secret+with%odd chars/0123456789"
FILE_SECRET = "file-secret-0123456789"


@pytest.fixture(scope="session")
def profile(pki, tmp_path_factory):
    d = tmp_path_factory.mktemp("profile")
    (d / "secret.txt").write_text(FILE_SECRET + "\n")
    path = d / "unit.toml"
    path.write_text(textwrap.dedent(PROFILE.format(pki=pki.dir)))
    mp = pytest.MonkeyPatch()
    mp.setenv("DCR_TEST_MAIN_SECRET", MAIN_SECRET)
    try:
        return load_profile(path)
    finally:
        mp.undo()
