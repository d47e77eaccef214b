"""Registration endpoint: templatized RFC 7591 registration with the initial token (step 2)."""

from __future__ import annotations

import time

import pytest

from srv_kit import HAAPI, TEMPLATE_SCOPE, new_dpop_key, public_jwk


def test_registration_response(kit):
    before = time.time()
    response = kit.register()
    assert response.status_code == 201, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert body["client_id"].startswith("dyn-")
    assert body["client_secret"]
    assert body["client_secret_expires_at"] == 0
    assert abs(body["client_id_issued_at"] - before) < 5
    assert body["registration_access_token"]
    assert body["registration_client_uri"] == (
        f"{kit.cfg.registration_endpoint}/{body['client_id']}")
    assert body["registration_access_token_expires_in"] == 31_536_000
    assert body["software_id"] == "haapi-template"
    assert body["scope"] == TEMPLATE_SCOPE
    assert body["grant_types"] == ["authorization_code", "client_credentials", "refresh_token"]
    assert body["response_types"] == ["code"]
    assert body["redirect_uris"] == ["https://app.example/callback", "com.example.app:/callback"]
    assert body["token_endpoint_auth_method"] == "client_secret_basic"
    assert body["dpop_bound_access_tokens"] is True


def test_each_registration_is_unique(kit):
    a, b = kit.new_client(), kit.new_client()
    assert a.client_id != b.client_id and a.secret != b.secret and a.rat != b.rat


@pytest.mark.parametrize("label", ["post", "es256", "mtls", "selfsigned"])
def test_every_main_client_can_register(kit, label):
    dyn = kit.new_client(label=label)
    assert kit.srv.store.get_client(dyn.client_id).initial_client == kit.client(label).client_id


def test_optional_metadata_within_the_template(kit):
    response = kit.register(body={"software_id": "haapi-template", "client_name": "My phone",
                                  "redirect_uris": ["com.example.app:/callback"],
                                  "scope": HAAPI, "grant_types": ["client_credentials"],
                                  "unknown_field": {"nested": [1, 2]}})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["client_name"] == "My phone"
    assert body["redirect_uris"] == ["com.example.app:/callback"]
    assert "unknown_field" not in body  # RFC 7591 §2: ignored


def test_token_is_single_use(kit):
    token = kit.initial_token()
    assert kit.register(token).status_code == 201
    count = kit.srv.store.count_clients()
    again = kit.register(token)
    assert again.status_code == 401
    assert again.headers["WWW-Authenticate"].startswith("Bearer")
    assert 'error="invalid_token"' in again.headers["WWW-Authenticate"]
    assert kit.srv.store.count_clients() == count


def test_failed_registration_does_not_consume_the_token(kit):
    token = kit.initial_token()
    assert kit.register(token, body={"software_id": "nope"}).status_code == 400
    assert kit.register(token).status_code == 201


def test_missing_garbage_and_wrong_scheme_tokens(kit):
    url = kit.cfg.registration_endpoint
    missing = kit.http().post(url, json={"software_id": "haapi-template"})
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert "error=" not in missing.headers["WWW-Authenticate"]
    garbage = kit.register("garbage-token")
    assert garbage.status_code == 401 and garbage.json()["error"] == "invalid_token"
    basic = kit.http().post(url, json={"software_id": "haapi-template"},
                            headers={"Authorization": "Basic Zm9vOmJhcg=="})
    assert basic.status_code == 401


def test_expired_token(make_server):
    k = make_server(initial_token_ttl_s=60)
    token = k.initial_token()
    assert k.introspect(token).json()["active"] is True
    k.srv.context.clock = lambda: time.time() + 61  # the server's clock, not a sleep
    assert k.introspect(token).json() == {"active": False}
    response = k.register(token)
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_token_without_dcr_is_insufficient_scope(kit):
    response = kit.register(kit.token(scope="openid").json()["access_token"])
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize("body,error", [
    ({"software_id": "does-not-exist"}, "invalid_client_metadata"),
    ({"software_id": "other-template"}, "invalid_client_metadata"),
    ({}, "invalid_client_metadata"),
    ({"software_id": 7}, "invalid_client_metadata"),
    ({"software_id": "haapi-template", "scope": "openid profile admin"}, "invalid_client_metadata"),
    ({"software_id": "haapi-template", "scope": "dcr"}, "invalid_client_metadata"),
    ({"software_id": "haapi-template", "grant_types": ["password"]}, "invalid_client_metadata"),
    ({"software_id": "haapi-template", "response_types": ["token"]}, "invalid_client_metadata"),
    ({"software_id": "haapi-template", "token_endpoint_auth_method": "none"},
     "invalid_client_metadata"),
    ({"software_id": "haapi-template", "redirect_uris": ["https://evil.example/cb"]},
     "invalid_redirect_uri"),
    ({"software_id": "haapi-template", "redirect_uris": ["/callback"]}, "invalid_redirect_uri"),
    ({"software_id": "haapi-template", "redirect_uris": ["https://app.example/callback#x"]},
     "invalid_redirect_uri"),
    ({"software_id": "haapi-template", "redirect_uris": ["http://app.example/callback"]},
     "invalid_redirect_uri"),
    ({"software_id": "haapi-template", "redirect_uris": "https://app.example/callback"},
     "invalid_client_metadata"),
    ({"software_id": "haapi-template", "redirect_uris": [{"a": 1}]}, "invalid_client_metadata"),
    ({"software_id": "haapi-template", "scope": ["x"]}, "invalid_client_metadata"),
    ({"software_id": "haapi-template", "client_name": {"x": 1}}, "invalid_client_metadata"),
    ({"software_id": "haapi-template", "jwks": {"keys": []}, "jwks_uri": "https://a.example/j"},
     "invalid_client_metadata"),
    ({"software_id": "haapi-template", "software_statement": "garbage"},
     "invalid_software_statement"),
    ({"software_id": "haapi-template", "software_statement": 12},
     "invalid_software_statement"),
    ({"software_id": "haapi-template", "dpop_bound_access_tokens": False},
     "invalid_client_metadata"),
])
def test_metadata_errors(kit, body, error):
    count = kit.srv.store.count_clients()
    response = kit.register(body=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == error
    assert kit.srv.store.count_clients() == count


def test_well_formed_but_untrusted_software_statement(kit):
    from srv_kit import unsigned_jwt
    response = kit.register(body={"software_id": "haapi-template",
                                  "software_statement": unsigned_jwt({"alg": "none"}, {"a": 1})})
    assert response.status_code == 400
    assert response.json()["error"] == "unapproved_software_statement"


@pytest.mark.parametrize("content,content_type", [
    (b'{"software_id": "haapi-template"', "application/json"),
    (b"\xff\xfe", "application/json"),
    (b'[1, 2]', "application/json"),
    (b'{"software_id": NaN}', "application/json"),
    (b"[" * 5000 + b"]" * 5000, "application/json"),
    (b"software_id=haapi-template", "application/x-www-form-urlencoded"),
    (b'{"software_id": "haapi-template"}', "text/plain"),
])
def test_malformed_bodies_are_400_json(kit, content, content_type):
    response = kit.http().post(kit.cfg.registration_endpoint, content=content, headers={
        "Authorization": f"Bearer {kit.initial_token()}", "Content-Type": content_type})
    assert response.status_code in (400, 415)
    assert response.json()["error"] in ("invalid_request", "invalid_client_metadata")


def test_registration_endpoint_only_takes_post(kit):
    response = kit.http().get(kit.cfg.registration_endpoint)
    assert response.status_code == 405


def test_plain_http_is_refused(kit):
    import httpx
    url = kit.cfg.registration_endpoint.replace("https://", "http://")
    response = httpx.post(url, json={"software_id": "haapi-template"}, timeout=5)
    assert response.status_code == 400
    assert kit.srv.store is not None


def test_byok_template(kit):
    key = new_dpop_key()
    jwk = {**public_jwk(key), "kid": "device-1"}
    response = kit.register(body={"software_id": "haapi-byok-template",
                                  "jwks": {"keys": [jwk]}})
    assert response.status_code == 201, response.text
    body = response.json()
    assert "client_secret" not in body and "client_secret_expires_at" not in body
    assert body["token_endpoint_auth_method"] == "private_key_jwt"
    assert body["jwks"] == {"keys": [jwk]}

    from srv_kit import JWT_BEARER, assertion, dpop_proof
    form = {"grant_type": "client_credentials", "scope": HAAPI,
            "client_assertion_type": JWT_BEARER}
    nonce = None
    for _ in range(2):
        form["client_assertion"] = assertion(body["client_id"], key, "ES256", kit.token_url,
                                             kid="device-1")
        proof = dpop_proof(new_dpop_key(), "POST", kit.token_url, nonce=nonce)
        token = kit.http().post(kit.token_url, data=form, headers={"DPoP": proof})
        if token.status_code == 400 and token.json()["error"] == "use_dpop_nonce":
            nonce = token.headers["DPoP-Nonce"]
            continue
        break
    assert token.status_code == 200, token.text
    assert token.json()["token_type"] == "DPoP"


@pytest.mark.parametrize("jwks", [
    None,
    {"keys": []},
    {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]},
    "private",
])
def test_byok_template_needs_public_jwks(kit, jwks):
    body = {"software_id": "haapi-byok-template"}
    if jwks == "private":
        from srv_kit import private_jwk
        jwks = {"keys": [private_jwk(new_dpop_key())]}
    if jwks is not None:
        body["jwks"] = jwks
    response = kit.register(body=body)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client_metadata"


def test_dpop_bound_initial_token(kit):
    from srv_kit import dpop_proof
    key = new_dpop_key()
    url = kit.token_url
    first = kit.token("basic", headers={"DPoP": dpop_proof(key, "POST", url)})
    assert first.status_code == 400 and first.json()["error"] == "use_dpop_nonce"
    nonce = first.headers["DPoP-Nonce"]
    response = kit.token("basic", headers={"DPoP": dpop_proof(key, "POST", url, nonce=nonce)})
    assert response.status_code == 200 and response.json()["token_type"] == "DPoP"
    token = response.json()["access_token"]
    assert kit.register(token).status_code == 401  # presented as Bearer
    reg = kit.cfg.registration_endpoint
    ok = kit.http().post(reg, json={"software_id": "haapi-template"}, headers={
        "Authorization": f"DPoP {token}",
        "DPoP": dpop_proof(key, "POST", reg, access_token=token)})
    assert ok.status_code == 201, ok.text
