"""Python 3.12+ warns at every fork of a threaded process (``DeprecationWarning: This process ... is
multi-threaded, use of fork() may lead to deadlocks in the child.``); the run forks on purpose
(conformance.forking), so that warning stays out of its warnings summary; any other does not."""

from __future__ import annotations

import warnings

import pytest

from tests.selftest.runner import run_suite

FORK = "This process (pid=4242) is multi-threaded, use of fork() may lead to deadlocks in the child."
OTHER = "some other deprecation, still shown"


class _Warns:
    """Plugin object: every check's call warns as a fork in Python 3.12 does, and once otherwise."""

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item):
        warnings.warn(FORK, DeprecationWarning)
        warnings.warn(OTHER, DeprecationWarning)
        return (yield)


def test_the_fork_warning_is_not_in_the_runs_warnings_summary(server):
    srv = server()
    result = run_suite(srv.profile_path, only={"DCR-META-001"}, plugins=[_Warns()], keep_output=True)
    assert result.exit_code == 0, result.output_tail
    assert OTHER in result.output  # the summary is there, with the other warning
    assert "multi-threaded, use of fork()" not in result.output
