"""The suite leaves no client behind: after a full run, after failing checks, after Ctrl-C.

The suite runs in-process against a reference server started here (``--dcr-profile`` of its
profile); afterwards the server's own store is inspected.
"""

from __future__ import annotations

import pytest

from tests.selftest.runner import run_suite

REGISTER_STEP = {"DCR-REG-001", "DCR-REG-002", "DCR-REG-004", "DCR-REG-006", "DCR-REG-010", "DCR-REG-013"}


def test_full_run_leaves_no_client(reference_run):
    """One full run against the correct server (shared with the defect matrix when both run)."""
    result = reference_run
    assert result.exit_code == 0
    assert result.registered > 100, "the full run registered fewer clients than expected"
    assert result.clients_left == 0 and result.leftovers == []


@pytest.mark.parametrize("defect", ["initial-token-reusable", "unknown-template-accepted", "redirect-uri-not-validated"])
def test_clients_created_by_failing_negative_checks_are_deleted(server, defect):
    """A defect makes negative checks fail after the server wrongly created clients; those go too."""
    srv = server(defect)
    result = run_suite(srv.profile_path, only=REGISTER_STEP)
    assert result.exit_code == 1 and result.failures, "the defect made no check fail"
    assert result.registered > 0
    assert srv.store.count_clients() == 0 and result.leftovers == []


class _CtrlC:
    """Plugin object: raises KeyboardInterrupt (as Ctrl-C would) once the suite holds ``after`` clients."""

    def __init__(self, srv, after: int) -> None:
        self.srv, self.after = srv, after
        self.clients_at_interrupt = None

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item):
        result = yield
        if self.clients_at_interrupt is None and self.srv.store.count_clients() >= self.after:
            self.clients_at_interrupt = self.srv.store.count_clients()
            raise KeyboardInterrupt
        return result


def test_interrupted_run_still_deletes_its_clients(server):
    srv = server()
    ctrl_c = _CtrlC(srv, after=10)
    result = run_suite(srv.profile_path, only=REGISTER_STEP, plugins=[ctrl_c], keep_output=True)
    assert ctrl_c.clients_at_interrupt is not None and ctrl_c.clients_at_interrupt >= 10
    assert result.exit_code == pytest.ExitCode.INTERRUPTED, result.output_tail
    assert "KeyboardInterrupt" in result.output
    assert srv.store.count_clients() == 0 and result.leftovers == []
