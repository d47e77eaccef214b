"""Fixtures: hostile loopback servers (see ``hostile_servers``), stopped after each test."""

from __future__ import annotations

import pytest

from hostile_servers import HostilePKI, HostileServer


@pytest.fixture(scope="session")
def hostile_pki(tmp_path_factory) -> HostilePKI:
    return HostilePKI.generate(tmp_path_factory.mktemp("hostile-pki"))


@pytest.fixture
def hostile(hostile_pki):
    """``hostile(behaviour, cert="good", routes=None)`` starts a server; all stop at teardown."""
    servers: list[HostileServer] = []

    def start(behaviour: str = "answer", cert: str = "good", routes: dict[str, str] | None = None) -> HostileServer:
        server = HostileServer(behaviour, hostile_pki.server_context(cert), routes)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
