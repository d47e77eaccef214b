"""Use of the dynamic client (step 3): DPoP-bound token requests, nonces, the resource."""

from __future__ import annotations

import time

import pytest

from srv_kit import HAAPI, TEMPLATE_SCOPE, basic, dpop_proof, jkt, new_dpop_key, private_jwk


@pytest.fixture(scope="module")
def dyn(kit):
    return kit.new_client()


def test_dynamic_client_gets_a_dpop_token(kit, dyn):
    key = new_dpop_key()
    response = kit.dyn_token(dyn, key)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "DPoP"
    assert body["scope"] == HAAPI
    assert "refresh_token" not in body
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["DPoP-Nonce"]
    introspection = kit.introspect(body["access_token"]).json()
    assert introspection["active"] is True
    assert introspection["client_id"] == dyn.client_id
    assert introspection["cnf"] == {"jkt": jkt(key)}
    assert introspection["token_type"] == "DPoP"


def test_nonce_challenge(kit, dyn):
    response = kit.dyn_token(dyn, retry_nonce=False)
    assert response.status_code == 400
    assert response.json()["error"] == "use_dpop_nonce"
    assert len(response.headers.get_list("DPoP-Nonce")) == 1
    stale = kit.dyn_token(dyn, retry_nonce=False, proof_kwargs={"nonce": "stale-nonce"})
    assert stale.json()["error"] == "use_dpop_nonce"


def test_no_nonce_needed_when_disabled(make_server):
    k = make_server(dpop_nonce=False)
    d, key = k.new_client(), new_dpop_key()
    response = k.dyn_token(d, key, retry_nonce=False)
    assert response.status_code == 200
    assert "DPoP-Nonce" not in response.headers
    token = response.json()["access_token"]
    assert k.resource(token, key, retry_nonce=False).status_code == 200
    assert k.resource(token, new_dpop_key(), retry_nonce=False).status_code == 401


def test_proof_is_required(kit, dyn):
    response = kit.http().post(kit.token_url, data={"grant_type": "client_credentials"},
                               headers=basic(dyn.client_id, dyn.secret))
    assert response.status_code == 400
    assert response.json()["error"] in ("invalid_dpop_proof", "invalid_request")


def _bad(kit, dyn, **proof_kwargs):
    return kit.dyn_token(dyn, proof_kwargs=proof_kwargs)


@pytest.mark.parametrize("kwargs", [
    {"header": {"typ": "JWT"}},
    {"htm": "GET"},
    {"htu": "https://other.example/token"},
    {"iat": -600},  # seconds from now, taken when the test runs (not at collection)
    {"iat": +600},
    {"jti": ""},
], ids=["typ", "htm", "htu", "iat-past", "iat-future", "no-jti"])
def test_bad_proof_claims(kit, dyn, kwargs):
    if "iat" in kwargs:
        kwargs = {**kwargs, "iat": int(time.time()) + kwargs["iat"]}
    response = _bad(kit, dyn, **kwargs)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_dpop_proof"


def test_htu_ignores_query_and_fragment(kit, dyn):
    response = _bad(kit, dyn, htu=kit.token_url + "?x=1#frag")
    assert response.status_code == 200


def test_proof_signed_by_another_key(kit, dyn):
    assert _bad(kit, dyn, signing_key=new_dpop_key()).json()["error"] == "invalid_dpop_proof"


def test_private_jwk_and_symmetric_algs(kit, dyn):
    key = new_dpop_key()
    response = _bad(kit, dyn, header={"jwk": private_jwk(key)}, signing_key=key)
    assert response.json()["error"] == "invalid_dpop_proof"
    hs = _bad(kit, dyn, alg="HS256", signing_key=b"0123456789abcdef0123456789abcdef")
    assert hs.json()["error"] == "invalid_dpop_proof"
    from srv_kit import public_jwk, unsigned_jwt
    none = unsigned_jwt({"typ": "dpop+jwt", "alg": "none", "jwk": public_jwk(key)},
                        {"jti": "a", "htm": "POST", "htu": kit.token_url, "iat": int(time.time()),
                         "nonce": kit.nonce()})
    response = kit.http().post(kit.token_url, data={"grant_type": "client_credentials"},
                               headers={**basic(dyn.client_id, dyn.secret), "DPoP": none})
    assert response.json()["error"] == "invalid_dpop_proof"


def test_two_dpop_headers(kit, dyn):
    key, nonce = new_dpop_key(), kit.nonce()
    headers = [("DPoP", dpop_proof(key, "POST", kit.token_url, nonce=nonce)),
               ("DPoP", dpop_proof(key, "POST", kit.token_url, nonce=nonce))]
    headers += list(basic(dyn.client_id, dyn.secret).items())
    response = kit.http().post(kit.token_url, data={"grant_type": "client_credentials"},
                               headers=headers)
    assert response.status_code == 400
    assert response.json()["error"] in ("invalid_dpop_proof", "invalid_request")


def test_proof_jti_replay(kit, dyn):
    key, nonce = new_dpop_key(), kit.nonce()
    proof = dpop_proof(key, "POST", kit.token_url, nonce=nonce)
    headers = {**basic(dyn.client_id, dyn.secret), "DPoP": proof}
    data = {"grant_type": "client_credentials"}
    assert kit.http().post(kit.token_url, data=data, headers=headers).status_code == 200
    replay = kit.http().post(kit.token_url, data=data, headers=headers)
    assert replay.json()["error"] == "invalid_dpop_proof"


def test_scope_limits(kit, dyn):
    for scope in ("dcr", "profile", f"{HAAPI} dcr"):
        response = kit.dyn_token(dyn, scope=scope)
        assert response.status_code == 400 and response.json()["error"] == "invalid_scope"
    assert kit.dyn_token(dyn, scope=None).json()["scope"] == TEMPLATE_SCOPE


def test_wrong_dynamic_secret(kit, dyn):
    response = kit.dyn_token(dyn, secret="wrong")
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


# -- the resource (RFC 9449 §7) ---------------------------------------------------------------


@pytest.fixture(scope="module")
def bound(kit, dyn):
    key = new_dpop_key()
    response = kit.dyn_token(dyn, key)
    return response.json()["access_token"], key


def test_resource_with_a_valid_proof(kit, bound):
    token, key = bound
    response = kit.resource(token, key)
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == HAAPI


def test_resource_nonce_challenge(kit, bound):
    token, key = bound
    response = kit.resource(token, key, retry_nonce=False)
    assert response.status_code == 401
    assert 'error="use_dpop_nonce"' in response.headers["WWW-Authenticate"]
    assert response.headers["WWW-Authenticate"].startswith("DPoP")
    assert len(response.headers.get_list("DPoP-Nonce")) == 1


def test_resource_refuses_bearer_use_of_bound_token(kit, bound):
    token, _ = bound
    response = kit.resource(token, scheme="Bearer", proof=False)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("DPoP")


def test_resource_refuses_other_key_and_wrong_ath(kit, bound):
    token, key = bound
    other = kit.resource(token, new_dpop_key())
    assert other.status_code == 401
    assert 'error="invalid_dpop_proof"' in other.headers["WWW-Authenticate"]
    wrong_ath = kit.resource(token, key, ath="AAAA")
    assert wrong_ath.status_code == 401
    no_proof = kit.resource(token, proof=False)
    assert no_proof.status_code == 401


def test_resource_without_token(kit):
    response = kit.http().get(kit.cfg.resource_url)
    assert response.status_code == 401
    assert "error=" not in response.headers["WWW-Authenticate"]


def test_resource_needs_the_haapi_scope(kit):
    token = kit.token("basic", scope="openid").json()["access_token"]
    response = kit.resource(token, scheme="Bearer", proof=False)
    assert response.status_code == 403


def test_resource_refuses_garbage_token(kit):
    response = kit.resource("garbage", new_dpop_key())
    assert response.status_code == 401


def test_proof_with_an_unknown_critical_extension(kit, dyn):
    """RFC 7515 §4.1.11: a proof whose crit names an unknown extension is invalid."""
    response = _bad(kit, dyn, header={"crit": ["urn:example:unknown"], "urn:example:unknown": True})
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_dpop_proof"


def test_resource_refuses_a_nonce_it_never_issued(kit, bound):
    """RFC 9449 §9: an invalid (or stale) nonce gets 401 use_dpop_nonce with a fresh DPoP-Nonce."""
    token, key = bound
    response = kit.resource(token, key, nonce="stale-nonce-never-issued", retry_nonce=False)
    assert response.status_code == 401
    assert 'error="use_dpop_nonce"' in response.headers["WWW-Authenticate"]
    fresh = response.headers["DPoP-Nonce"]
    assert kit.resource(token, key, nonce=fresh, retry_nonce=False).status_code == 200
