"""Curity's management extensions of RFC 7592: a management client's ``dcrm``
token manages every dynamic client, and a registration access token older than ``read-write-ttl``
may only DELETE."""

from __future__ import annotations

import sqlite3
import time

from conformance.server import ReferenceServer
from conformance.server.sqlite_store import SqliteStore
from conformance.server.store import RAT, digest
from srv_kit import Dyn, Kit, adopt

MAIN_LABELS = ("basic", "post", "hs256", "es256", "rs256", "ps256", "mtls", "selfsigned")


def _dcrm(kit) -> str:
    response = kit.token("manager", scope="dcrm")
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "dcrm"
    return response.json()["access_token"]


def _full_metadata(body: dict, **changes) -> dict:
    forbidden = {"client_secret", "registration_access_token", "registration_client_uri",
                 "client_secret_expires_at", "client_id_issued_at", "registration_access_token_expires_in"}
    return {**{k: v for k, v in body.items() if k not in forbidden}, **changes}


# -- management clients ---------------------------------------------------------------------------


def test_dcrm_token_reads_updates_and_deletes_any_client(kit):
    token = _dcrm(kit)
    dyn = kit.new_client()
    read = kit.manage("GET", dyn, token)
    assert read.status_code == 200 and read.json()["client_id"] == dyn.client_id
    assert "client_secret" not in read.json() and "registration_access_token" not in read.json()
    assert kit.dyn_token(dyn).status_code == 200  # the manager's read rotated nothing
    update = kit.manage("PUT", dyn, token, json=_full_metadata(read.json(), client_name="managed"))
    assert update.status_code == 200 and update.json()["client_name"] == "managed"
    assert "client_secret" not in update.json() and "registration_access_token" not in update.json()
    own = kit.manage("GET", dyn)  # the client's own RAT still works, and sees the manager's update
    assert own.status_code == 200 and own.json()["client_name"] == "managed"
    dyn = adopt(dyn, own)
    assert kit.manage("DELETE", dyn, token).status_code == 204
    assert kit.dyn_token(dyn).status_code == 401
    assert kit.manage("GET", dyn).status_code == 401


def test_only_management_clients_get_dcrm(kit):
    for label in (*MAIN_LABELS, "introspector", "unlisted", "other"):
        response = kit.token(label, scope="dcrm")
        assert response.status_code == 400 and response.json()["error"] == "invalid_scope", label
    assert kit.token("manager", scope=None).json()["scope"] == "dcrm"  # its default scope
    assert kit.token("manager", scope="dcr").status_code == 400  # and it cannot register


def test_tokens_without_dcrm_are_refused(kit):
    dyn = kit.new_client()
    openid = kit.token("basic", scope="openid").json()["access_token"]
    dyn_access = kit.dyn_token(dyn).json()["access_token"]
    for token in (openid, dyn_access, kit.initial_token()):
        response = kit.manage("GET", dyn, token)
        assert response.status_code == 401, response.text
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    revoked = _dcrm(kit)
    assert kit.revoke(revoked, label="manager").status_code == 200
    assert kit.manage("GET", dyn, revoked).status_code == 401
    assert kit.manage("GET", dyn).status_code == 200  # none of it touched the client


def test_dcrm_token_on_an_unknown_client_is_401_and_stays_valid(kit):
    token = _dcrm(kit)
    unknown = kit.manage("GET", kit.new_client(), token, uri=f"{kit.cfg.registration_endpoint}/dyn-nobody")
    assert unknown.status_code == 401
    assert kit.manage("GET", kit.new_client(), token).status_code == 200  # not revoked as a RAT would be


# -- read-write-ttl -------------------------------------------------------------------------------


def test_old_registration_token_may_only_delete(make_server):
    k = make_server(registration_token_read_write_ttl_s=1)
    old, renewed = k.new_client(), k.new_client()
    time.sleep(0.7)
    read = k.manage("GET", renewed)  # rotation mints a new RAT: its age starts again
    assert read.status_code == 200
    renewed = adopt(renewed, read)
    time.sleep(0.5)  # old: 1.2 s, renewed's RAT: 0.5 s
    assert k.manage("GET", renewed).status_code == 200
    refused = k.manage("GET", old)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_token"
    assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
    assert k.manage("PUT", old, json=_full_metadata(old.body, client_id=old.client_id,
                                                    client_name="x")).status_code == 401
    assert k.dyn_token(old).status_code == 200  # the refusals rotated nothing
    managed = k.manage("GET", old, _dcrm(k))  # the age of the client's RAT is no manager's business
    assert managed.status_code == 200 and "client_name" not in managed.json()
    assert k.manage("DELETE", old).status_code == 204
    assert k.dyn_token(old).status_code == 401


def test_old_registration_token_without_rotation(make_server):
    k = make_server(rotate_on_read=False, registration_token_read_write_ttl_s=100)
    dyn = k.new_client()
    assert k.manage("GET", dyn).status_code == 200  # the same RAT: it keeps its age
    clock = k.srv.context.clock
    k.srv.context.clock = lambda: clock() + 101
    assert k.manage("GET", dyn).status_code == 401
    assert k.manage("DELETE", dyn).status_code == 204


# -- the issue time in SQLite state -----------------------------------------------------------------


def test_registration_token_age_survives_a_restart(pki, tmp_path):
    state = tmp_path / "state.db"
    with ReferenceServer(pki=pki, state_file=state, registration_token_read_write_ttl_s=500) as first:
        first.context.clock = lambda: time.time() - 1000  # registered 1000 s ago
        k = Kit(first)
        dyn = k.new_client()
        first.context.clock = time.time
        fresh = k.new_client()
        k.close()
    with ReferenceServer(pki=pki, state_file=state, registration_token_read_write_ttl_s=500) as second:
        k = Kit(second)
        uri = f"{k.cfg.registration_endpoint}/"
        dyn = Dyn(dyn.client_id, dyn.secret, dyn.rat, uri + dyn.client_id, dyn.body)
        fresh = Dyn(fresh.client_id, fresh.secret, fresh.rat, uri + fresh.client_id, fresh.body)
        assert k.manage("GET", dyn).status_code == 401
        assert k.manage("GET", fresh).status_code == 200
        assert k.manage("DELETE", dyn).status_code == 204
        k.close()


_OLD_SCHEMA = """
CREATE TABLE clients (client_id TEXT PRIMARY KEY, software_id TEXT NOT NULL, initial_client TEXT NOT NULL,
    issued_at INTEGER NOT NULL, metadata TEXT NOT NULL);
CREATE TABLE credentials (kind TEXT NOT NULL, value_hash TEXT NOT NULL, client_id TEXT NOT NULL,
    PRIMARY KEY (kind, value_hash));
CREATE TABLE tokens (token_hash TEXT PRIMARY KEY, client_id TEXT NOT NULL, scope TEXT NOT NULL,
    issued_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, token_type TEXT NOT NULL,
    jkt TEXT, used INTEGER NOT NULL DEFAULT 0, revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE seen (key TEXT PRIMARY KEY, expires_at REAL NOT NULL);
INSERT INTO clients VALUES ('dyn-old', 'haapi-template', 'main-basic', 1700000000, '{}');
INSERT INTO credentials VALUES ('rat', 'rat-hash', 'dyn-old');
INSERT INTO credentials VALUES ('secret', 'secret-hash', 'dyn-old');
"""


def test_state_file_from_before_issue_times_is_migrated(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(_OLD_SCHEMA)
    db.close()
    store = SqliteStore(path)
    try:
        assert store.get_client("dyn-old") is not None and store.client_for_rat("rat-hash") == "dyn-old"
        assert store.credential_issued_at(RAT, "rat-hash") == 1700000000  # counted from registration
        store.set_credential("dyn-old", RAT, digest("new"), issued_at=1800000000.5)
        assert store.credential_issued_at(RAT, digest("new")) == 1800000000.5
        assert store.credential_issued_at(RAT, "rat-hash") is None
    finally:
        store.close()
    SqliteStore(path).close()  # a second open finds the column and changes nothing
