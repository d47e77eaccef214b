"""Profiles: the contract of docs/profiles.md, and every error message (file, key, fix)."""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from conformance.profile import Claims, ProfileError, load_profile
from conformance.vocabulary import AUTH_METHODS

NOW = dt.datetime.now(dt.timezone.utc)


def _pem_key(key, password: bytes | None = None) -> bytes:
    enc = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)


def _cert(key, cn: str) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW)
        .not_valid_after(NOW + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> Path:
    """certs/ and keys/ under one directory; profiles are written next to them."""
    d = tmp_path_factory.mktemp("keys")
    (d / "certs").mkdir()
    (d / "keys").mkdir()
    ec_key, other_ec = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    small_rsa = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    (d / "certs/ca.pem").write_bytes(_cert(ec_key, "CA"))
    (d / "certs/main-mtls.pem").write_bytes(_cert(ec_key, "main-mtls"))
    (d / "certs/main-mtls.key").write_bytes(_pem_key(ec_key))
    (d / "certs/other-dn.pem").write_bytes(_cert(other_ec, "other"))
    (d / "certs/other-dn.key").write_bytes(_pem_key(other_ec))
    (d / "keys/ec.pem").write_bytes(_pem_key(ec_key))
    (d / "keys/rsa.pem").write_bytes(_pem_key(rsa_key))
    (d / "keys/rsa1024.pem").write_bytes(_pem_key(small_rsa))
    (d / "keys/p384.pem").write_bytes(_pem_key(ec.generate_private_key(ec.SECP384R1())))
    (d / "keys/encrypted.pem").write_bytes(_pem_key(ec_key, b"pw"))
    (d / "keys/garbage.pem").write_text("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n")
    import jwt

    jwk = jwt.algorithms.ECAlgorithm.to_jwk(ec_key, as_dict=True)
    (d / "keys/ec.jwk").write_text(json.dumps({**jwk, "kid": "from-jwk"}))
    (d / "keys/public.jwk").write_text(json.dumps({k: v for k, v in jwk.items() if k != "d"}))
    (d / "secret.txt").write_text("file-secret-value\n")
    (d / "empty.txt").write_text("")
    return d


BASE = """
name = "staging"

[server]
token_endpoint = "https://idsvr.example/oauth/v2/oauth-token"
registration_endpoint = "https://idsvr.example/token-service/oauth-registration"

[template]
software_id = "haapi-template"
scope = "urn:se:curity:scopes:haapi"

[main_clients.secret]
client_id = "main-secret"
auth_method = "client_secret_basic"
client_secret = "${DCR_T_SECRET}"
"""


@pytest.fixture(autouse=True)
def env(monkeypatch):
    monkeypatch.setenv("DCR_T_SECRET", "env-secret-value")
    monkeypatch.delenv("DCR_T_UNSET", raising=False)


_counter = iter(range(10**6))


def write(keys: Path, text: str) -> Path:
    path = keys / f"profile-{next(_counter)}.toml"
    path.write_text(textwrap.dedent(text))
    return path


def problems(keys: Path, text: str) -> list[str]:
    path = write(keys, text)
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    err = info.value
    assert all(p.file == path for p in err.problems)
    assert str(path) in str(err)
    return [f"{p.key}: {p.message}" for p in err.problems]


def one_problem(keys: Path, text: str) -> str:
    found = problems(keys, text)
    assert len(found) == 1, found
    return found[0]


# -- the contract -----------------------------------------------------------------------------


FULL = """
name = "staging"

[server]
issuer = "https://idsvr.example/oauth/v2/oauth-anonymous"
token_endpoint = "https://idsvr.example/oauth/v2/oauth-token"
registration_endpoint = "https://idsvr.example/token-service/oauth-registration"
revocation_endpoint = "https://idsvr.example/oauth/v2/oauth-revoke"
introspection_endpoint = "https://idsvr.example/oauth/v2/oauth-introspect"
mtls_token_endpoint = "https://mtls.idsvr.example/oauth/v2/oauth-token"
ca_bundle = "certs/ca.pem"
timeout_s = 10

[template]
software_id = "haapi-template"
scope = "urn:se:curity:scopes:haapi"
grant_types = ["client_credentials"]
token_endpoint_auth_method = "client_secret_basic"
unauthorized_software_id = "other-template"
redirect_uris = ["app:/callback"]
response_types = ["code"]

[main_clients.secret]
client_id = "main-secret"
auth_method = "client_secret_basic"
client_secret = "${DCR_T_SECRET}"

[main_clients.post]
client_id = "main-post"
auth_method = "client_secret_post"
client_secret_file = "secret.txt"

[main_clients.mtls]
client_id = "main-mtls"
auth_method = "tls_client_auth"
certificate = "certs/main-mtls.pem"
private_key = "certs/main-mtls.key"
other_certificate = "certs/other-dn.pem"
other_private_key = "certs/other-dn.key"

[main_clients.jwt]
client_id = "main-jwt"
auth_method = "private_key_jwt"
private_key = "keys/ec.pem"
alg = "ES256"

[main_clients.jwk]
client_id = "main-jwk"
auth_method = "private_key_jwt"
private_key = "keys/ec.jwk"

[main_clients.rsa]
client_id = "main-rsa"
auth_method = "private_key_jwt"
private_key = "keys/rsa.pem"

[introspector]
client_id = "introspector"
auth_method = "client_secret_post"
client_secret = "${DCR_T_SECRET}"

[unlisted_client]
client_id = "unlisted"
auth_method = "client_secret_basic"
client_secret = "${DCR_T_SECRET}"

[use]
scope = "urn:se:curity:scopes:haapi"
dpop = true
resource_url = "https://idsvr.example/api/resource"

[claims]
registration_management = true
rotates_credentials_on_read = false
initial_token_single_use = true
initial_token_ttl_s = 300
revocation = true
introspection = true
deleted_client_tokens_inactive = true
jwt_replay_rejected = true
dpop_nonce = false
"""


def test_full_contract_loads(keys):
    p = load_profile(write(keys, FULL))
    assert p.name == "staging" and p.warnings == ()
    assert p.server.ca_bundle == keys / "certs/ca.pem" and p.server.timeout_s == 10.0
    assert p.server.resource_url == p.use.resource_url == "https://idsvr.example/api/resource"
    assert p.template.grant_types == ("client_credentials",) and p.template.redirect_uris == ("app:/callback",)
    c = p.main_clients
    assert list(c) == ["secret", "post", "mtls", "jwt", "jwk", "rsa"]
    assert c["secret"].client_secret == "env-secret-value" and c["post"].client_secret == "file-secret-value"
    assert c["mtls"].certificate == keys / "certs/main-mtls.pem" and c["mtls"].other_private_key == keys / "certs/other-dn.key"
    assert (c["jwt"].alg, c["jwk"].alg, c["jwk"].kid, c["rsa"].alg) == ("ES256", "ES256", "from-jwk", "RS256")
    assert p.introspector.client_id == "introspector" and p.unlisted_client.client_id == "unlisted"
    assert p.use.dpop and p.claims.revocation and p.claims.introspection
    assert p.token_endpoint_for(c["mtls"]) == "https://mtls.idsvr.example/oauth/v2/oauth-token"
    assert p.token_endpoint_for(c["secret"]) == "https://idsvr.example/oauth/v2/oauth-token"
    assert not p.needs_discovery
    secrets = p.secrets()
    assert {"env-secret-value", "file-secret-value"} <= set(secrets)
    assert (keys / "keys/ec.pem").read_text().strip() in secrets
    assert json.loads((keys / "keys/ec.jwk").read_text())["d"] in secrets


def test_reprs_hide_secrets(keys):
    p = load_profile(write(keys, FULL))
    text = repr(p)
    assert "env-secret-value" not in text and "file-secret-value" not in text
    assert "client_secret=<hidden>" in repr(p.main_clients["secret"])


def test_defaults(keys):
    p = load_profile(write(keys, BASE))
    assert p.claims == Claims()
    assert (p.claims.registration_management, p.claims.rotates_credentials_on_read, p.claims.initial_token_single_use) == (True, False, True)
    assert (p.claims.initial_token_ttl_s, p.claims.revocation, p.claims.introspection) == (300, False, False)
    assert (p.claims.deleted_client_tokens_inactive, p.claims.jwt_replay_rejected, p.claims.dpop_nonce) == (True, True, False)
    assert p.use.scope == "urn:se:curity:scopes:haapi" and p.use.dpop is False
    assert p.server.timeout_s == 10.0 and p.server.ca_bundle is None
    assert p.template.token_endpoint_auth_method == "client_secret_basic" and p.template.grant_types is None
    assert p.introspector is None and p.unlisted_client is None


def test_name_defaults_to_file_stem(keys):
    path = write(keys, BASE.replace('name = "staging"', ""))
    assert load_profile(path).name == path.stem


def test_issuer_only_needs_discovery(keys):
    text = BASE.replace(
        'token_endpoint = "https://idsvr.example/oauth/v2/oauth-token"\nregistration_endpoint = "https://idsvr.example/token-service/oauth-registration"',
        'issuer = "https://idsvr.example/oauth/v2/oauth-anonymous"',
    )
    p = load_profile(write(keys, text + "\n[claims]\nrevocation = true\n"))
    assert p.needs_discovery and p.server.token_endpoint is None
    with pytest.raises(ValueError, match="discover"):
        p.token_endpoint_for(p.main_clients["secret"])


def test_env_substitution_everywhere_and_literal_dollar(keys, monkeypatch):
    monkeypatch.setenv("DCR_T_HOST", "idsvr.example")
    monkeypatch.setenv("DCR_T_TEMPLATE", "tmpl")
    text = BASE.replace("https://idsvr.example/oauth/v2/oauth-token", "https://${DCR_T_HOST}/token")
    text = text.replace('software_id = "haapi-template"', 'software_id = "${DCR_T_TEMPLATE}-$${literal}"')
    p = load_profile(write(keys, text))
    assert p.server.token_endpoint == "https://idsvr.example/token"
    assert p.template.software_id == "tmpl-${literal}"


def test_literal_secret_warns_without_the_secret(keys):
    text = BASE.replace('"${DCR_T_SECRET}"', '"literal-s3cret-value"')
    p = load_profile(write(keys, text))
    assert len(p.warnings) == 1
    warning = p.warnings[0]
    assert "main_clients.secret.client_secret" in warning and "literal secret" in warning
    assert "client_secret_file" in warning and "literal-s3cret-value" not in warning
    assert p.main_clients["secret"].client_secret == "literal-s3cret-value"


def test_short_client_secret_jwt_secret_warns(keys):
    text = BASE + '\n[main_clients.hs]\nclient_id = "hs"\nauth_method = "client_secret_jwt"\nclient_secret = "${DCR_T_SECRET}"\n'
    p = load_profile(write(keys, text))
    assert p.main_clients["hs"].alg == "HS256"
    assert any("RFC 7518 §3.2" in w and "main_clients.hs.client_secret" in w for w in p.warnings)


# -- errors: one per kind ---------------------------------------------------------------------


def test_profile_file_missing(tmp_path):
    with pytest.raises(ProfileError, match="profile file not found") as info:
        load_profile(tmp_path / "nope.toml")
    assert str(tmp_path / "nope.toml") in str(info.value)


def test_invalid_toml(keys):
    msg = one_problem(keys, "name = \n")
    assert "not valid TOML" in msg and "line 1" in msg


def test_unknown_key_suggests_closest(keys):
    msg = one_problem(keys, BASE.replace("client_secret =", "client_secrte ="))
    assert msg.startswith("main_clients.secret.client_secrte: unknown key; did you mean 'client_secret'?")


def test_unknown_key_without_close_match_lists_known(keys):
    msg = one_problem(keys, BASE + "\n[claims]\nfrobnicate = true\n")
    assert msg.startswith("claims.frobnicate: unknown key; known keys here: registration_management,")


def test_unknown_top_level_table(keys):
    msg = one_problem(keys, BASE + "\n[servr]\nx = 1\n")
    assert msg == "servr: unknown key; did you mean 'server'?"


@pytest.mark.parametrize(
    "before, after, expected",
    [
        ("timeout_s", "timeout_s = \"10\"", "server.timeout_s: expected a number, got a string; e.g. timeout_s = 10"),
        ("dpop", "dpop = \"yes\"", "use.dpop: expected true or false, got a string; e.g. dpop = true"),
        ("grant_types", "grant_types = \"client_credentials\"", "template.grant_types: expected an array of strings, got a string"),
        ("ttl", "initial_token_ttl_s = 1.5", "claims.initial_token_ttl_s: expected an integer, got a float"),
        ("client_id", "client_id = 42", "main_clients.secret.client_id: expected a string, got an integer"),
    ],
)
def test_wrong_types(keys, before, after, expected):
    text = BASE
    if before == "timeout_s":
        text = text.replace("[template]", after + "\n\n[template]")
    elif before == "dpop":
        text += "\n[use]\n" + after + "\n"
    elif before == "grant_types":
        text = text.replace('scope = "urn', after + '\nscope = "urn')
    elif before == "ttl":
        text += "\n[claims]\n" + after + "\n"
    else:
        text = text.replace('client_id = "main-secret"', after)
    assert one_problem(keys, text).startswith(expected)


def test_timeout_must_be_positive_and_bool_is_not_a_number(keys):
    msg = one_problem(keys, BASE.replace("[template]", "timeout_s = 0\n\n[template]"))
    assert msg.startswith("server.timeout_s: must be a positive number")
    msg = one_problem(keys, BASE.replace("[template]", "timeout_s = true\n\n[template]"))
    assert "expected a number, got a boolean" in msg


def test_an_initial_token_of_one_second_is_refused_with_the_reason(keys):
    msg = one_problem(keys, BASE + "\n[claims]\ninitial_token_ttl_s = 1\n")
    assert msg.startswith("claims.initial_token_ttl_s: must be at least 2 seconds")
    assert "RFC 7519 §2 NumericDate" in msg and msg.endswith("e.g. initial_token_ttl_s = 300")
    assert load_profile(write(keys, BASE + "\n[claims]\ninitial_token_ttl_s = 2\n")).claims.initial_token_ttl_s == 2


def test_missing_required_sections_and_keys(keys):
    found = problems(keys, 'name = "x"\n')
    assert any(m.startswith("server: missing; add a [server] table") for m in found)
    assert any(m.startswith("template: missing; add a [template] table") for m in found)
    assert any(m.startswith("main_clients: missing; add a [main_clients.secret] table") for m in found)
    msg = one_problem(keys, BASE.replace('software_id = "haapi-template"', ""))
    assert msg == 'template.software_id: missing; add software_id = "haapi-template"'
    found = problems(keys, BASE.replace('client_id = "main-secret"\nauth_method = "client_secret_basic"', ""))
    assert 'main_clients.secret.client_id: missing; add client_id = "main-secret"' in found
    assert 'main_clients.secret.auth_method: missing; add auth_method = "client_secret_basic"' in found


def test_endpoints_required_without_issuer(keys):
    msg = one_problem(keys, BASE.replace('token_endpoint = "https://idsvr.example/oauth/v2/oauth-token"', ""))
    assert msg.startswith("server.token_endpoint: missing; add token_endpoint = ")
    assert msg.endswith("or set server.issuer to discover it (RFC 8414)")


def test_unset_variable(keys):
    msg = one_problem(keys, BASE.replace("DCR_T_SECRET", "DCR_T_UNSET"))
    assert msg == (
        "main_clients.secret.client_secret: environment variable DCR_T_UNSET is not set; "
        "export it before the run or use client_secret_file"
    )


def test_malformed_variable_reference(keys):
    msg = one_problem(keys, BASE.replace("${DCR_T_SECRET}", "${not valid"))
    assert msg.startswith("main_clients.secret.client_secret: malformed ${...} reference") and "$${" in msg


def test_missing_file_names_path_and_base_directory(keys):
    msg = one_problem(keys, BASE.replace("[template]", 'ca_bundle = "certs/nope.pem"\n\n[template]'))
    assert msg.startswith(f"server.ca_bundle: file not found: {keys / 'certs/nope.pem'}")
    assert f"relative paths start at the profile's directory {keys}" in msg


def test_ca_bundle_not_pem(keys):
    msg = one_problem(keys, BASE.replace("[template]", 'ca_bundle = "secret.txt"\n\n[template]'))
    assert msg.startswith("server.ca_bundle:") and "holds no PEM certificate" in msg


def test_non_https_endpoint(keys):
    msg = one_problem(keys, BASE.replace("https://idsvr.example/oauth/v2/oauth-token", "http://idsvr.example/token"))
    assert msg.startswith("server.token_endpoint: must be an absolute https:// URL") and "'http://idsvr.example/token'" in msg


def test_unsupported_auth_method_lists_supported(keys):
    msg = one_problem(keys, BASE.replace('"client_secret_basic"', '"client_secret_basc"'))
    assert msg.startswith("main_clients.secret.auth_method: unsupported 'client_secret_basc'; did you mean 'client_secret_basic'?")
    assert msg.endswith("supported: " + ", ".join(AUTH_METHODS))


def test_unsupported_template_method(keys):
    msg = one_problem(keys, BASE.replace('scope = "urn', 'token_endpoint_auth_method = "tls_client_auth"\nscope = "urn'))
    assert msg.startswith("template.token_endpoint_auth_method: unsupported 'tls_client_auth'; use one of: client_secret_basic")


def test_secret_method_without_secret(keys):
    msg = one_problem(keys, BASE.replace('client_secret = "${DCR_T_SECRET}"', ""))
    assert msg.startswith("main_clients.secret.client_secret: missing; client_secret_basic needs the client's secret")
    assert "client_secret_file" in msg


def test_secret_and_secret_file_together(keys):
    msg = one_problem(keys, BASE + 'client_secret_file = "secret.txt"\n')
    assert msg == "main_clients.secret.client_secret_file: give either client_secret or client_secret_file, not both"


def test_empty_secret_file(keys):
    msg = one_problem(keys, BASE.replace('client_secret = "${DCR_T_SECRET}"', 'client_secret_file = "empty.txt"'))
    assert msg.startswith("main_clients.secret.client_secret_file:") and "is empty; write the secret into it" in msg


MTLS = """
[main_clients.mtls]
client_id = "main-mtls"
auth_method = "tls_client_auth"
"""


def test_mtls_without_certificate_and_key(keys):
    found = problems(keys, BASE + MTLS)
    assert len(found) == 2
    assert found[0].startswith("main_clients.mtls.certificate: missing; tls_client_auth needs the client certificate and its private key (RFC 8705 §2)")
    assert found[1].startswith("main_clients.mtls.private_key: missing;")


def test_mtls_with_secret_or_alg(keys):
    text = BASE + MTLS + 'certificate = "certs/main-mtls.pem"\nprivate_key = "certs/main-mtls.key"\nclient_secret = "${DCR_T_SECRET}"\nalg = "ES256"\n'
    found = problems(keys, text)
    assert "main_clients.mtls.client_secret: tls_client_auth does not use a client secret; remove it" in found
    assert any(m.startswith("main_clients.mtls.alg: tls_client_auth signs nothing") for m in found)


def test_mtls_other_pair_incomplete(keys):
    text = BASE + MTLS + 'certificate = "certs/main-mtls.pem"\nprivate_key = "certs/main-mtls.key"\nother_certificate = "certs/other-dn.pem"\n'
    msg = one_problem(keys, text)
    assert msg.startswith("main_clients.mtls.other_private_key: missing; other_certificate needs its pair")


def test_certificate_key_mismatch(keys):
    text = BASE + MTLS + 'certificate = "certs/main-mtls.pem"\nprivate_key = "certs/other-dn.key"\n'
    msg = one_problem(keys, text)
    assert msg.startswith("main_clients.mtls.private_key:") and "does not match the certificate" in msg


def test_certificate_not_pem(keys):
    text = BASE + MTLS + 'certificate = "keys/ec.pem"\nprivate_key = "certs/main-mtls.key"\n'
    msg = one_problem(keys, text)
    assert msg.startswith("main_clients.mtls.certificate:") and "holds no PEM certificate" in msg


JWT = """
[main_clients.jwt]
client_id = "main-jwt"
auth_method = "private_key_jwt"
"""


@pytest.mark.parametrize(
    "lines, expected",
    [
        ('private_key = "keys/ec.pem"\nalg = "RS256"', "main_clients.jwt.alg: RS256 does not match an EC P-256 key in"),
        ('private_key = "keys/rsa.pem"\nalg = "ES256"', "main_clients.jwt.alg: ES256 does not match an RSA key in"),
        ('private_key = "keys/ec.pem"\nalg = "ES512"', "main_clients.jwt.alg: 'ES512' is not supported for private_key_jwt; use one of: ES256, RS256, PS256"),
        ('private_key = "keys/encrypted.pem"', "main_clients.jwt.private_key:"),
        ('private_key = "keys/garbage.pem"', "main_clients.jwt.private_key:"),
        ('private_key = "keys/public.jwk"', "main_clients.jwt.private_key:"),
        ('private_key = "keys/rsa1024.pem"', "main_clients.jwt.private_key:"),
        ('private_key = "keys/p384.pem"', "main_clients.jwt.private_key:"),
        ("", "main_clients.jwt.private_key: missing; private_key_jwt needs the signing key"),
    ],
)
def test_private_key_jwt_errors(keys, lines, expected):
    msg = one_problem(keys, BASE + JWT + lines + "\n")
    assert msg.startswith(expected), msg


@pytest.mark.parametrize(
    "key, fix",
    [
        ("encrypted.pem", "is an encrypted private key; store it unencrypted"),
        ("garbage.pem", "is not a PEM private key or a private JWK (JSON)"),
        ("public.jwk", "is a public JWK; private_key needs the private key (with 'd')"),
        ("rsa1024.pem", "is a 1024-bit RSA key; RS256/PS256 need at least 2048 bits"),
        ("p384.pem", "is an EC secp384r1 key; ES256 needs a P-256 (secp256r1) key"),
    ],
)
def test_private_key_messages(keys, key, fix):
    assert fix in one_problem(keys, BASE + JWT + f'private_key = "keys/{key}"\n')


def test_client_secret_jwt_wrong_alg(keys):
    text = BASE + '\n[main_clients.hs]\nclient_id = "hs"\nauth_method = "client_secret_jwt"\nclient_secret = "${DCR_T_SECRET}"\nalg = "RS256"\n'
    assert one_problem(keys, text) == "main_clients.hs.alg: 'RS256' is not supported for client_secret_jwt; use HS256"


def test_claims_need_endpoints_and_introspector(keys):
    found = problems(keys, BASE + "\n[claims]\nrevocation = true\nintrospection = true\n")
    assert any(m.startswith("server.revocation_endpoint: missing while claims.revocation = true") for m in found)
    assert any(m.startswith("server.introspection_endpoint: missing while claims.introspection = true") for m in found)
    assert any(m.startswith("introspector: missing while claims.introspection = true; add an [introspector] table") for m in found)


def test_resource_url_conflict(keys):
    text = BASE.replace("[template]", 'resource_url = "https://a.example/r"\n\n[template]') + '\n[use]\nresource_url = "https://b.example/r"\n'
    assert one_problem(keys, text) == "use.resource_url: differs from server.resource_url; give it in one place"
    text = BASE.replace("[template]", 'resource_url = "https://a.example/r"\n\n[template]')
    assert load_profile(write(keys, text)).use.resource_url == "https://a.example/r"


def test_unlisted_client_must_differ(keys):
    text = BASE + '\n[unlisted_client]\nclient_id = "main-secret"\nauth_method = "client_secret_basic"\nclient_secret = "${DCR_T_SECRET}"\n'
    assert one_problem(keys, text).startswith("unlisted_client.client_id: is main_clients.secret's client_id")


def test_unauthorized_template_must_differ(keys):
    text = BASE.replace('scope = "urn', 'unauthorized_software_id = "haapi-template"\nscope = "urn')
    assert one_problem(keys, text).startswith("template.unauthorized_software_id: equals template.software_id")


def test_label_characters(keys):
    text = BASE.replace("[main_clients.secret]", '[main_clients."my secret"]')
    assert one_problem(keys, text).startswith('main_clients.my secret: labels may use letters, digits')


def test_all_errors_of_a_file_are_reported_together(keys):
    text = BASE.replace("https://idsvr.example/oauth/v2/oauth-token", "http://x/token")
    text = text.replace("DCR_T_SECRET", "DCR_T_UNSET").replace("client_id =", "clientid =")
    text += "\n[use]\ndpop = 1\n"
    path = write(keys, text)
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    keys_found = [p.key for p in info.value.problems]
    for key in (
        "server.token_endpoint",
        "main_clients.secret.clientid",
        "main_clients.secret.client_secret",
        "use.dpop",
    ):
        assert key in keys_found
    assert "main_clients.secret.client_id" not in keys_found  # the typo says it already
    text = str(info.value)
    assert text.splitlines()[0] == f"{path}: {len(info.value.problems)} problems:"
    assert info.value.file == path and info.value.key == info.value.problems[0].key


def test_error_messages_never_show_secret_values(keys):
    text = BASE.replace('client_secret = "${DCR_T_SECRET}"', 'client_secret = "s3cr3t-literal"\nclient_secret_file = "secret.txt"\nkid = 5')
    found = problems(keys, text)
    assert not any("s3cr3t-literal" in m or "file-secret-value" in m for m in found)


# -- Curity management extensions: [management_client], management_clients, read-write TTL ------

MANAGER = '\n[management_client]\nclient_id = "dcr-manager"\nauth_method = "client_secret_basic"\nclient_secret_file = "secret.txt"\n'


def test_management_client_and_read_write_ttl_load(keys):
    text = BASE + MANAGER + "\n[claims]\nmanagement_clients = true\nregistration_token_read_write_ttl_s = 8\n"
    p = load_profile(write(keys, text))
    assert p.management_client.client_id == "dcr-manager" and p.management_client.label == "management_client"
    assert p.management_client.client_secret == "file-secret-value" and "file-secret-value" in p.secrets()
    assert "file-secret-value" not in repr(p)
    assert p.claims.management_clients is True and p.claims.registration_token_read_write_ttl_s == 8
    defaults = load_profile(write(keys, BASE))
    assert defaults.management_client is None
    assert (defaults.claims.management_clients, defaults.claims.registration_token_read_write_ttl_s) == (False, None)


@pytest.mark.parametrize(
    "claims, expected",
    [
        ("registration_token_read_write_ttl_s = 0",
         "claims.registration_token_read_write_ttl_s: must be a positive number of seconds; "
         "e.g. registration_token_read_write_ttl_s = 2419200"),
        ('registration_token_read_write_ttl_s = "8"',
         "claims.registration_token_read_write_ttl_s: expected an integer, got a string; "
         "e.g. registration_token_read_write_ttl_s = 2419200"),
        ("management_clients = 1", "claims.management_clients: expected true or false, got an integer"),
        ("management_clients = true",
         "management_client: missing while claims.management_clients = true; add a [management_client] table"),
    ],
)
def test_management_claims_errors_name_the_key_and_the_fix(keys, claims, expected):
    assert one_problem(keys, BASE + "\n[claims]\n" + claims + "\n").startswith(expected)


def test_management_client_errors(keys):
    same_as_main = MANAGER.replace('"dcr-manager"', '"main-secret"')
    assert one_problem(keys, BASE + same_as_main).startswith(
        "management_client.client_id: is main_clients.secret's client_id; the management client must be another")
    typo = MANAGER.replace("client_secret_file", "client_secret_fil")
    found = problems(keys, BASE + typo)
    assert "management_client.client_secret_fil: unknown key; did you mean 'client_secret_file'?" in found
    broken = problems(keys, BASE + typo + "\n[claims]\nmanagement_clients = true\n")
    assert not any(m.startswith("management_client: missing") for m in broken)  # the table is there, wrong


# -- the HAAPI code flow: [code_flow], code_flow, refresh_token_dpop_bound -------------------------

CODE_FLOW = """
[code_flow]
authorization_endpoint = "https://idsvr.example/oauth/v2/oauth-authorize"
redirect_uri = "app:/callback"
scope = "openid profile"

[code_flow.fields]
userName = "${DCR_T_SECRET}"

[code_flow.field_files]
password = "secret.txt"
"""


def test_code_flow_section_and_claims_load(keys):
    text = BASE + CODE_FLOW + "\n[claims]\ncode_flow = true\nrefresh_token_dpop_bound = true\n"
    p = load_profile(write(keys, text))
    flow = p.code_flow
    assert flow.authorization_endpoint == "https://idsvr.example/oauth/v2/oauth-authorize"
    assert (flow.redirect_uri, flow.scope) == ("app:/callback", "openid profile")
    assert flow.fields == {"userName": "env-secret-value", "password": "file-secret-value"}
    assert {"env-secret-value", "file-secret-value"} <= set(p.secrets())
    assert "file-secret-value" not in repr(p) and "env-secret-value" not in repr(flow)
    assert p.claims.code_flow is True and p.claims.refresh_token_dpop_bound is True


def test_code_flow_defaults(keys):
    p = load_profile(write(keys, BASE))
    assert (p.claims.code_flow, p.claims.refresh_token_dpop_bound) == (False, False)
    assert (p.code_flow.authorization_endpoint, p.code_flow.redirect_uri, p.code_flow.scope) == (None, None, "openid")
    with_template = BASE.replace('scope = "urn:se:curity:scopes:haapi"\n',
                                 'scope = "urn:se:curity:scopes:haapi"\nredirect_uris = ["app:/one", "app:/two"]\n', 1)
    discovered = with_template.replace("[server]\n", '[server]\nissuer = "https://idsvr.example/oauth/v2/oauth-anonymous"\n')
    p = load_profile(write(keys, discovered + "\n[claims]\ncode_flow = true\n"))
    assert p.code_flow.redirect_uri == "app:/one" and p.code_flow.authorization_endpoint is None  # discovered later


@pytest.mark.parametrize(
    "extra, expected",
    [
        ('\n[code_flow]\nredirect_uri = "app:/cb"\n[claims]\ncode_flow = true\n',
         "code_flow.authorization_endpoint: missing while claims.code_flow = true; "
         'add authorization_endpoint = "https://idsvr.example/oauth/v2/oauth-authorize" (or server.issuer'),
        ('\n[code_flow]\nauthorization_endpoint = "https://x.example/a"\n[claims]\ncode_flow = true\n',
         "code_flow.redirect_uri: missing while claims.code_flow = true and template.redirect_uris is empty; "
         'add redirect_uri = "app:/callback"'),
        ('\n[code_flow]\nauthorization_endpoint = "http://x.example/a"\n',
         "code_flow.authorization_endpoint: must be an absolute https:// URL"),
        ('\n[code_flow]\nscope = " "\n', 'code_flow.scope: is empty; give the scope to ask the user for'),
        ('\n[code_flow]\nfields = "x"\n', "code_flow.fields: expected a table ([code_flow.fields]"),
        ('\n[code_flow.fields]\npin = 1234\n', "code_flow.fields.pin: expected a string, got an integer"),
        ('\n[code_flow.fields]\npin = "${DCR_T_UNSET}"\n',
         "code_flow.fields.pin: environment variable DCR_T_UNSET is not set"),
        ('\n[code_flow.field_files]\npassword = "nope.txt"\n', "code_flow.field_files.password: file not found"),
        ('\n[code_flow.field_files]\npassword = "empty.txt"\n',
         "code_flow.field_files.password: "),
        ('\n[code_flow.fields]\npassword = "a"\n[code_flow.field_files]\npassword = "secret.txt"\n',
         "code_flow.field_files.password: is also in code_flow.fields; give each field once"),
        ('\n[code_flow]\nredirect = "app:/cb"\n', "code_flow.redirect: unknown key; did you mean 'redirect_uri'?"),
        ("\n[claims]\nrefresh_token_dpop_bound = 1\n",
         "claims.refresh_token_dpop_bound: expected true or false, got an integer"),
    ],
    ids=["no-endpoint", "no-redirect", "http", "empty-scope", "fields-not-table", "field-not-string", "unset-var",
         "missing-file", "empty-file", "twice", "typo", "claim-type"],
)
def test_code_flow_errors_name_the_key_and_the_fix(keys, extra, expected):
    found = one_problem(keys, BASE + extra)
    assert found.startswith(expected), found
    if "empty.txt" in extra:
        assert found.endswith("empty.txt is empty; write the field's value into it"), found
    assert "env-secret-value" not in found and "file-secret-value" not in found


# -- Curity DCR GraphQL status API: [graphql], dcr_graphql_status ---------------------------------


def test_graphql_section_defaults_and_overrides(keys):
    p = load_profile(write(keys, BASE))
    assert p.claims.dcr_graphql_status is False
    assert (p.graphql.endpoint, p.graphql.scope, p.graphql.status_mutation) == (None, "dcrm", None)
    assert p.graphql_endpoint == "https://idsvr.example/token-service/oauth-registration/graphql"
    text = BASE + MANAGER + """
[graphql]
endpoint = "https://admin.idsvr.example/dcr/graphql"
scope = "dcrm admin"
status_mutation = "setDynamicallyRegisteredClientStatusById"
client_id_argument = "clientId"
status_argument = "status"

[claims]
dcr_graphql_status = true
"""
    p = load_profile(write(keys, text))
    assert p.claims.dcr_graphql_status is True and p.graphql_endpoint == "https://admin.idsvr.example/dcr/graphql"
    assert (p.graphql.scope, p.graphql.status_mutation, p.graphql.client_id_argument, p.graphql.status_argument) == (
        "dcrm admin", "setDynamicallyRegisteredClientStatusById", "clientId", "status")


@pytest.mark.parametrize(
    "extra, expected",
    [
        ("\n[claims]\ndcr_graphql_status = true\n",
         "management_client: missing while claims.dcr_graphql_status = true; add a [management_client] table"),
        ("\n[claims]\ndcr_graphql_status = 1\n", "claims.dcr_graphql_status: expected true or false, got an integer"),
        ('\n[graphql]\nendpoint = "http://idsvr.example/graphql"\n', "graphql.endpoint: must be an absolute https://"),
        ('\n[graphql]\nstatus_mutation = "set-status"\n',
         "graphql.status_mutation: 'set-status' is not a GraphQL name (letters, digits, _); "
         'e.g. status_mutation = "setDynamicallyRegisteredClientStatusById", or remove it'),
        ('\n[graphql]\nscope = " "\n', "graphql.scope: ' ' is not a space-separated scope"),
        ('\n[graphql]\nclient_id_arg = "id"\n', "graphql.client_id_arg: unknown key; did you mean 'client_id_argument'?"),
    ],
    ids=["no-manager", "claim-type", "http", "bad-name", "empty-scope", "typo"],
)
def test_graphql_errors_name_the_key_and_the_fix(keys, extra, expected):
    found = one_problem(keys, BASE + extra)
    assert found.startswith(expected), found


def test_graphql_claim_with_management_clients_reports_the_missing_table_once(keys):
    found = problems(keys, BASE + "\n[claims]\nmanagement_clients = true\ndcr_graphql_status = true\n")
    assert [m for m in found if m.startswith("management_client: missing")] == [found[0]] and len(found) == 1


# -- [registration]: what the app sends besides software_id (RFC 7591 §2) ----------------------

TEMPLATE_LESS = BASE.replace('[template]\nsoftware_id = "haapi-template"\nscope = "urn:se:curity:scopes:haapi"\n',
                             '[registration]\nredirect_uris = ["https://app.example/cb"]\n'
                             'grant_types = ["authorization_code", "client_credentials"]\n'
                             'scope = "openid"\n')


def test_template_less_profile(keys):
    p = load_profile(write(keys, TEMPLATE_LESS))
    assert p.template.software_id is None and not p.template.declared
    assert p.registration.members() == {"redirect_uris": ["https://app.example/cb"],
                                        "grant_types": ["authorization_code", "client_credentials"], "scope": "openid"}
    assert p.use.scope == "openid" and p.dynamic_auth_method == "client_secret_basic" and not p.sends_device_jwks


def test_registration_body_with_extensions_and_device_key(keys):
    text = BASE + textwrap.dedent("""
        [registration]
        client_name = "Example App"
        token_endpoint_auth_method = "client_secret_basic"
        device_jwks = true
        [registration.extensions]
        dpop_bound_access_tokens = true
        x_app = { flavour = "${DCR_T_SECRET}", tiers = [1, 2] }
        """)
    p = load_profile(write(keys, text))
    assert p.registration.members() == {"client_name": "Example App", "token_endpoint_auth_method": "client_secret_basic",
                                        "dpop_bound_access_tokens": True,
                                        "x_app": {"flavour": "env-secret-value", "tiers": [1, 2]}}
    assert p.sends_device_jwks and p.dynamic_auth_method == "client_secret_basic"
    assert p.template.software_id == "haapi-template"


def test_template_may_let_the_client_choose_its_method(keys):
    text = BASE.replace('scope = "urn', 'token_endpoint_auth_methods = ["client_secret_basic", "private_key_jwt"]\nscope = "urn', 1)
    msg = one_problem(keys, text)
    assert msg.startswith("registration.token_endpoint_auth_method: missing while template.token_endpoint_auth_methods "
                          'lets the client choose; add token_endpoint_auth_method = "client_secret_basic"')
    p = load_profile(write(keys, text + '\n[registration]\ntoken_endpoint_auth_method = "private_key_jwt"\n'))
    assert p.template.allowed_auth_methods == ("client_secret_basic", "private_key_jwt")
    assert p.dynamic_auth_method == "private_key_jwt" and p.sends_device_jwks
    chosen = text.replace("token_endpoint_auth_methods", 'token_endpoint_auth_method = "private_key_jwt"\ntoken_endpoint_auth_methods')
    assert load_profile(write(keys, chosen)).dynamic_auth_method == "private_key_jwt"


@pytest.mark.parametrize(
    "table, expected",
    [
        ('jwks = "x"', "registration.jwks: cannot be sent from the profile: the suite must hold each client's private "
                       "key; set device_jwks = true"),
        ('software_id = "x"', "registration.software_id: cannot be sent from the profile: the template is named in "
                              "one place; move it to [template] software_id"),
        ('redirect_uri = ["https://a.example/cb"]', "registration.redirect_uri: unknown key; did you mean 'redirect_uris'?"),
        ('client_name = 1', 'registration.client_name: expected a string, got an integer; e.g. client_name = "Example App"'),
        ('token_endpoint_auth_method = "tls_client_auth"',
         "registration.token_endpoint_auth_method: unsupported 'tls_client_auth'; use one of: client_secret_basic"),
        ('token_endpoint_auth_method = "private_key_jwt"',
         "registration.token_endpoint_auth_method: 'private_key_jwt' is not a method the template allows "
         "(client_secret_basic); choose one of them, or list it in template.token_endpoint_auth_methods"),
        ('scope = "openid urn:se:curity:scopes:haapi"',
         "registration.scope: ['openid'] not in template.scope 'urn:se:curity:scopes:haapi'; ask only for the template's scopes"),
        ('extensions = 3', "registration.extensions: expected a table ([registration.extensions] dpop_bound_access_tokens = true), got an integer"),
        ('[registration.extensions]\nscope = "openid"',
         "registration.extensions.scope: is RFC 7591 metadata the suite knows; give it as registration.scope"),
        ('[registration.extensions]\nwhen = 2024-01-01',
         "registration.extensions.when: a TOML date has no JSON form; write it as a string"),
        ('[registration.extensions]\nratio = nan', "registration.extensions.ratio: nan has no JSON form"),
    ],
)
def test_registration_problems(keys, table, expected):
    assert one_problem(keys, BASE + "\n[registration]\n" + table + "\n").startswith(expected)


def test_registration_within_the_template(keys):
    text = BASE.replace('scope = "urn', 'grant_types = ["client_credentials"]\nscope = "urn', 1)
    msg = one_problem(keys, text + '\n[registration]\ngrant_types = ["client_credentials", "password"]\n')
    assert msg == ("registration.grant_types: ['password'] not in template.grant_types ['client_credentials']; "
                   "send only what the template allows")


def test_template_less_registration_needs_redirect_uris_for_redirect_grants(keys):
    msg = one_problem(keys, TEMPLATE_LESS.replace('redirect_uris = ["https://app.example/cb"]\n', ""))
    assert msg.startswith("registration.redirect_uris: missing while the registration's grant_types redirect the user "
                          '(RFC 7591 §2); add redirect_uris = ["https://app.example/callback"], or grant_types = ')
    no_grants = TEMPLATE_LESS.replace('redirect_uris = ["https://app.example/cb"]\n', "").replace(
        'grant_types = ["authorization_code", "client_credentials"]\n', "")
    assert "grant_types default (authorization_code)" in one_problem(keys, no_grants)
    only_cc = no_grants.replace('scope = "openid"', 'grant_types = ["client_credentials"]')
    assert load_profile(write(keys, only_cc)).registration.grant_types == ("client_credentials",)


def test_private_key_jwt_needs_the_device_key(keys):
    text = TEMPLATE_LESS.replace('scope = "openid"\n',
                                 'scope = "openid"\ntoken_endpoint_auth_method = "private_key_jwt"\ndevice_jwks = false\n')
    assert one_problem(keys, text).startswith("registration.device_jwks: is false while the dynamic client uses "
                                              "private_key_jwt")


def test_neither_template_nor_registration(keys):
    text = BASE.replace('[template]\nsoftware_id = "haapi-template"\nscope = "urn:se:curity:scopes:haapi"\n', "")
    assert one_problem(keys, text).startswith("template: missing; add a [template] table (software_id = "
                                              '"haapi-template"), or a [registration] table')
