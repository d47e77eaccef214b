"""Fixtures for the reference server's tests: one PKI per session, servers on demand."""

from __future__ import annotations

import pytest

from conformance.pki import TestPKI
from conformance.server import ReferenceServer
from srv_kit import Kit


@pytest.fixture(scope="session")
def pki(tmp_path_factory) -> TestPKI:
    return TestPKI.generate(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def reference_server(pki):
    """A correct server shared by the tests that only add state (they never count globally)."""
    with ReferenceServer(pki=pki) as srv:
        yield srv


@pytest.fixture(scope="session")
def kit(reference_server):
    kit = Kit(reference_server)
    yield kit
    kit.close()


@pytest.fixture
def make_server(pki, tmp_path):
    """Start servers with options: ``make_server(defect=..., rotate_on_read=False)``; returns a
    Kit whose ``.srv`` is the server. All are stopped at teardown."""
    started: list[tuple[ReferenceServer, Kit]] = []

    def start(**options) -> Kit:
        options.setdefault("pki", pki)
        srv = ReferenceServer(**options).start()
        k = Kit(srv)
        started.append((srv, k))
        return k

    yield start
    for srv, k in started:
        k.close()
        srv.stop()
