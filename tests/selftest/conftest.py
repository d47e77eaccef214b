"""The defect matrix, computed once per test run (shared by xdist workers through a file)."""

from __future__ import annotations

import fcntl
import json
import os

import pytest

from conformance import selftest


@pytest.fixture(scope="session")
def matrix(tmp_path_factory) -> dict[str | None, selftest.RunResult]:
    """Every defect against the checks it names, plus one full run against the correct server."""
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        return selftest.run_matrix()
    shared = tmp_path_factory.getbasetemp().parent  # common to the workers of one run
    cache = shared / "dcr-defect-matrix.json"
    with open(shared / "dcr-defect-matrix.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the first worker computes, the others wait and read
        if cache.exists():
            return selftest.matrix_from_json(json.loads(cache.read_text()))
        results = selftest.run_matrix()
        cache.write_text(json.dumps(selftest.matrix_to_json(results)))
        return results
