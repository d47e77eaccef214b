"""Helpers for the suite's own tests: reference servers started here, profiles edited here.

Every run of the suite in these tests is in-process (``tests.selftest.runner.run_suite``) against a
:class:`~conformance.server.ReferenceServer` started by the test, named by ``--dcr-profile``.
"""

from __future__ import annotations

import os

import pytest

from conformance.server import ReferenceServer
from tests.selftest import defect_matrix, runner
from tests.selftest.runner import MATRIX_INITIAL_TOKEN_TTL_S


@pytest.fixture
def server():
    """Start reference servers: ``server(defect=..., rotate_on_read=...)``; stopped at teardown."""
    started: list[ReferenceServer] = []

    def start(defect: str | None = None, **options) -> ReferenceServer:
        options.setdefault("initial_token_ttl_s", MATRIX_INITIAL_TOKEN_TTL_S)
        srv = ReferenceServer(defect=defect, **options).start()
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.stop()


@pytest.fixture(scope="session")
def reference_run(tmp_path_factory) -> runner.RunResult:
    """One full run against the correct server (the defect matrix's, when it runs in the same test run)."""
    shared = tmp_path_factory.getbasetemp().parent if os.environ.get("PYTEST_XDIST_WORKER") else None
    return defect_matrix.shared_results(shared, matrix=False)[None]
