"""The two store backends agree: a client's credentials and tokens, revoked or dropped by client,
kind or grant, and nobody else's (the memory store answers from indexes, SQLite from queries)."""

from __future__ import annotations

import time

import pytest

from conformance.server.sqlite_store import SqliteStore
from conformance.server.store import RAT, REFRESH, SECRET, DynamicClient, MemoryStore, TokenRecord


@pytest.fixture(params=["memory", "sqlite"])
def store(request, tmp_path):
    made = MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "state.db")
    yield made
    made.close()


def _client(store, client_id: str) -> None:
    store.add_client(DynamicClient(client_id, "template", "main", int(time.time()), {}),
                     {SECRET: f"{client_id}-secret", RAT: f"{client_id}-rat"})


def _token(store, token_hash: str, client_id: str, token_type: str = "Bearer", grant: str | None = None) -> None:
    now = int(time.time())
    store.add_token(TokenRecord(token_hash, client_id, "s", now, now + 600, token_type=token_type, grant_id=grant))


def _revoked(store, *hashes: str) -> list[bool]:
    return [store.get_token(h).revoked for h in hashes]


def test_revocation_by_client_and_by_grant_touches_only_those_tokens(store):
    _client(store, "a")
    _client(store, "b")
    _token(store, "a1", "a")
    _token(store, "a2", "a", REFRESH)
    _token(store, "b1", "b", grant="g")
    _token(store, "b2", "b", REFRESH, grant="g")
    _token(store, "b3", "b")
    assert store.revoke_client_tokens("a", refresh=False) == 1
    assert _revoked(store, "a1", "a2", "b1") == [True, False, False]
    assert store.revoke_grant("g") == 2
    assert _revoked(store, "b1", "b2", "b3") == [True, True, False]
    assert store.revoke_client_tokens("a") == 2  # the refresh token too (a1 again)
    assert _revoked(store, "a2", "b3") == [True, False]
    assert store.revoke_client_tokens("nobody") == 0


def test_deleting_or_rotating_drops_only_that_clients_credentials(store):
    _client(store, "a")
    _client(store, "b")
    assert store.rotate("a", "a-rat", {RAT: "a-rat-2"})
    assert store.client_for_rat("a-rat") is None and store.client_for_rat("a-rat-2") == "a"
    assert store.has_credential("a", SECRET, "a-secret")
    store.set_credential("a", SECRET, "a-secret-2")
    assert not store.has_credential("a", SECRET, "a-secret") and store.has_credential("a", SECRET, "a-secret-2")
    store.drop_credential(SECRET, "a-secret-2")
    assert not store.has_credential("a", SECRET, "a-secret-2")
    assert store.delete_client("a") and not store.delete_client("a")
    assert store.client_for_rat("a-rat-2") is None
    assert store.client_for_rat("b-rat") == "b" and store.has_credential("b", SECRET, "b-secret")
    _client(store, "a")  # the same id again starts clean
    assert store.client_for_rat("a-rat") == "a" and store.client_for_rat("a-rat-2") is None


def test_the_memory_stores_indexes_survive_its_pruning():
    store = MemoryStore()
    now = int(time.time())
    store.add_token(TokenRecord("old", "a", "s", now - 9000, now - 7200))  # pruned: expired over an hour ago
    _token(store, "a1", "a", grant="g")
    store._ops = 999  # the next operation prunes
    _token(store, "a2", "a")
    assert store.get_token("old") is None
    assert store.revoke_client_tokens("a") == 2 and store.revoke_grant("g") == 1
