"""The DCR management GraphQL API at ``{registration_endpoint}/graphql`` (Curity's DCR GraphQL API): schema,
access, status changes at the token endpoint and the resource, and persistence."""

from __future__ import annotations

import sqlite3

import pytest
from graphql import get_introspection_query

from conformance.server import ReferenceServer
from srv_kit import HAAPI, JWT_BEARER, Kit, assertion, dpop_proof, new_dpop_key, public_jwk

SET = """mutation Set($id: ID!, $status: DynamicallyRegisteredClientStatus!) {
  setDynamicallyRegisteredClientStatusById(input: {clientId: $id, status: $status}) { client { client_id status } }
}"""
READ = "query Read($id: ID!) { dynamicallyRegisteredClientById(id: $id) { client_id software_id status scope } }"


def _dcrm(kit) -> str:
    response = kit.token("manager", scope="dcrm")
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def gql(kit, query: str, variables: dict | None = None, token: str | None = None, **kwargs):
    headers = kwargs.pop("headers", {})
    if token is not False:
        headers["Authorization"] = f"Bearer {token or _dcrm(kit)}"
    body = kwargs.pop("body", {"query": query, "variables": variables})
    return kit.http().post(kit.cfg.registration_endpoint + "/graphql", json=body, headers=headers, **kwargs)


def set_status(kit, client_id: str, status: str, token: str | None = None) -> dict:
    response = gql(kit, SET, {"id": client_id, "status": status}, token)
    assert response.status_code == 200, response.text
    return response.json()


def test_introspection_shows_the_status_mutation_and_enum(kit):
    response = gql(kit, get_introspection_query())
    assert response.status_code == 200 and "errors" not in response.json()
    types = {t["name"]: t for t in response.json()["data"]["__schema"]["types"]}
    assert [v["name"] for v in types["DynamicallyRegisteredClientStatus"]["enumValues"]] == \
        ["active", "inactive", "revoked"]
    mutation = types[response.json()["data"]["__schema"]["mutationType"]["name"]]
    [field] = [f for f in mutation["fields"] if f["name"] == "setDynamicallyRegisteredClientStatusById"]
    [arg] = field["args"]
    assert {f["name"] for f in types[arg["type"]["ofType"]["name"]]["inputFields"]} == {"clientId", "status"}


def test_status_changes_take_effect_at_the_token_endpoint(kit):
    token = _dcrm(kit)
    dyn = kit.new_client()
    assert kit.dyn_token(dyn).status_code == 200
    body = set_status(kit, dyn.client_id, "inactive", token)
    assert body == {"data": {"setDynamicallyRegisteredClientStatusById": {
        "client": {"client_id": dyn.client_id, "status": "inactive"}}}}
    refused = kit.dyn_token(dyn)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    assert refused.headers["WWW-Authenticate"].startswith("Basic")
    read = gql(kit, READ, {"id": dyn.client_id}, token).json()["data"]["dynamicallyRegisteredClientById"]
    assert read == {"client_id": dyn.client_id, "software_id": "haapi-template", "status": "inactive",
                    "scope": f"{HAAPI} openid"}
    set_status(kit, dyn.client_id, "active", token)
    assert kit.dyn_token(dyn).status_code == 200
    set_status(kit, dyn.client_id, "revoked", token)
    assert kit.dyn_token(dyn).json()["error"] == "invalid_client"


def test_revoked_ends_the_clients_tokens_and_inactive_does_not(kit):
    token = _dcrm(kit)
    paused, revoked = kit.new_client(), kit.new_client()
    key_p, key_r = new_dpop_key(), new_dpop_key()
    at_p = kit.dyn_token(paused, key_p).json()["access_token"]
    at_r = kit.dyn_token(revoked, key_r).json()["access_token"]
    set_status(kit, paused.client_id, "inactive", token)
    set_status(kit, revoked.client_id, "revoked", token)
    assert kit.resource(at_p, key_p).status_code == 200  # inactive: no new tokens, old ones live on
    assert kit.resource(at_r, key_r).status_code == 401
    assert kit.introspect(at_r).json() == {"active": False}
    assert kit.introspect(at_p).json()["active"] is True


def test_private_key_jwt_clients_are_refused_too(kit):
    key = new_dpop_key()
    response = kit.register(body={"software_id": "haapi-byok-template",
                                  "jwks": {"keys": [{**public_jwk(key), "kid": "device-1"}]}})
    client_id = response.json()["client_id"]

    def token_request():
        form = {"grant_type": "client_credentials", "scope": HAAPI, "client_assertion_type": JWT_BEARER,
                "client_assertion": assertion(client_id, key, "ES256", kit.token_url, kid="device-1")}
        proof = dpop_proof(new_dpop_key(), "POST", kit.token_url, nonce=kit.nonce())
        return kit.http().post(kit.token_url, data=form, headers={"DPoP": proof})

    assert token_request().status_code == 200
    set_status(kit, client_id, "revoked")
    refused = token_request()
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"


def test_rfc7592_delete_still_works_on_a_revoked_client(kit):
    dyn = kit.new_client()
    set_status(kit, dyn.client_id, "revoked")
    assert kit.manage("DELETE", dyn).status_code == 204
    gone = set_status(kit, dyn.client_id, "active")
    assert gone["data"] == {"setDynamicallyRegisteredClientStatusById": None}


def test_unknown_client_is_a_graphql_error(kit):
    body = set_status(kit, "dyn-nobody", "revoked")
    assert body["data"] == {"setDynamicallyRegisteredClientStatusById": None}
    assert "no dynamically registered client" in body["errors"][0]["message"]
    assert gql(kit, READ, {"id": "dyn-nobody"}).json() == {"data": {"dynamicallyRegisteredClientById": None}}
    invalid = set_status(kit, "dyn-nobody", "deleted")  # not an enum value: a validation error, no data
    assert "data" not in invalid and "deleted" in invalid["errors"][0]["message"]


def test_the_list_counts_clients_by_status(kit):
    token = _dcrm(kit)
    dyn = kit.new_client()
    set_status(kit, dyn.client_id, "inactive", token)
    query = "query($s: DynamicallyRegisteredClientStatus) { dynamicallyRegisteredClients(status: $s) " \
            "{ totalCount edges { node { client_id } } } }"
    listed = gql(kit, query, {"s": "inactive"}, token).json()["data"]["dynamicallyRegisteredClients"]
    assert dyn.client_id in [e["node"]["client_id"] for e in listed["edges"]]
    assert listed["totalCount"] == len(listed["edges"])


def test_access_needs_a_management_clients_dcrm_token(kit):
    dyn = kit.new_client()
    missing = gql(kit, READ, {"id": dyn.client_id}, token=False)
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert "error=" not in missing.headers["WWW-Authenticate"]  # RFC 6750 §3.1: no error without a token
    garbage = gql(kit, READ, {"id": dyn.client_id}, token="not-a-token")
    assert garbage.status_code == 401 and 'error="invalid_token"' in garbage.headers["WWW-Authenticate"]
    openid = kit.token("basic", scope="openid").json()["access_token"]
    other = gql(kit, SET, {"id": dyn.client_id, "status": "revoked"}, token=openid)
    assert other.status_code == 403 and other.json()["error"] == "insufficient_scope"
    bound = kit.dyn_token(dyn).json()["access_token"]  # DPoP-bound: never a Bearer token
    assert gql(kit, READ, {"id": dyn.client_id}, token=bound).status_code == 401
    revoked = _dcrm(kit)
    assert kit.revoke(revoked, label="manager").status_code == 200
    assert gql(kit, READ, {"id": dyn.client_id}, token=revoked).status_code == 401
    assert kit.dyn_token(dyn).status_code == 200  # none of it changed the client


@pytest.mark.parametrize("kwargs, status", [
    ({"body": None, "content": b"{not json", "headers": {"Content-Type": "application/json"}}, 400),
    ({"body": {"variables": {}}}, 400),
    ({"body": {"query": "{ __typename }", "variables": []}}, 400),
    ({"body": None, "content": b"query", "headers": {"Content-Type": "application/graphql"}}, 415),
])
def test_malformed_requests_are_4xx_with_errors(kit, kwargs, status):
    if kwargs.get("body", 0) is None:  # send raw content instead of JSON
        kwargs.pop("body")
        response = kit.http().post(kit.cfg.registration_endpoint + "/graphql",
                                   headers={"Authorization": f"Bearer {_dcrm(kit)}", **kwargs["headers"]},
                                   content=kwargs["content"])
    else:
        response = gql(kit, "", **kwargs)
    assert response.status_code == status and response.json()["errors"], response.text
    assert kit.http().get(kit.cfg.registration_endpoint + "/graphql").status_code == 405


def test_status_persists_in_sqlite_and_old_state_files_load(pki, tmp_path):
    state = tmp_path / "state.db"
    with ReferenceServer(pki=pki, state_file=state) as first:
        k = Kit(first)
        paused, kept = k.new_client(), k.new_client()
        set_status(k, paused.client_id, "inactive")
        k.close()
    with ReferenceServer(pki=pki, state_file=state) as second:
        k = Kit(second)
        assert k.dyn_token(paused).status_code == 401 and k.dyn_token(kept).status_code == 200
        k.close()
    db = sqlite3.connect(state)  # a state file from before the status column
    db.executescript("ALTER TABLE clients DROP COLUMN status;")
    db.close()
    with ReferenceServer(pki=pki, state_file=state) as third:
        k = Kit(third)
        assert third.store.get_client(paused.client_id).status == "active"
        assert k.dyn_token(paused).status_code == 200
        read = gql(k, READ, {"id": kept.client_id}).json()["data"]["dynamicallyRegisteredClientById"]
        assert read["status"] == "active"
        k.close()
