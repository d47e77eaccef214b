"""RFC 7592 management: read, update, delete with the registration access token."""

from __future__ import annotations

import pytest

from srv_kit import HAAPI, TEMPLATE_SCOPE, adopt, new_dpop_key

FORBIDDEN = ("registration_access_token", "registration_client_uri", "client_secret_expires_at",
             "client_id_issued_at")


def _put_body(dyn, **changes) -> dict:
    body = {k: v for k, v in dyn.body.items() if k not in FORBIDDEN
            and k not in ("client_secret", "registration_access_token_expires_in")}
    body.update(changes)
    return body


def test_read_rotates_by_default(kit):
    dyn = kit.new_client()
    response = kit.manage("GET", dyn)
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert body["client_id"] == dyn.client_id
    assert body["scope"] == TEMPLATE_SCOPE and body["software_id"] == "haapi-template"
    assert body["client_secret"] != dyn.secret
    assert body["registration_access_token"] != dyn.rat
    new = adopt(dyn, response)
    assert kit.manage("GET", dyn).status_code == 401  # old RAT
    assert kit.dyn_token(dyn).status_code == 401  # old secret
    assert kit.dyn_token(new).status_code == 200  # new secret
    assert kit.manage("GET", new).status_code == 200


def test_read_without_rotation(make_server):
    k = make_server(rotate_on_read=False)
    dyn = k.new_client()
    for _ in range(2):
        response = k.manage("GET", dyn)
        assert response.status_code == 200
        body = response.json()
        assert "client_secret" not in body
        assert body["registration_access_token"] == dyn.rat
    assert k.dyn_token(dyn).status_code == 200


def test_missing_and_foreign_tokens(kit):
    a, b = kit.new_client(), kit.new_client()
    missing = kit.manage("GET", a, rat="")
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert "error=" not in missing.headers["WWW-Authenticate"]
    foreign = kit.manage("GET", a, rat=b.rat)
    assert foreign.status_code in (401, 403)
    assert a.client_id not in foreign.text
    garbage = kit.manage("GET", a, rat="garbage")
    assert garbage.status_code == 401
    assert 'error="invalid_token"' in garbage.headers["WWW-Authenticate"]
    assert kit.manage("GET", a).status_code == 200  # untouched by the failures


def test_unknown_client_revokes_the_rat(kit):
    dyn = kit.new_client()
    url = f"{kit.cfg.registration_endpoint}/dyn-does-not-exist"
    response = kit.manage("GET", dyn, uri=url)
    assert response.status_code == 401
    assert kit.manage("GET", dyn).status_code == 401  # RFC 7592 §2.1 SHOULD


def test_put_full_replacement(kit):
    dyn = kit.new_client({"software_id": "haapi-template", "client_name": "old"})
    body = _put_body(dyn, client_name="new", redirect_uris=["com.example.app:/callback"])
    response = kit.manage("PUT", dyn, json=body)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["client_name"] == "new"
    assert data["redirect_uris"] == ["com.example.app:/callback"]
    assert data["client_id"] == dyn.client_id
    dyn = adopt(dyn, response)
    # omitted fields are deletions: client_name goes away
    without_name = {k: v for k, v in _put_body(dyn).items() if k != "client_name"}
    response = kit.manage("PUT", dyn, json=without_name)
    assert response.status_code == 200
    assert "client_name" not in response.json()
    dyn = adopt(dyn, response)
    assert kit.dyn_token(dyn).status_code == 200


def test_put_with_the_current_secret(make_server):
    k = make_server(rotate_on_read=False)
    dyn = k.new_client()
    ok = k.manage("PUT", dyn, json=_put_body(dyn, client_secret=dyn.secret))
    assert ok.status_code == 200
    chosen = k.manage("PUT", dyn, json=_put_body(dyn, client_secret="my-own-secret"))
    assert chosen.status_code == 400
    assert k.dyn_token(dyn, secret="my-own-secret").status_code == 401


@pytest.mark.parametrize("changes,error", [
    ({"client_id": "someone-else"}, "invalid_client_metadata"),
    ({"client_id": None}, "invalid_client_metadata"),
    ({"registration_access_token": "x"}, "invalid_client_metadata"),
    ({"client_id_issued_at": 1}, "invalid_client_metadata"),
    ({"client_secret_expires_at": 0}, "invalid_client_metadata"),
    ({"registration_client_uri": "https://x.example"}, "invalid_client_metadata"),
    ({"client_secret": "chosen"}, "invalid_client_metadata"),
    ({"scope": f"{HAAPI} admin"}, "invalid_client_metadata"),
    ({"redirect_uris": ["https://evil.example/cb"]}, "invalid_redirect_uri"),
    ({"software_id": "other-template"}, "invalid_client_metadata"),
])
def test_put_errors(kit, changes, error):
    dyn = kit.new_client()
    body = _put_body(dyn, **changes)
    body = {k: v for k, v in body.items() if v is not None}
    response = kit.manage("PUT", dyn, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == error
    assert kit.srv.store.get_client(dyn.client_id).metadata["scope"] == TEMPLATE_SCOPE
    assert kit.manage("GET", dyn).status_code == 200  # the RAT was not rotated


def test_put_malformed_json(kit):
    dyn = kit.new_client()
    response = kit.manage("PUT", dyn, content=b"{", headers={"Content-Type": "application/json"})
    assert response.status_code == 400


def test_delete(kit):
    a, b = kit.new_client(), kit.new_client()
    key = new_dpop_key()
    token = kit.dyn_token(a, key).json()["access_token"]
    b_token = kit.dyn_token(b).json()["access_token"]
    response = kit.manage("DELETE", a)
    assert response.status_code == 204
    assert response.content == b""
    assert kit.srv.store.get_client(a.client_id) is None
    assert kit.dyn_token(a).json()["error"] == "invalid_client"
    assert kit.manage("GET", a).status_code == 401
    assert kit.manage("DELETE", a).status_code == 401
    assert kit.introspect(token).json() == {"active": False}
    assert kit.resource(token, key).status_code == 401
    # others unaffected
    assert kit.introspect(b_token).json()["active"] is True
    assert kit.dyn_token(b).status_code == 200
    assert kit.token("basic").status_code == 200


def test_unsupported_method(kit):
    dyn = kit.new_client()
    assert kit.manage("POST", dyn, json={}).status_code == 405
