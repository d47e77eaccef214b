"""SQLite state: dynamic clients, credentials and tokens survive a restart."""

from __future__ import annotations

from conformance.server import ReferenceServer
from srv_kit import Dyn, Kit


def test_clients_survive_a_restart(pki, tmp_path):
    state = tmp_path / "state.db"
    with ReferenceServer(pki=pki, state_file=state) as first:
        k = Kit(first)
        dyn = k.new_client({"software_id": "haapi-template", "client_name": "phone"})
        token = k.dyn_token(dyn).json()["access_token"]
        deleted = k.new_client()
        assert k.manage("DELETE", deleted).status_code == 204
        used_token = k.initial_token()
        assert k.register(used_token).status_code == 201
        k.close()
    with ReferenceServer(pki=pki, state_file=state) as second:
        k = Kit(second)
        assert second.store.count_clients() == 2
        moved = Dyn(dyn.client_id, dyn.secret, dyn.rat,
                    f"{k.cfg.registration_endpoint}/{dyn.client_id}", dyn.body)
        assert k.introspect(token).json()["active"] is True
        assert k.register(used_token).status_code == 401  # still used
        assert k.dyn_token(moved).status_code == 200  # same secret
        read = k.manage("GET", moved)
        assert read.status_code == 200 and read.json()["client_name"] == "phone"
        assert k.dyn_token(deleted).status_code == 401
        k.close()
    assert not list(tmp_path.glob("*.txt"))  # nothing but the database (and its WAL) here


def test_main_client_secrets_are_stable_for_a_pki(pki):
    with ReferenceServer(pki=pki) as a, ReferenceServer(pki=pki) as b:
        assert a.config.client_by_label("basic").secret == b.config.client_by_label("basic").secret
