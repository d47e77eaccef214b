"""The test PKI: files, key types, names, caching."""

from __future__ import annotations

import ipaddress

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from conformance.pki import TestPKI


def _cert(path):
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_generated_once_per_directory(pki):
    assert TestPKI.generate(pki.directory) is pki


def test_reload_from_disk(pki, tmp_path):
    fresh = TestPKI.load_or_generate(tmp_path / "pki")
    again = TestPKI.load_or_generate(tmp_path / "pki")
    assert again is fresh
    from conformance import pki as module
    module._CACHE.pop(fresh.directory)  # as if another process
    reloaded = TestPKI.load_or_generate(tmp_path / "pki")
    assert reloaded.ca_cert.read_bytes() == fresh.ca_cert.read_bytes()


def test_server_certificate(pki):
    cert = _cert(pki.server_cert)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address("127.0.0.1") in san.get_values_for_type(x509.IPAddress)
    assert "localhost" in san.get_values_for_type(x509.DNSName)
    assert cert.issuer == _cert(pki.ca_cert).subject


def test_client_certificates(pki):
    ca, rogue_ca = _cert(pki.ca_cert), _cert(pki.rogue_ca_cert)
    main, other, rogue = (_cert(pki.client_cert), _cert(pki.other_dn_cert),
                          _cert(pki.rogue_client_cert))
    assert main.subject.rfc4514_string() in ("CN=main-mtls,O=dcr-conformance",
                                             "O=dcr-conformance,CN=main-mtls")
    assert main.issuer == other.issuer == ca.subject
    assert other.subject != main.subject
    assert rogue.subject == main.subject and rogue.issuer == rogue_ca.subject
    for path in (pki.self_signed_cert, pki.other_self_signed_cert):
        cert = _cert(path)
        assert cert.issuer == cert.subject
    assert _cert(pki.self_signed_cert).subject != _cert(pki.other_self_signed_cert).subject


def test_key_types(pki):
    for path in (pki.ca_key, pki.server_key, pki.client_key, pki.es256_key):
        assert isinstance(load_pem_private_key(path.read_bytes(), None), ec.EllipticCurvePrivateKey)
    for path in (pki.rs256_key, pki.ps256_key):
        key = load_pem_private_key(path.read_bytes(), None)
        assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048
    assert (pki.ca_key.stat().st_mode & 0o777) == 0o600
