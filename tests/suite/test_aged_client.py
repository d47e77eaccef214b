"""DCR-MGT-014's aged client: registered before the run's first test, its check runs last,
it is deleted like every other client, and no client is registered for a wait that cannot fit."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.selftest.runner import run_suite


class _ClientsAtFirstCall:
    """Plugin object: how many clients the server holds when the first test's call starts."""

    def __init__(self, srv) -> None:
        self.srv, self.count = srv, None

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_call(self, item):
        if self.count is None:
            self.count = self.srv.store.count_clients()


def test_aged_client_starts_with_the_run_and_its_check_runs_last(server):
    srv = server(registration_token_read_write_ttl_s=1)
    seen = _ClientsAtFirstCall(srv)
    # test_manage.py is collected first; DCR-META-001 (test_metadata.py) registers no client.
    result = run_suite(srv.profile_path, only={"DCR-MGT-014", "DCR-META-001", "DCR-USE-010"},
                                plugins=[seen])
    assert result.exit_code == 0, result.output_tail
    assert seen.count == 1  # the aged client, registered before the first test
    assert list(result.checks)[-1] == "DCR-MGT-014"
    assert srv.store.count_clients() == 0 and result.leftovers == []


class _ClientsAtCollection:
    """Plugin object: how many clients the server holds when the first check is collected; then
    every check is deselected (the run ends without running one)."""

    def __init__(self, srv) -> None:
        self.srv, self.count = srv, None

    def pytest_itemcollected(self, item):
        if self.count is None:
            self.count = self.srv.store.count_clients()

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config, items):
        config.hook.pytest_deselected(items=list(items))
        items.clear()


@pytest.mark.parametrize("narrowed", [False, True], ids=["every-check", "-k"])
def test_a_run_of_every_check_starts_its_waits_before_collecting_them(server, narrowed):
    """The aged client is registered before the checks are collected when nothing narrows the run
    (the waits start before collection), and deleted at the end when no check used it."""
    srv = server(registration_token_read_write_ttl_s=1)
    seen = _ClientsAtCollection(srv)
    result = run_suite(srv.profile_path, plugins=[seen], args=["-k", "DCR-MGT-014"] if narrowed else [])
    assert seen.count == (0 if narrowed else 1)
    assert srv.store.count_clients() == 0 and result.leftovers == []


def test_no_client_is_registered_for_a_wait_longer_than_allowed(server):
    srv = server(registration_token_read_write_ttl_s=60)
    result = run_suite(srv.profile_path, only={"DCR-MGT-014", "DCR-META-001"})
    assert result.registered == 0 and srv.store.count_clients() == 0
    skipped = result.checks["DCR-MGT-014"].skipped
    assert len(skipped) == 1
    assert "not claimed by profile: registration_token_read_write_ttl_s = 60 is longer than --dcr-max-wait" \
        in skipped[0]


def test_an_unset_ttl_is_not_claimed(server):
    srv = server()
    path = Path(srv.profile_path)
    edited = path.with_name("profile-no-ttl.toml")
    edited.write_text("".join(line for line in path.read_text().splitlines(keepends=True)
                              if not line.startswith("registration_token_read_write_ttl_s")))
    result = run_suite(edited, only={"DCR-MGT-014"})
    assert result.registered == 0
    assert "not claimed by profile: [claims] registration_token_read_write_ttl_s is not set" \
        in result.checks["DCR-MGT-014"].skipped[0]


class _ClientsWhenTheLastCheckEnds:
    """Plugin object: how many clients the server holds once DCR-MGT-014 (run last) has ended,
    polled for up to 5 s, before the run's own cleanup at the end starts."""

    def __init__(self, srv) -> None:
        self.srv, self.count = srv, None

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_teardown(self, item):
        if "DCR-MGT-014" in item.nodeid:
            deadline = time.monotonic() + 5
            while self.srv.store.count_clients() and time.monotonic() < deadline:
                time.sleep(0.05)
            self.count = self.srv.store.count_clients()


def test_earlier_clients_are_deleted_while_the_last_check_waits(server):
    """The clients of the checks before DCR-MGT-014 are deleted during its wait, not after the run."""
    srv = server(registration_token_read_write_ttl_s=1)
    seen = _ClientsWhenTheLastCheckEnds(srv)
    result = run_suite(srv.profile_path, only={"DCR-MGT-014", "DCR-MGT-001"}, plugins=[seen])
    assert result.exit_code == 0, result.output_tail
    assert result.registered > 1 and seen.count == 0  # MGT-014 deletes its aged client itself
    assert srv.store.count_clients() == 0 and result.leftovers == []
