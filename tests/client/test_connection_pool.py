"""The transport's connection pool over real TLS on loopback: connections opened for a burst of
parallel requests do not stay to be looked at by every later request (conformance.client.http)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conformance.client import http
from conformance.client.http import RequestSpec, Transport
from conformance.server import ReferenceServer


@pytest.fixture(scope="module")
def server():
    srv = ReferenceServer().start()
    yield srv
    srv.stop()


def _pooled(transport: Transport) -> int:
    return len(transport.client()._transport._pool.connections)


def test_connections_of_a_burst_close_once_idle_for_the_keepalive_expiry(server, monkeypatch):
    monkeypatch.setattr(http, "KEEPALIVE_EXPIRY_S", 0.3)
    url = server.base_url + "/.well-known/oauth-authorization-server"
    with Transport(server.pki.ca_cert, 5) as transport:
        with ThreadPoolExecutor(6) as pool:
            assert {ex.status for ex in pool.map(lambda _: transport.send(RequestSpec("GET", url)), range(24))} == {200}
        burst = _pooled(transport)
        assert transport.send(RequestSpec("GET", url)).status == 200
        assert _pooled(transport) == burst  # still young: kept for reuse
        time.sleep(0.5)
        assert transport.send(RequestSpec("GET", url)).status == 200
        assert burst > 1 and _pooled(transport) == 1  # the idle ones closed, one (re)used
