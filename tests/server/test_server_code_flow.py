"""The HAAPI code flow of the reference server: authorize, login, code exchange, refresh, revocation."""

from __future__ import annotations

import pytest

from flow_kit import HAAPI_MEDIA, REDIRECT, Flow, pkce, start
from srv_kit import basic, jkt, new_dpop_key


@pytest.fixture
def flow(kit) -> Flow:
    return start(kit)


def test_metadata_advertises_the_code_flow(kit):
    doc = kit.http().get(kit.cfg.issuer + "/.well-known/oauth-authorization-server").json()
    assert doc["authorization_endpoint"] == kit.cfg.authorization_endpoint
    assert {"authorization_code", "refresh_token"} <= set(doc["grant_types_supported"])
    assert doc["code_challenge_methods_supported"] == ["S256"]


def test_code_flow_exchange_and_refresh(kit, flow):
    body = flow.tokens()
    assert body["token_type"] == "DPoP" and body["scope"] == "openid"
    assert body["refresh_token"] and body["access_token"]
    introspection = kit.introspect(body["access_token"]).json()
    assert introspection["active"] is True and introspection["cnf"] == {"jkt": jkt(flow.key)}
    assert introspection["client_id"] == flow.dyn.client_id
    refreshed = flow.refresh(body["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    new = refreshed.json()
    assert new["token_type"] == "DPoP" and new["refresh_token"] != body["refresh_token"]
    assert refreshed.headers["Cache-Control"] == "no-store"
    # The refresh token rotated: the old one is spent, and presenting it again revokes the grant.
    assert flow.refresh(body["refresh_token"]).json()["error"] == "invalid_grant"
    assert flow.refresh(new["refresh_token"]).json()["error"] == "invalid_grant"
    assert kit.introspect(new["access_token"]).json() == {"active": False}


def test_refresh_with_another_key_is_refused(flow):
    body = flow.tokens()
    other = flow.refresh(body["refresh_token"], key=new_dpop_key())
    assert other.status_code == 400 and other.json()["error"] == "invalid_grant"
    missing = flow.refresh(body["refresh_token"], proof=False)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_dpop_proof"
    assert flow.refresh(body["refresh_token"]).status_code == 200  # the refusals spent nothing


def test_code_is_single_use_and_reuse_revokes_the_grant(kit, flow):
    verifier, challenge = pkce()
    code = flow.code(challenge)
    first = flow.exchange(code, verifier)
    assert first.status_code == 200
    again = flow.exchange(code, verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert kit.introspect(first.json()["access_token"]).json() == {"active": False}
    assert flow.refresh(first.json()["refresh_token"]).json()["error"] == "invalid_grant"


@pytest.mark.parametrize("fault", ["pkce-mismatch", "no-verifier", "redirect-uri", "other-key", "no-proof",
                                   "other-client"])
def test_code_exchange_faults(kit, flow, fault):
    verifier, challenge = pkce()
    code = flow.code(challenge)
    kwargs: dict = {}
    form = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier, "redirect_uri": REDIRECT}
    if fault == "pkce-mismatch":
        form["code_verifier"] = pkce()[0]
    elif fault == "no-verifier":
        del form["code_verifier"]
    elif fault == "redirect-uri":
        form["redirect_uri"] = "com.example.app:/callback"
    elif fault == "other-key":
        kwargs["key"] = new_dpop_key()
    elif fault == "no-proof":
        kwargs["proof"] = False
    if fault == "other-client":
        other = start(kit)
        other.nonce = flow.nonce
        response = other.token(form)
    else:
        response = flow.token(form, **kwargs)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == ("invalid_dpop_proof" if fault == "no-proof" else "invalid_grant")


def test_wrong_password_is_a_problem(flow):
    _, challenge = pkce()
    response = flow.login(challenge, password="wrong-password")
    assert response.status_code == 400
    assert response.headers["Content-Type"] == HAAPI_MEDIA
    body = response.json()
    assert body["type"] == "https://curity.se/problems/incorrect-credentials"
    assert "properties" not in body and body["messages"]


@pytest.mark.parametrize("overrides, error", [
    ({"code_challenge_method": "plain"}, "invalid_request"),
    ({"code_challenge_method": None, "code_challenge": None}, "invalid_request"),
    ({"redirect_uri": "https://evil.example/cb"}, "invalid_request"),
    ({"scope": "urn:se:curity:scopes:haapi"}, "invalid_scope"),
    ({"scope": "openid dcr"}, "invalid_scope"),
    ({"response_type": "token"}, "unsupported_response_type"),
    ({"client_id": "someone-else"}, "invalid_request"),
], ids=["plain-pkce", "no-pkce", "foreign-redirect", "haapi-scope", "dcr-scope", "token-response", "other-client"])
def test_bad_authorization_requests_are_problems(flow, overrides, error):
    response = flow.authorize(pkce()[1], **overrides)
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "https://curity.se/problems/error-authorization-response"
    assert body["error"] == error


def test_haapi_needs_the_bound_token_and_its_key(kit, flow):
    url = kit.cfg.authorization_endpoint + "?client_id=" + flow.dyn.client_id
    other_key = flow.haapi("GET", url, key=new_dpop_key())
    assert other_key.status_code == 401 and other_key.headers["WWW-Authenticate"].startswith("DPoP")
    bearer = kit.http().get(url, headers={"Accept": HAAPI_MEDIA, "Authorization": f"Bearer {flow.at}"})
    assert bearer.status_code == 401
    wrong_accept = kit.http().get(url, headers={"Accept": "application/json", "Authorization": f"DPoP {flow.at}"})
    assert wrong_accept.status_code == 406


def test_login_transaction_is_bound_to_the_client(kit, flow):
    redirect = flow.authorize(pkce()[1]).json()
    href = redirect["actions"][0]["model"]["href"]
    intruder = start(kit)
    response = intruder.haapi("GET", href)
    assert response.status_code == 400
    assert response.json()["type"] == "https://curity.se/problems/session-and-access-token-mismatch"


def test_revoking_the_refresh_token_revokes_its_grant(kit, flow):
    body = flow.tokens()
    refreshed = flow.refresh(body["refresh_token"]).json()
    response = kit.http().post(kit.cfg.revocation_endpoint, headers=basic(flow.dyn.client_id, flow.dyn.secret),
                               data={"token": refreshed["refresh_token"], "token_type_hint": "refresh_token"})
    assert response.status_code == 200
    assert flow.refresh(refreshed["refresh_token"]).json()["error"] == "invalid_grant"
    for token in (body["access_token"], refreshed["access_token"]):
        assert kit.introspect(token).json() == {"active": False}


def test_refresh_token_introspects_and_is_no_access_token(kit, flow):
    body = flow.tokens()
    introspection = kit.introspect(body["refresh_token"]).json()
    assert introspection["active"] is True and introspection["token_type"] == "refresh_token"
    assert kit.resource(body["refresh_token"], flow.key).status_code == 401


def test_delete_revokes_refresh_tokens(kit, flow):
    body = flow.tokens()
    assert kit.manage("DELETE", flow.dyn).status_code == 204
    assert kit.introspect(body["refresh_token"]).json() == {"active": False}
    assert flow.refresh(body["refresh_token"]).json()["error"] == "invalid_client"


def test_refresh_survives_delete_defect(make_server):
    k = make_server(defect="refresh-survives-delete")
    flow = start(k)
    body = flow.tokens()
    assert k.manage("DELETE", flow.dyn).status_code == 204
    assert flow.refresh(body["refresh_token"]).status_code == 200


def test_client_credentials_never_gets_a_refresh_token(kit, flow):
    assert "refresh_token" not in kit.dyn_token(flow.dyn).json()
    assert "refresh_token" not in kit.token().json()


def test_main_clients_cannot_use_the_code_flow_grants(kit):
    response = kit.token(grant_type="refresh_token", refresh_token="x", scope=None)
    assert response.status_code == 400 and response.json()["error"] == "unauthorized_client"


def test_code_flow_survives_in_sqlite(make_server, tmp_path):
    k = make_server(state_file=tmp_path / "state.db")
    flow = start(k)
    body = flow.tokens()
    assert flow.refresh(body["refresh_token"]).status_code == 200
    assert k.introspect(body["refresh_token"]).json() == {"active": False}  # rotated


def test_state_file_without_grants_is_migrated(tmp_path):
    """A SQLite state file written before refresh tokens existed opens; its tokens keep working."""
    import sqlite3

    from conformance.server.sqlite_store import SqliteStore
    from conformance.server.store import TokenRecord

    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE tokens (token_hash TEXT PRIMARY KEY, client_id TEXT NOT NULL, scope TEXT NOT NULL, "
               "issued_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, token_type TEXT NOT NULL, jkt TEXT, "
               "used INTEGER NOT NULL DEFAULT 0, revoked INTEGER NOT NULL DEFAULT 0)")
    db.execute("INSERT INTO tokens VALUES ('h1', 'c1', 'dcr', 1, 9999999999, 'Bearer', NULL, 0, 0)")
    db.commit()
    db.close()
    store = SqliteStore(path)
    try:
        assert store.get_token("h1") == TokenRecord("h1", "c1", "dcr", 1, 9999999999)
        store.add_token(TokenRecord("h2", "c1", "openid", 1, 9999999999, grant_id="g1"))
        assert store.revoke_grant("g1") == 1 and store.get_token("h2").revoked
        assert not store.get_token("h1").revoked
    finally:
        store.close()
