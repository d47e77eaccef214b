"""The defect matrix, computed once per test run (shared by pytest-xdist workers through a file)."""

from __future__ import annotations

import os

import pytest

from tests.selftest import defect_matrix, runner


@pytest.fixture(scope="session")
def matrix(tmp_path_factory) -> dict[str | None, runner.RunResult]:
    """Every defect against the checks it names, plus one full run against the correct server."""
    shared = tmp_path_factory.getbasetemp().parent if os.environ.get("PYTEST_XDIST_WORKER") else None
    return defect_matrix.shared_results(shared)
