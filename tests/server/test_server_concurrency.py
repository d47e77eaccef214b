"""Concurrency: single use under a race, 50 parallel requests, no lost writes (memory and SQLite)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from srv_kit import TIMEOUT, tls_context


def _parallel_registrations(k, token: str, n: int = 20) -> list[int]:
    context = tls_context(k.pki)
    limits = httpx.Limits(max_connections=n)
    with httpx.Client(verify=context, timeout=TIMEOUT, limits=limits) as client:
        def attempt(_):
            return client.post(k.cfg.registration_endpoint, json={"software_id": "haapi-template"},
                               headers={"Authorization": f"Bearer {token}"}).status_code
        with ThreadPoolExecutor(n) as pool:
            return list(pool.map(attempt, range(n)))


@pytest.mark.parametrize("state", [False, True], ids=["memory", "sqlite"])
def test_twenty_parallel_registrations_one_token(make_server, tmp_path, state):
    k = make_server(state_file=tmp_path / "state.db" if state else None)
    statuses = _parallel_registrations(k, k.initial_token())
    assert statuses.count(201) == 1, statuses
    assert set(statuses) == {201, 401}
    assert k.srv.store.count_clients() == 1


@pytest.mark.parametrize("state", [False, True], ids=["memory", "sqlite"])
def test_fifty_concurrent_requests(make_server, tmp_path, state):
    k = make_server(state_file=tmp_path / "state.db" if state else None)
    tokens = [k.initial_token(label) for label in ["basic", "post", "es256", "mtls"] * 13][:50]
    context = tls_context(k.pki)
    with httpx.Client(verify=context, timeout=TIMEOUT,
                      limits=httpx.Limits(max_connections=50)) as client:
        def register(token):
            response = client.post(k.cfg.registration_endpoint,
                                   json={"software_id": "haapi-template"},
                                   headers={"Authorization": f"Bearer {token}"})
            return response.status_code, response.json().get("client_id")
        with ThreadPoolExecutor(50) as pool:
            results = list(pool.map(register, tokens))
    assert [s for s, _ in results] == [201] * 50
    assert len({c for _, c in results}) == 50
    assert k.srv.store.count_clients() == 50


def test_fifty_concurrent_connections_of_mixed_requests(kit):
    dyn = kit.new_client()

    def job(i):
        with httpx.Client(verify=tls_context(kit.pki), timeout=TIMEOUT) as client:
            if i % 3 == 0:
                r = client.get(kit.cfg.issuer + "/.well-known/openid-configuration")
                return r.status_code == 200 and r.json()["issuer"] == kit.cfg.issuer
            if i % 3 == 1:
                from srv_kit import basic
                r = client.post(kit.token_url, data={"grant_type": "client_credentials",
                                                     "scope": "dcr"},
                                headers=basic("main-basic", kit.client("basic").secret))
                return r.status_code == 200
            return kit.introspect("unknown").json() == {"active": False}

    with ThreadPoolExecutor(50) as pool:
        assert all(pool.map(job, range(50)))
    assert kit.dyn_token(dyn).status_code == 200
