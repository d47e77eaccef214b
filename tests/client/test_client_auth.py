"""Client authentication: all six methods, Basic encoding (RFC 6749 App. B), negatives' knobs."""

from __future__ import annotations

import base64
from urllib.parse import unquote_plus

import jwt
import pytest

from conformance.client.auth import authenticate, basic_credentials, form_urlencode
from conformance.client.fields import OMIT
from conformance.client.http import RequestSpec, TlsIdentity
from conformance.client.jose import ASSERTION_TYPE, decode_unverified
from conformance.client.registration import DynamicClient


TOKEN = "https://as.example/oauth/v2/oauth-token"


def base():
    return RequestSpec("POST", TOKEN, {"Accept": "application/json"}, form={"grant_type": "client_credentials"})


def decode_basic(header: str) -> tuple[str, str]:
    scheme, _, creds = header.partition(" ")
    assert scheme == "Basic"
    user, _, password = base64.b64decode(creds).decode().partition(":")
    return unquote_plus(user), unquote_plus(password)


@pytest.mark.parametrize("secret", ["a:b", "p+q", "100%", "sp ace", "ü~*", "a:b+c%d e"])
def test_basic_form_urlencodes_before_base64(secret):
    header = basic_credentials("client:id", secret)
    raw = base64.b64decode(header.split(" ", 1)[1]).decode()
    user, _, password = raw.partition(":")
    assert ":" not in password and ":" not in user  # the only ':' is the separator
    assert "+" not in password.replace("+", "") or " " in secret
    assert unquote_plus(user) == "client:id" and unquote_plus(password) == secret


def test_form_urlencode_is_appendix_b():
    assert form_urlencode("a b:c+d%e~f*g.h-i_j") == "a+b%3Ac%2Bd%25e%7Ef*g.h-i_j"


def test_client_secret_basic(profile):
    MAIN_SECRET = profile.main_clients["secret"].client_secret
    assert ":" in MAIN_SECRET and "+" in MAIN_SECRET and "%" in MAIN_SECRET
    spec = base()
    out = authenticate(spec, profile.main_clients["secret"])
    assert decode_basic(out.header("Authorization")) == ("main-secret", MAIN_SECRET)
    assert out.form_value("client_secret") is None and out.form_value("client_id") is None
    assert spec.header("Authorization") is None  # input untouched


def test_client_secret_post(profile):
    out = authenticate(base(), profile.main_clients["post"])
    FILE_SECRET = profile.main_clients["post"].client_secret
    assert out.form_value("client_id") == "main-post" and out.form_value("client_secret") == FILE_SECRET
    assert out.header("Authorization") is None and out.form_value("grant_type") == "client_credentials"


def test_secret_override(profile):
    out = authenticate(base(), profile.main_clients["secret"], secret_override="wrong")
    assert decode_basic(out.header("Authorization"))[1] == "wrong"


def test_client_secret_jwt(profile):
    MAIN_SECRET = profile.main_clients["hs"].client_secret
    out = authenticate(base(), profile.main_clients["hs"], audience=TOKEN)
    assert out.form_value("client_assertion_type") == ASSERTION_TYPE
    assert out.form_value("client_id") == "main-hs"
    claims = jwt.decode(out.form_value("client_assertion"), MAIN_SECRET, algorithms=["HS256"], audience=TOKEN)
    assert claims["iss"] == claims["sub"] == "main-hs"


def test_private_key_jwt_es256_with_kid(profile, pki):
    out = authenticate(base(), profile.main_clients["jwt"], audience=TOKEN)
    token = out.form_value("client_assertion")
    assert jwt.get_unverified_header(token) == {"alg": "ES256", "typ": "JWT", "kid": "k1"}
    claims = jwt.decode(token, pki.ec_key.public_key(), algorithms=["ES256"], audience=TOKEN)
    assert claims["sub"] == "main-jwt"


def test_private_key_jwt_ps256_default_audience_is_url(profile, pki):
    spec = base().replace(url=TOKEN + "?x=1")
    token = authenticate(spec, profile.main_clients["rsa"]).form_value("client_assertion")
    assert jwt.decode(token, pki.rsa_key.public_key(), algorithms=["PS256"], audience=TOKEN)["iss"] == "main-rsa"


def test_assertion_overrides_reach_the_assertion(profile):
    out = authenticate(
        base(),
        profile.main_clients["jwt"],
        audience=TOKEN,
        assertion_overrides={"aud": "https://wrong", "jti": OMIT, "alg": "none", "kid": OMIT},
        include_client_id=False,
    )
    header, claims = decode_unverified(out.form_value("client_assertion"))
    assert header == {"alg": "none", "typ": "JWT"} and claims["aud"] == "https://wrong" and "jti" not in claims
    assert out.form_value("client_id") is None


def test_tls_client_auth_sets_identity_and_client_id(profile, pki):
    out = authenticate(base(), profile.main_clients["mtls"])
    assert out.identity == TlsIdentity(pki.client_cert, pki.client_key)
    assert out.form_value("client_id") == "main-mtls" and out.header("Authorization") is None


def test_self_signed_tls_client_auth(pki):
    client = DynamicClient("c1", auth_method="self_signed_tls_client_auth")
    client.certificate = pki.client_cert  # any object with the attributes works
    client.private_key = pki.client_key
    out = authenticate(base(), client)
    assert out.identity.cert_path == pki.client_cert and out.form_value("client_id") == "c1"


def test_dynamic_client_methods(pki):
    dyn = DynamicClient("dyn-1", client_secret="dyn:secret+1")
    assert decode_basic(authenticate(base(), dyn).header("Authorization")) == ("dyn-1", "dyn:secret+1")
    dyn.auth_method = "client_secret_post"
    assert authenticate(base(), dyn).form_value("client_secret") == "dyn:secret+1"
    byok = DynamicClient("dyn-2", auth_method="private_key_jwt", private_key=pki.ec_key)
    token = authenticate(base(), byok, audience=TOKEN).form_value("client_assertion")
    assert jwt.decode(token, pki.ec_key.public_key(), algorithms=["ES256"], audience=TOKEN)["sub"] == "dyn-2"


def test_missing_material_raises_clear_errors():
    with pytest.raises(ValueError, match="no client_secret"):
        authenticate(base(), DynamicClient("d"))
    with pytest.raises(ValueError, match="unsupported auth_method 'none'"):
        authenticate(base(), DynamicClient("d", auth_method="none"))
