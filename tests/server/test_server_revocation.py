"""RFC 7009 revocation and RFC 7662 introspection."""

from __future__ import annotations

from srv_kit import HAAPI


def test_introspect_initial_token(kit):
    token = kit.initial_token()
    body = kit.introspect(token).json()
    assert body["active"] is True
    assert body["scope"] == "dcr"
    assert body["client_id"] == "main-basic"
    assert body["token_type"] == "Bearer"
    assert body["exp"] > body["iat"]
    assert "cnf" not in body
    kit.register(token)
    assert kit.introspect(token).json() == {"active": False}  # consumed


def test_introspection_needs_authentication(kit):
    response = kit.introspect(kit.initial_token(), auth=False)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_introspection_by_other_clients_only_sees_own_tokens(kit):
    token = kit.initial_token("basic")
    assert kit.introspect(token, "basic").json()["active"] is True
    assert kit.introspect(token, "post").json() == {"active": False}


def test_introspection_with_every_method(kit):
    token = kit.initial_token("es256")
    assert kit.introspect(token, "es256").json()["active"] is True


def test_introspect_unknown_token(kit):
    response = kit.introspect("nope")
    assert response.status_code == 200 and response.json() == {"active": False}


def test_revoke_own_token(kit):
    dyn = kit.new_client()
    token = kit.dyn_token(dyn).json()["access_token"]
    response = kit.revoke(token, dyn=dyn)
    assert response.status_code == 200
    assert kit.introspect(token).json() == {"active": False}


def test_revoke_unknown_token_is_200(kit):
    assert kit.revoke("unknown-token").status_code == 200


def test_revoke_other_clients_token_is_refused(kit):
    a, b = kit.new_client(), kit.new_client()
    token = kit.dyn_token(b).json()["access_token"]
    response = kit.revoke(token, dyn=a)
    assert 400 <= response.status_code < 500
    assert kit.introspect(token).json()["active"] is True


def test_revoked_initial_token_cannot_register(kit):
    token = kit.initial_token()
    assert kit.revoke(token, label="basic").status_code == 200
    assert kit.register(token).status_code == 401


def test_revocation_needs_authentication_and_token(kit):
    url = kit.cfg.revocation_endpoint
    assert kit.http().post(url, data={"token": "x"}).status_code == 401
    headers, _, _ = kit.auth_for("basic")
    missing = kit.http().post(url, data={}, headers=headers)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"


def test_dynamic_client_introspects_its_own_token(kit):
    dyn = kit.new_client()
    token = kit.dyn_token(dyn).json()["access_token"]
    body = kit.introspect(token, dyn=dyn).json()
    assert body["active"] is True and body["scope"] == HAAPI
