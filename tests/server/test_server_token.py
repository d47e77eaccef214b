"""Token endpoint: client_credentials with every main-client authentication method (step 1)."""

from __future__ import annotations

import base64
import json
import time

import httpx
import pytest

from srv_kit import JWT_BEARER, assertion, basic, load_key, unsigned_jwt

MAIN_LABELS = ["basic", "post", "hs256", "es256", "rs256", "ps256", "mtls", "selfsigned"]


@pytest.mark.parametrize("label", MAIN_LABELS)
def test_every_main_client_gets_an_initial_token(kit, label):
    response = kit.token(label)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "dcr"
    assert body["expires_in"] == 300
    assert "refresh_token" not in body
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"
    assert response.headers["Content-Type"].startswith("application/json")
    header = json.loads(base64.urlsafe_b64decode(body["access_token"].split(".")[0] + "=="))
    assert body["access_token"].count(".") == 2 and header == {"alg": "ES256", "typ": "at+jwt", "kid": "reference-sig-1"}


def test_basic_secret_needs_form_decoding(kit):
    secret = kit.client("basic").secret
    assert any(ch in secret for ch in ":+%")
    raw = base64.b64encode(f"main-basic:{secret}".encode()).decode()  # not form-encoded
    response = kit.http().post(kit.token_url, data={"grant_type": "client_credentials"},
                               headers={"Authorization": f"Basic {raw}"})
    assert response.status_code == 401


def test_wrong_basic_secret_is_401_with_challenge(kit):
    response = kit.http().post(kit.token_url, data={"grant_type": "client_credentials"},
                               headers=basic("main-basic", "wrong"))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_wrong_post_secret_is_invalid_client(kit):
    response = kit.http().post(kit.token_url, data={
        "grant_type": "client_credentials", "client_id": "main-post", "client_secret": "x"})
    assert response.status_code in (400, 401)
    assert response.json()["error"] == "invalid_client"


def test_two_authentication_methods_are_refused(kit):
    basic_client = kit.client("basic")
    response = kit.http().post(kit.token_url, headers=basic("main-basic", basic_client.secret),
                               data={"grant_type": "client_credentials",
                                     "client_secret": basic_client.secret})
    assert response.status_code in (400, 401)
    assert response.json()["error"] in ("invalid_request", "invalid_client")


def test_public_client_style_request_is_refused(kit):
    response = kit.http().post(kit.token_url, data={"grant_type": "client_credentials",
                                                    "client_id": "main-basic"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_no_credentials_at_all(kit):
    response = kit.http().post(kit.token_url, data={"grant_type": "client_credentials"})
    assert response.status_code == 401


def test_scope_without_dcr_gets_no_dcr(kit):
    response = kit.token("basic", scope="openid")
    assert response.status_code == 200
    assert response.json()["scope"] == "openid"
    no_scope = kit.token("basic", scope=None)
    assert no_scope.json()["scope"] == "openid"


def test_unlisted_client_cannot_get_dcr(kit):
    response = kit.token("unlisted", scope="dcr")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"
    assert kit.token("unlisted", scope="openid").status_code == 200


def test_unknown_scope_is_invalid_scope(kit):
    response = kit.token("basic", scope="dcr admin")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


@pytest.mark.parametrize("form,error", [
    ({"grant_type": "password"}, "unsupported_grant_type"),
    ({}, "invalid_request"),
])
def test_grant_type_errors(kit, form, error):
    headers, _, _ = kit.auth_for("basic")
    response = kit.http().post(kit.token_url, data=form, headers=headers)
    assert response.status_code == 400
    assert response.json()["error"] == error


def test_form_content_type_and_repeated_parameters(kit):
    headers, _, _ = kit.auth_for("basic")
    as_json = kit.http().post(kit.token_url, json={"grant_type": "client_credentials"},
                              headers=headers)
    assert as_json.status_code == 400
    repeated = kit.http().post(kit.token_url, headers={
        **headers, "Content-Type": "application/x-www-form-urlencoded"},
        content=b"grant_type=client_credentials&scope=dcr&scope=dcr")
    assert repeated.status_code == 400 and repeated.json()["error"] == "invalid_request"


def test_get_on_token_endpoint_is_405(kit):
    assert kit.http().get(kit.token_url).status_code == 405


# -- RFC 7523 client assertions ---------------------------------------------------------------


def _post_assertion(kit, token: str, **form):
    return kit.http().post(kit.token_url, data={
        "grant_type": "client_credentials", "scope": "dcr",
        "client_assertion_type": JWT_BEARER, "client_assertion": token, **form})


def _es256(kit, **overrides):
    private, _ = kit.pki.jwt_key("ES256")
    return assertion("main-es256", load_key(private), "ES256", kit.token_url,
                     kid="main-es256-key", **overrides)


def test_assertion_audience_may_be_the_issuer(kit):
    assert _post_assertion(kit, _es256(kit, aud=kit.cfg.issuer)).status_code == 200
    assert _post_assertion(kit, _es256(kit, aud=["x", kit.token_url])).status_code == 200


@pytest.mark.parametrize("overrides", [
    {"exp": int(time.time()) - 300},
    {"exp": None},
    {"exp": int(time.time()) + 86_400},
    {"aud": "https://other.example/token"},
    {"aud": None},
    {"sub": "main-rs256"},
    {"iss": "someone-else"},
    {"jti": None},
    {"nbf": int(time.time()) + 3600},
    {"iat": int(time.time()) + 3600},
], ids=["expired", "no-exp", "exp-too-far", "wrong-aud", "no-aud", "sub-not-client",
        "iss-not-sub", "no-jti", "nbf-future", "iat-future"])
def test_bad_assertion_claims_are_invalid_client(kit, overrides):
    response = _post_assertion(kit, _es256(kit, **overrides))
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_client"


def test_assertion_by_unknown_key_or_kid(kit):
    from cryptography.hazmat.primitives.asymmetric import ec
    stranger = ec.generate_private_key(ec.SECP256R1())
    token = assertion("main-es256", stranger, "ES256", kit.token_url)
    assert _post_assertion(kit, token).status_code == 401
    unknown_kid = assertion("main-es256", load_key(kit.pki.jwt_key("ES256")[0]), "ES256",
                            kit.token_url, kid="unknown-kid")
    assert _post_assertion(kit, unknown_kid).status_code == 401
    # another main client's key
    rs = assertion("main-es256", load_key(kit.pki.jwt_key("RS256")[0]), "RS256", kit.token_url)
    assert _post_assertion(kit, rs).status_code == 401


def test_alg_none_is_refused(kit):
    now = int(time.time())
    token = unsigned_jwt({"alg": "none"}, {"iss": "main-es256", "sub": "main-es256",
                                           "aud": kit.token_url, "exp": now + 60, "jti": "n1"})
    assert _post_assertion(kit, token).status_code == 401


def test_hs256_with_the_public_key_is_refused(kit):
    _, public = kit.pki.jwt_key("ES256")
    now = int(time.time())
    import hashlib
    import hmac
    import json
    from srv_kit import b64url
    head = b64url(json.dumps({"alg": "HS256"}).encode())
    body = b64url(json.dumps({"iss": "main-es256", "sub": "main-es256", "aud": kit.token_url,
                              "exp": now + 60, "jti": "h1"}).encode())
    sig = b64url(hmac.new(public.read_bytes(), f"{head}.{body}".encode(), hashlib.sha256).digest())
    assert _post_assertion(kit, f"{head}.{body}.{sig}").status_code == 401


def test_body_client_id_must_match_assertion(kit):
    assert _post_assertion(kit, _es256(kit), client_id="main-es256").status_code == 200
    response = _post_assertion(kit, _es256(kit), client_id="main-rs256")
    assert response.status_code == 401


def test_two_assertions_are_refused(kit):
    token = _es256(kit)
    both = kit.http().post(kit.token_url, headers={
        "Content-Type": "application/x-www-form-urlencoded"},
        content=(f"grant_type=client_credentials&client_assertion_type={JWT_BEARER}"
                 f"&client_assertion={token}&client_assertion={_es256(kit)}").encode())
    assert both.status_code == 400
    joined = _post_assertion(kit, f"{token} {token}")
    assert joined.status_code in (400, 401)


def test_assertion_type_is_required(kit):
    response = kit.http().post(kit.token_url, data={"grant_type": "client_credentials",
                                                    "client_assertion": _es256(kit)})
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_assertion_replay_is_refused(kit):
    token = _es256(kit)
    assert _post_assertion(kit, token).status_code == 200
    replay = _post_assertion(kit, token)
    assert replay.status_code == 401 and replay.json()["error"] == "invalid_client"


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_client_secret_jwt_wrong_secret_and_alg(kit):
    bad = assertion("main-hs256", b"not-the-secret-not-the-secret-32", "HS256", kit.token_url)
    assert _post_assertion(kit, bad).status_code == 401
    secret = kit.client("hs256").secret.encode()
    wrong_alg = assertion("main-hs256", secret, "HS384", kit.token_url)
    assert _post_assertion(kit, wrong_alg).status_code == 401


# -- RFC 8705 mutual TLS ----------------------------------------------------------------------


def _mtls(kit, identity, client_id="main-mtls"):
    form = {"grant_type": "client_credentials", "scope": "dcr"}
    if client_id:
        form["client_id"] = client_id
    return kit.http(identity).post(kit.token_url, data=form)


def test_tls_client_auth_needs_client_id(kit):
    assert _mtls(kit, "mtls").status_code == 200
    assert _mtls(kit, "mtls", client_id=None).status_code in (400, 401)


def test_tls_client_auth_negatives(kit):
    assert _mtls(kit, None).status_code == 401  # no certificate
    wrong_dn = _mtls(kit, "other_dn")
    assert wrong_dn.status_code == 401 and wrong_dn.json()["error"] == "invalid_client"
    # The pinned self-signed cert is a TLS trust anchor, but not the CA: refused in the app.
    assert _mtls(kit, "selfsigned").status_code == 401
    with pytest.raises(httpx.TransportError):  # rogue CA: refused at the handshake
        _mtls(kit, "rogue")


def test_self_signed_client_auth(kit):
    assert _mtls(kit, "selfsigned", "main-selfsigned").status_code == 200
    assert _mtls(kit, "mtls", "main-selfsigned").status_code == 401
    with pytest.raises(httpx.TransportError):  # unregistered self-signed: handshake fails
        _mtls(kit, "other_selfsigned", "main-selfsigned")


def test_secret_client_cannot_use_a_certificate(kit):
    assert _mtls(kit, "mtls", "main-basic").status_code == 401


def test_assertion_with_an_unknown_critical_extension_is_refused(kit):
    """RFC 7515 §4.1.11: a crit extension the server does not understand makes the JWS invalid."""
    token = _es256(kit, headers={"crit": ["urn:example:unknown"], "urn:example:unknown": True})
    response = _post_assertion(kit, token)
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_client"


def test_main_clients_get_the_haapi_scope_only_with_attestation(kit):
    """The main clients are attestation-configured: without attestation no HAAPI scope (DCR-USE-009)."""
    response = kit.token("basic", scope="urn:se:curity:scopes:haapi")
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "unauthorized_client"
    assert kit.token("introspector", scope="urn:se:curity:scopes:haapi").json()["error"] == "invalid_scope"
